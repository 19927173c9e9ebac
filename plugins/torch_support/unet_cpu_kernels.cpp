#include "unet_cpu_kernels.h"

#include <algorithm>
#include <cstring>

// GCC/Clang vector extensions: 16 lanes, compiled for the best of AVX-512,
// AVX2 or SSE at load time (target_clones), so that the build needs no -m flags.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#define SCREENER_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SCREENER_CLONES
#endif
#pragma GCC diagnostic ignored "-Wpsabi"  // the vector types never cross this file's boundary
#define SCREENER_INLINE inline __attribute__((always_inline))

namespace screener::torch_support::unet_kernels {

namespace {

constexpr int kLanes = 16;
typedef float Floats __attribute__((vector_size(4 * kLanes)));
typedef int32_t Ints __attribute__((vector_size(4 * kLanes)));

// e^v: v = n ln2 + r with |r| ≤ ln2/2, e^r by its Taylor series to r^7
// (relative error < 1e-8), 2^n put into the exponent bits.
SCREENER_INLINE Floats exp_lanes(Floats v) {
  const Floats lo = v - v - 87.0f, hi = v - v + 88.0f;
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const Floats n = (v * 1.44269504088896341f + magic) - magic;
  const Floats r = (v - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;
  Floats p = r * (1.0f / 5040) + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const Ints bits = (__builtin_convertvector(n, Ints) + 127) << 23;
  Floats scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

SCREENER_INLINE Floats silu_lanes(Floats x, float scale, float shift) {
  const Floats v = x * scale + shift;
  return v / (1.0f + exp_lanes(-v));
}

}  // namespace

SCREENER_CLONES Moments moments(const float* x, int64_t n) {
  // Float lanes over short runs (≤ 64 terms each), doubles across runs.
  constexpr int64_t kRun = 64 * kLanes;
  Moments m;
  for (int64_t start = 0; start < n; start += kRun) {
    const int64_t end = std::min(n, start + kRun);
    Floats s = {}, q = {};
    int64_t i = start;
    for (; i + kLanes <= end; i += kLanes) {
      Floats v;
      std::memcpy(&v, x + i, sizeof v);
      s += v;
      q += v * v;
    }
    for (int l = 0; l < kLanes; ++l) m.sum += double(s[l]), m.squares += double(q[l]);
    for (; i < end; ++i) m.sum += double(x[i]), m.squares += double(x[i]) * double(x[i]);
  }
  return m;
}

SCREENER_CLONES void scale_shift_silu(const float* x, float* y, int64_t n, float scale, float shift) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Floats v;
    std::memcpy(&v, x + i, sizeof v);
    v = silu_lanes(v, scale, shift);
    std::memcpy(y + i, &v, sizeof v);
  }
  if (i < n) {  // the tail through the same lanes, so that every value gets the same arithmetic
    Floats v = {};
    std::memcpy(&v, x + i, sizeof(float) * std::size_t(n - i));
    v = silu_lanes(v, scale, shift);
    std::memcpy(y + i, &v, sizeof(float) * std::size_t(n - i));
  }
}

}  // namespace screener::torch_support::unet_kernels
