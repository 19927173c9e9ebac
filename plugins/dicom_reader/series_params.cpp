#include "series_params.h"

namespace screener::dicom {

void declare_series_params(StageSpec& spec) {
  spec.text("modality", "CT", "Modality of the series to read; \"any\" for all");
  spec.flag("require_original_primary", false,
            "Read only images whose ImageType has ORIGINAL and PRIMARY (never a DERIVED/SECONDARY series)");
  spec.flag("prefer_original_primary", true,
            "Leave out a study's DERIVED/SECONDARY series when it has an ORIGINAL\\PRIMARY one; false: read both");
  spec.flag("require_axial", false, "Read only images whose ImageType has AXIAL");
  spec.integer("min_slices", 10, "Series with fewer slices are skipped").at_least(1);
  spec.choice("series", {"all", "largest"}, "all",
              "Every series that passes, or per study only the one with most slices (then largest extent)");
  spec.number("spacing_tolerance", 0.05, "Largest accepted deviation of a slice step from the median step, relative to it")
      .range(0, 0.49);
  spec.flag("allow_tilt", false, "Read sheared stacks (gantry tilt) on a non-orthogonal grid instead of rejecting them");
  spec.integer("max_voxels", kDefaultMaxVoxels,
               "Series whose headers claim more voxels (columns x rows x slices) are refused before reading")
      .at_least(1);
  spec.number("padding_hu", -2048, "Value given to pixels equal to PixelPaddingValue").range(-32768, 32767);
}

SeriesParams read_series_params(const Params& p) {
  SeriesParams s;
  s.rules.modality = p.get<std::string>("modality");
  s.rules.require_original_primary = p.get<bool>("require_original_primary");
  s.rules.prefer_original_primary = p.get<bool>("prefer_original_primary");
  s.rules.max_voxels = p.get<int64_t>("max_voxels");
  s.load.max_voxels = s.rules.max_voxels;
  s.rules.require_axial = p.get<bool>("require_axial");
  s.rules.min_slices = p.get<int64_t>("min_slices");
  s.rules.largest_per_study = p.get<std::string>("series") == "largest";
  s.load.stack.spacing_tolerance = p.get<double>("spacing_tolerance");
  s.load.stack.allow_tilt = p.get<bool>("allow_tilt");
  s.load.padding_hu = p.get<double>("padding_hu");
  return s;
}

}  // namespace screener::dicom
