// Plain loops over float arrays for the UNet's CPU inference path (unet.cpp):
// GroupNorm's moments and the fused scale-shift-SiLU. Kept out of the Torch
// translation units (each costs ~20 s to compile); unet.cpp spreads the calls
// over LibTorch's threads.
#pragma once
#include <cstdint>

namespace screener::torch_support::unet_kernels {

struct Moments {
  double sum = 0, squares = 0;
};
// Sum and sum of squares of x[0…n), in a fixed order (the same bits whatever
// the caller's threads).
Moments moments(const float* x, int64_t n);

// y[i] = silu(x[i] * scale + shift) for i in [0, n); y may be x.
// SiLU(v) = v / (1 + e^-v), with e^-v to < 2e-7 relative.
void scale_shift_silu(const float* x, float* y, int64_t n, float scale, float shift);

}  // namespace screener::torch_support::unet_kernels
