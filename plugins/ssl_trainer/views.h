// Two overlapping augmented views of a preprocessed CT and the voxel pairs
// that see the same point (SPEC §3-4): the positives of dense SSL.
#pragma once
#include <array>
#include <cstdint>

#include <ATen/ATen.h>

namespace screener::ssl {

struct ViewOptions {
  std::array<int64_t, 3> roi{96, 96, 64};
  double scale_min = 0.8, scale_max = 1.25;  // crop side / roi side
  int64_t positives = 1024;                  // voxel pairs per view pair
  // Colour jitter: brightness and contrast factors, gamma, noise σ upper bound,
  // and the probability of a blur or a sharpening.
  double brightness = 0.2, contrast = 0.2, gamma_min = 0.8, gamma_max = 1.25, noise_max = 0.1, blur_probability = 0.5;
  // Random block masking (the condition model, SPEC §4); 0 = none. The view
  // then gets a second channel: 1 where visible, 0 where masked.
  double mask_ratio = 0;
  std::array<int64_t, 3> mask_block{16, 16, 8};
};

struct ViewPair {
  at::Tensor first, second;              // (C, roi), C = 1, or 2 with a mask
  at::Tensor first_index, second_index;  // (positives) flat voxel indices into roi
};

// `volume`: (H, W, S) float32 or float16 on the CPU, intensities in [0, 1]. Every draw
// comes from `gen`.
ViewPair sample_view_pair(const at::Tensor& volume, const ViewOptions& options, at::Generator& gen);

// The colour jitter alone, on a (1, roi) view.
at::Tensor jitter(const at::Tensor& view, const ViewOptions& options, at::Generator& gen);

}  // namespace screener::ssl
