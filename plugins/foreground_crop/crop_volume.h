// The foreground crop applied to a Volume: geometry and history follow.
#pragma once
#include <memory>
#include <string>

#include "body_outline.h"
#include "foreground_box.h"
#include "screener/payload.h"

namespace screener::foreground_crop {

struct CropOptions {
  double block_mm = 5.0;
  double threshold_hu = -500.0;  // foreground: HU >= threshold; air: HU < threshold
  bool body_mask = false;
  BodyBorder body_border = BodyBorder::volume;
  OutlineOptions outline;  // applied to the body mask on the cropped grid
  // Voxels of the crop outside the body mask set to `air_hu` (the mask is
  // computed for this even when it is not emitted).
  bool air_outside_body = false;
  double air_hu = -1000;
};

struct CropResult {
  Box box;                                // in the input's index space
  std::shared_ptr<Volume> volume;         // input dtype, on the cropped grid
  std::shared_ptr<Volume> body_mask;      // uint8 on the cropped grid; only when asked for (body_mask)
};

// Throws InputError naming `study_id` when there is no foreground block.
CropResult crop_to_foreground(const Volume& in, const CropOptions& options, const std::string& stage_id,
                              const std::string& study_id);

}  // namespace screener::foreground_crop
