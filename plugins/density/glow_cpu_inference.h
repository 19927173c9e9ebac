// The (conditional) Glow's NLL for inference on the CPU, in plain C++ on
// packed weights (no LibTorch here): the same maths as Glow::run in
// density_models.cpp, within float32 rounding. Rows (pooled voxels) go through
// all K blocks a chunk at a time, so a chunk's activations stay in cache while
// every block's weights stream past once; per block:
//   unconditional: ActNorm folded into the invertible 1×1×1 conv, one GEMM
//     x ← x·(W·diag(e^s))ᵀ + W·(e^s ⊙ loc);
//   conditional: [loc | log_scale] folded into the bias of the condition's
//     GEMM, then one pass (x + shift)·e^(scale), then x ← x·Wᵀ;
//   coupling: three GEMMs (bias and ReLU fused into their write-out), then one
//     pass for x2 ← (x2 + t)·σ(s + 2) and Σ log σ(s + 2).
// The constant log-determinants (Σ log_scale, slogdet W) are summed once.
#pragma once
#include <cstdint>
#include <vector>

#include "packed_gemm.h"

namespace screener::density {

// One block's weights, row-major as LibTorch holds them (Linear: out × in).
struct GlowBlockWeights {
  std::vector<float> loc, log_scale;          // D
  std::vector<float> invconv;                 // D × D
  double invconv_logdet = 0;                  // slogdet(W), float64
  std::vector<float> cond_weight, cond_bias;  // 2D × Dc, 2D (conditional only)
  std::vector<float> net0_weight, net0_bias;  // H × (D/2 + Dc), H
  std::vector<float> net2_weight, net2_bias;  // H × H, H
  std::vector<float> net4_weight, net4_bias;  // D × H, D
};

class GlowCpuInference {
 public:
  // `kernel`: the GEMM to use (packed_gemm::kernel() unless a test picks one).
  GlowCpuInference(const std::vector<GlowBlockWeights>& blocks, int64_t D, int64_t Dc, int64_t H,
                   const packed_gemm::Kernel& kernel = packed_gemm::kernel());

  // Rows per chunk: a chunk's activations (2 × rows × H floats) and one
  // H × H weight matrix stay within a core's L2; a multiple of the AVX-512
  // kernel's 14-row tile, so no chunk but the last has a partial tile.
  static constexpr int64_t kChunkRows = 252;

  // NLL (nats) of `rows` voxels: y (rows × D), c (rows × Dc, ignored when Dc
  // = 0), out (rows). Single-threaded; callers run disjoint row ranges in
  // parallel (the object is read-only here).
  void nll(const float* y, const float* c, int64_t rows, float* out) const;

  const char* isa() const { return kernel_.isa; }

 private:
  struct Layer {  // packed B, padded bias
    std::vector<float> packed, bias;
    int64_t K = 0, N = 0, padded_N = 0;
  };
  struct Block {
    Layer actnorm_cond;  // conditional: c → [shift | log scale] (loc, log_scale folded in)
    Layer invconv;       // unconditional: ActNorm folded in
    Layer net0, net2, net4;
  };
  Layer pack(const std::vector<float>& weight, const std::vector<float>& bias, int64_t N, int64_t K) const;
  // `then`: the layer that runs next, its weights fetched while this one works.
  void gemm(const float* A, int64_t lda, int64_t M, const Layer& layer, bool relu, float* C, const Layer* then) const;

  const packed_gemm::Kernel& kernel_;
  int64_t D_, Dc_, H_;
  std::vector<Block> blocks_;
  double logdet_constant_ = 0;  // Σ over blocks of slogdet W (+ Σ log_scale unconditional)
};

}  // namespace screener::density
