// Re-assembling a volume from overlapping patch predictions, with the
// semantics of MONAI's sliding_window_inference (SPEC §6).
#pragma once
#include <vector>

#include "screener/geometry.h"

namespace screener::aggregator {

enum class BlendMode { gaussian, constant };

// MONAI compute_importance_map: separable exp(-x^2 / (2 sigma^2)),
// x = -(n-1)/2 ... (n-1)/2, sigma = sigma_scale * n, not renormalised, then
// clamped from below at max(min, 1e-3). Constant mode: all ones.
std::vector<float> importance_map(const Index3& roi, BlendMode mode, double sigma_scale = 0.125);

// PyTorch F.interpolate(mode="trilinear", align_corners=False) of a {C, in}
// array to {C, out}.
std::vector<float> upsample_trilinear(const float* in, int64_t channels, const Index3& in_size, const Index3& out_size);

// One window's prediction: {C, res} starting at `start` in volume index
// space, covering `roi` voxels there (upsampled trilinearly, as
// upsample_trilinear does, when res differs from roi), blended with `weights` ({roi}).
struct Window {
  const float* pred = nullptr;
  Index3 res{0, 0, 0};
  Index3 start{0, 0, 0};
  Index3 roi{0, 0, 0};
  const std::vector<float>* weights = nullptr;
};

// Running sums of weight * prediction and of weight over a volume.
class Accumulator {
 public:
  Accumulator(const Index3& volume_size, int64_t channels);
  // `pred` is {C, roi}; the window starts at `start` in volume index space and
  // may stick out of the volume (those voxels are ignored, as MONAI crops them).
  void add(const float* pred, const Index3& start, const Index3& roi, const std::vector<float>& weights);
  // Adds `windows` one after the other, as add() would (upsampling on the
  // fly), in parallel over slabs of axis 0: every voxel still receives its
  // windows in their order, so the sums are the same bytes as one add() per
  // window, for any number of threads.
  void add(const std::vector<Window>& windows);
  // sum(w * pred) / sum(w); voxels no window touched get 0. In parallel.
  std::vector<float> result() const;
  int64_t channels() const { return channels_; }

 private:
  Index3 size_;
  int64_t channels_;
  std::vector<float> weighted_, weight_;
};

}  // namespace screener::aggregator
