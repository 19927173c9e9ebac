// The foreground crop applied to a Volume: geometry and history follow.
#pragma once
#include <memory>
#include <string>

#include "foreground_box.h"
#include "screener/payload.h"

namespace screener::foreground_crop {

struct CropOptions {
  double block_mm = 5.0;
  double threshold_hu = -500.0;  // foreground: HU >= threshold; air: HU < threshold
  bool body_mask = false;
  BodyBorder body_border = BodyBorder::volume;
};

struct CropResult {
  Box box;                                // in the input's index space
  std::shared_ptr<Volume> volume;         // input dtype, on the cropped grid
  std::shared_ptr<Volume> body_mask;      // uint8 on the cropped grid; only when asked for
};

// Throws InputError naming `study_id` when there is no foreground block.
CropResult crop_to_foreground(const Volume& in, const CropOptions& options, const std::string& stage_id,
                              const std::string& study_id);

}  // namespace screener::foreground_crop
