// C = A · Bᵀ + bias (optionally ReLU'd) for the CPU Glow path, with B (N × K,
// LibTorch's Linear layout) packed once into panels of `panel` columns:
// panel p holds B[p·panel + j][k] at [p][k][j], N zero-padded to whole panels.
// One source (packed_gemm.cpp) is compiled per instruction set; `kernel()`
// picks the widest one this CPU runs. Single-threaded: callers split rows.
#pragma once
#include <cstdint>

namespace screener::density::packed_gemm {

struct Kernel {
  const char* isa;  // "avx512", "avx2" or "baseline"
  int64_t panel;    // columns per packed panel
  // `out` holds padded(N) · K floats.
  void (*pack)(const float* B, int64_t N, int64_t K, float* out);
  // A: M × K (row stride lda); C: M × padded(N) (row stride ldc ≥ padded(N));
  // bias: padded(N) floats. Columns N … padded(N) of C come out as bias there (0).
  // `then` (then_floats of it; may be null): what the caller reads next (the
  // next layer's packed weights), fetched towards L2 during the last block.
  void (*gemm)(const float* A, int64_t lda, int64_t M, int64_t K, const float* packed, int64_t padded_N,
               const float* bias, bool relu, float* C, int64_t ldc, const float* then, int64_t then_floats);
};

const Kernel& kernel();  // the fastest this CPU supports
const Kernel& baseline_kernel();  // portable, for tests and CPUs without AVX2

inline int64_t padded(int64_t n, const Kernel& k) { return (n + k.panel - 1) / k.panel * k.panel; }

// One Kernel per instruction set; each is defined in its own compilation of packed_gemm.cpp.
const Kernel* avx512_kernel();    // nullptr where not built (not x86-64)
const Kernel* avx2_kernel();

}  // namespace screener::density::packed_gemm
