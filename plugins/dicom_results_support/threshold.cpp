#include <algorithm>
#include <cmath>
#include <iterator>
#include <vector>

#include "dicom_results.h"
#include "encoding.h"

namespace screener::dicom_results {

double percentile_above_minimum(const Volume& map, double percentile) {
  if (percentile < 0 || percentile > 100) throw Error("a percentile is from 0 to 100");
  const float* v = map_values(map);
  const auto n = std::size_t(map.voxels.numel());
  if (n == 0) throw Error("the map is empty");
  const float lowest = *std::min_element(v, v + n);
  std::vector<float> above;
  std::copy_if(v, v + n, std::back_inserter(above), [&](float x) { return x > lowest; });
  if (above.empty()) return std::nextafter(double(lowest), INFINITY);
  const double rank = percentile / 100.0 * double(above.size() - 1);
  const auto below = std::size_t(rank);
  // Only the two values around the rank are needed, not a full sort.
  std::nth_element(above.begin(), above.begin() + std::ptrdiff_t(below), above.end());
  const double low = above[below];
  if (below + 1 >= above.size()) return low;
  const double high = *std::min_element(above.begin() + std::ptrdiff_t(below) + 1, above.end());
  return low + (rank - double(below)) * (high - low);
}

void declare_segment_params(StageSpec& spec) {
  spec.choice("threshold", {"value", "percentile"}, "percentile",
              "How `level` is read: a score, or a percentile of the study's scores above the map's minimum "
              "(the minimum is what mask_map gives voxels outside the body)");
  spec.number("level", 99.5, "The score, or the percentile (0-100), at and above which a voxel is in the segment");
  spec.flag("omit_empty_frames", true, "Leave out Segmentation frames without any segmented voxel");
  spec.text("segment_label", "anomaly", "SegmentLabel");
}

SegmentRule::SegmentRule(const Params& p)
    : percentile_(p.get<std::string>("threshold") == "percentile"),
      level_(p.get<double>("level")),
      omit_empty_frames_(p.get<bool>("omit_empty_frames")),
      segment_label_(p.get<std::string>("segment_label")) {
  if (percentile_ && (level_ < 0 || level_ > 100))
    throw Error("level must be a percentile from 0 to 100 when threshold is \"percentile\"");
}

SegmentationOptions SegmentRule::for_map(const Volume& map, SegmentationOptions base) const {
  apply(base);
  base.threshold = percentile_ ? percentile_above_minimum(map, level_) : level_;
  return base;
}

void SegmentRule::apply(SegmentationOptions& options) const {
  options.omit_empty_frames = omit_empty_frames_;
  options.segment_label = segment_label_;
}

}  // namespace screener::dicom_results
