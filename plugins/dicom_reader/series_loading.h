// Reads the files of one DICOM series into a volume in HU.
#pragma once
#include <filesystem>
#include <memory>
#include <vector>

#include "screener/payload.h"
#include "attribute_checks.h"
#include "slice_stack.h"

namespace screener::dicom {

struct LoadOptions {
  StackRules stack;
  // HU given to pixels equal to PixelPaddingValue (or within its range limit).
  double padding_hu = -2048;
  // Refused above this many voxels, before the volume is allocated.
  int64_t max_voxels = kDefaultMaxVoxels;
};

// int16 voxels when every HU value is an integer in the int16 range, float32
// otherwise. Throws InputError (without naming the series) on any problem.
std::shared_ptr<Volume> load_dicom_series(const std::vector<std::filesystem::path>& files, const LoadOptions& options);

}  // namespace screener::dicom
