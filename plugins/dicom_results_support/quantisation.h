// A float range on 16-bit stored values: stored = round((value - lowest) /
// slope), value ≈ stored * slope + intercept (the DICOM real-world value
// mapping), within half a step. The lowest value (what mask_map gives the
// voxels outside the body) comes back exactly.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace screener::dicom_results {

class Quantisation {
 public:
  static constexpr double levels = 65535;

  Quantisation(double lowest, double highest)
      : intercept_(lowest), slope_(highest > lowest ? (highest - lowest) / levels : 1.0) {}

  double slope() const { return slope_; }
  double intercept() const { return intercept_; }
  // The largest difference between a value in the range and its stored value mapped back.
  double max_error() const { return slope_ / 2; }

  uint16_t stored(double value) const {
    return uint16_t(std::clamp(std::lround((value - intercept_) / slope_), 0L, long(levels)));
  }

 private:
  double intercept_, slope_;
};

}  // namespace screener::dicom_results
