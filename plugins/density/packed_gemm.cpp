// Compiled once per instruction set (PACKED_GEMM_AVX512, PACKED_GEMM_AVX2 or
// PACKED_GEMM_BASELINE defined, with the matching -m flags; see
// CMakeLists.txt). The micro-kernel keeps an MR × (2 vectors) tile of C in
// registers and streams one packed panel of B per k: 2 loads and MR
// broadcasts feed 2·MR FMAs. K is split in blocks of kKBlock so the B block
// (kKBlock × panel floats, 32 KiB with AVX-512) stays in L1 while every row
// tile of A passes over it.
#include "packed_gemm.h"

#include <algorithm>
#include <array>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's _mm512_max_ps starts from _mm512_undefined_ps(), which its own
// flow analysis then reports as maybe uninitialised.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif


namespace screener::density::packed_gemm {
namespace {

#if defined(PACKED_GEMM_AVX512)
struct Vec {
  using T = __m512;
  static constexpr int width = 16, rows = 14, cols = 2;  // 28 accumulators of 32 registers
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T broadcast(float x) { return _mm512_set1_ps(x); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T relu(T v) { return _mm512_max_ps(v, _mm512_setzero_ps()); }
};
constexpr const char* kIsa = "avx512";
#elif defined(PACKED_GEMM_AVX2)
struct Vec {
  using T = __m256;
  static constexpr int width = 8, rows = 6, cols = 2;  // 12 accumulators of 16 registers
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T broadcast(float x) { return _mm256_set1_ps(x); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T relu(T v) { return _mm256_max_ps(v, _mm256_setzero_ps()); }
};
constexpr const char* kIsa = "avx2";
#else
struct Vec {  // plain C++: the compiler vectorises what the target allows
  struct T {
    float v[4];
  };
  static constexpr int width = 4, rows = 6, cols = 2;
  static T load(const float* p) { return {{p[0], p[1], p[2], p[3]}}; }
  static void store(float* p, T x) { std::copy(x.v, x.v + 4, p); }
  static T broadcast(float x) { return {{x, x, x, x}}; }
  static T fma(T a, T b, T c) {
    for (int i = 0; i < 4; ++i) c.v[i] += a.v[i] * b.v[i];
    return c;
  }
  static T relu(T x) {
    for (float& f : x.v) f = std::max(f, 0.0f);
    return x;
  }
};
constexpr const char* kIsa = "baseline";
#endif

constexpr int64_t kPanel = Vec::cols * Vec::width;
constexpr int64_t kKBlock = 256;
constexpr int64_t kFloatsPerLine = 16;  // 64-byte cache lines

// C tile (MR × kPanel) += A rows · B block; starts from `bias` (first K
// block) or from what C holds (later blocks). Packing A as well measured no
// faster here (and slower for N = 32: one panel does not repay it).
template <int MR>
void tile(const float* A, int64_t lda, const float* B, int64_t kc, const float* bias, bool relu, float* C, int64_t ldc,
          const float* fetch, int64_t fetch_lines) {
  typename Vec::T acc[MR][Vec::cols];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < Vec::cols; ++j) acc[i][j] = Vec::load(bias ? bias + j * Vec::width : C + i * ldc + j * Vec::width);
  int64_t fetched = 0;
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    if ((k & 3) == 0 && fetched < fetch_lines) __builtin_prefetch(fetch + kFloatsPerLine * fetched++, 0, 2);
    typename Vec::T b[Vec::cols];
#pragma GCC unroll 4
    for (int j = 0; j < Vec::cols; ++j) b[j] = Vec::load(B + k * kPanel + j * Vec::width);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const auto a = Vec::broadcast(A[i * lda + k]);
#pragma GCC unroll 4
      for (int j = 0; j < Vec::cols; ++j) acc[i][j] = Vec::fma(a, b[j], acc[i][j]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < Vec::cols; ++j) Vec::store(C + i * ldc + j * Vec::width, relu ? Vec::relu(acc[i][j]) : acc[i][j]);
}

using TileFn = void (*)(const float*, int64_t, const float*, int64_t, const float*, bool, float*, int64_t, const float*, int64_t);
template <std::size_t... R> constexpr auto make_tiles(std::index_sequence<R...>) {
  return std::array<TileFn, sizeof...(R)>{&tile<int(R) + 1>...};
}
constexpr auto kTiles = make_tiles(std::make_index_sequence<Vec::rows>{});  // kTiles[r - 1]: r rows

void pack(const float* B, int64_t N, int64_t K, float* out) {
  const int64_t panels = (N + kPanel - 1) / kPanel;
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < kPanel; ++j) {
        const int64_t n = p * kPanel + j;
        out[(p * K + k) * kPanel + j] = n < N ? B[n * K + k] : 0.0f;
      }
}

void gemm(const float* A, int64_t lda, int64_t M, int64_t K, const float* packed, int64_t padded_N, const float* bias,
          bool relu, float* C, int64_t ldc, const float* then, int64_t then_floats) {
  const int64_t panels = padded_N / kPanel, tiles = std::max<int64_t>(1, M / Vec::rows);
  for (int64_t k0 = 0; k0 < K; k0 += kKBlock) {
    const int64_t kc = std::min(kKBlock, K - k0);
    const bool first = k0 == 0, last = k0 + kc == K;
    for (int64_t p = 0; p < panels; ++p) {
      const float* B = packed + (p * K + k0) * kPanel;
      const float* b = first ? bias + p * kPanel : nullptr;
      float* Cp = C + p * kPanel;
      // The next B block (next panel, the next K block's first, or `then`
      // after the last) is fetched towards L2 while this one works, a line
      // every 4 k in every row tile: from L3 it would stall the first tile of
      // each block (spreading the fetches measured +8 % over issuing them at once).
      const float* next = B + K * kPanel;
      int64_t next_floats = kc * kPanel;
      if (p + 1 == panels) {
        next = last ? then : packed + (k0 + kc) * kPanel;
        next_floats = last ? then_floats : std::min(kKBlock, K - k0 - kc) * kPanel;
      }
      const int64_t lines = next ? std::min(next_floats, kKBlock * kPanel) / kFloatsPerLine : 0;
      const int64_t per_tile = (lines + tiles - 1) / tiles;
      int64_t m = 0;
      for (; m + Vec::rows <= M; m += Vec::rows) {
        const int64_t line = std::min(lines, m / Vec::rows * per_tile);
        tile<Vec::rows>(A + m * lda + k0, lda, B, kc, b, relu && last, Cp + m * ldc, ldc,
                        next ? next + line * kFloatsPerLine : nullptr, std::min(per_tile, lines - line));
      }
      if (m < M)
        kTiles[std::size_t(M - m - 1)](A + m * lda + k0, lda, B, kc, b, relu && last, Cp + m * ldc, ldc, nullptr, 0);
    }
  }
}

const Kernel kKernel{kIsa, kPanel, &pack, &gemm};

}  // namespace

#if defined(PACKED_GEMM_AVX512)
const Kernel* avx512_kernel() { return &kKernel; }
#elif defined(PACKED_GEMM_AVX2)
const Kernel* avx2_kernel() { return &kKernel; }
#else
const Kernel& baseline_kernel() { return kKernel; }

#if !defined(PACKED_GEMM_HAVE_X86)
const Kernel* avx512_kernel() { return nullptr; }
const Kernel* avx2_kernel() { return nullptr; }
#endif

const Kernel& kernel() {
  static const Kernel* chosen = [] {
#if defined(PACKED_GEMM_HAVE_X86)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return avx512_kernel();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return avx2_kernel();
#endif
    return &baseline_kernel();
  }();
  return *chosen;
}
#endif

}  // namespace screener::density::packed_gemm
