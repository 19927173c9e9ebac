// NIfTI, NRRD and MetaImage volumes through ITK. ITK dimension d is our axis
// d; ITK's buffer has dimension 0 fastest, ours axis 2, hence a transpose.
#pragma once
#include <filesystem>
#include <memory>

#include "attribute_checks.h"
#include "screener/payload.h"

namespace screener::dicom {

// int16 voxels when every value is an integer in the int16 range, float32
// otherwise. Throws InputError naming the file.
std::shared_ptr<Volume> read_itk_image(const std::filesystem::path& file, int64_t max_voxels = kDefaultMaxVoxels);

}  // namespace screener::dicom
