// The packed CPU path of Glow (glow_cpu_inference.h) against LibTorch's ops
// on the same model: random weights with a non-trivial ActNorm, row counts
// below, at and off the chunk size, 1 and 2 threads. And every GEMM kernel
// this CPU can run against a float64 product.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <iostream>
#include <random>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include "density_models.h"
#include "glow_cpu_inference.h"
#include "packed_gemm.h"

using namespace screener;
using namespace screener::density;

namespace {

// A Glow with the trained-model statistics of tests/reference's randomize_:
// ActNorm loc, log_scale ~ N(0, 0.1²) … here wider (0.3) so that folding it
// into the 1×1×1 conv is exercised well away from identity.
// `s_shift` is added to the coupling's scale logits (net.4's first D/2 biases).
std::unique_ptr<DensityModel> random_glow(const std::string& kind, const DensityShape& shape, uint64_t seed,
                                          double s_shift = 0) {
  torch_support::WeightReader w({}, "(random)");
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
  w.make_missing_with([&](const std::string& key, at::IntArrayRef s) -> at::Tensor {
    if (key.find("initialized") != std::string::npos) return at::ones(s);
    if (key.find("actnorm.loc") != std::string::npos || key.find("actnorm.log_scale") != std::string::npos)
      return 0.3 * at::randn(s, g);
    if (key.find("invconv") != std::string::npos) return std::get<0>(at::linalg_qr(at::randn(s, g)));
    if (key.find("net.4.bias") != std::string::npos) {
      at::Tensor b = 0.05 * at::randn(s, g);
      b.narrow(0, 0, s[0] / 2).add_(s_shift);
      return b;
    }
    if (key.find(".bias") != std::string::npos) return 0.05 * at::randn(s, g);
    const double fan_in = double(s[1]);
    const bool last = key.find("net.4") != std::string::npos || key.find("actnorm.cond") != std::string::npos;
    return (last ? 0.1 : std::sqrt(2.0)) / std::sqrt(fan_in) * at::randn(s, g);
  });
  auto model = make_density_model(w, kind, shape);
  w.finish(kind);
  return model;
}

double relative_l2(const at::Tensor& got, const at::Tensor& expected) {
  return (got.to(at::kDouble) - expected.to(at::kDouble)).norm().item<double>() /
         expected.to(at::kDouble).norm().item<double>();
}

struct PathCase {
  std::string kind;
  DensityShape shape;
  std::vector<int64_t> map;  // B, h, w, s of the pooled maps
  double s_shift = 0;
};

void expect_packed_matches_torch(const PathCase& c) {
  auto model = random_glow(c.kind, c.shape, 7, c.s_shift);
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(11);
  const auto y = at::randn({c.map[0], c.shape.descriptor, c.map[1], c.map[2], c.map[3]}, g);
  const auto cond = at::randn({c.map[0], c.shape.condition, c.map[1], c.map[2], c.map[3]}, g);
  c10::InferenceMode inference;
  model->set_packed_cpu_path(false);
  const auto expected = model->nll(y, cond);
  model->set_packed_cpu_path(true);
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = model->nll(y, cond);
  at::set_num_threads(2);
  const auto two = model->nll(y, cond);
  at::set_num_threads(threads);
  const std::string what = c.kind + " " + std::to_string(y.numel() / y.size(1)) + " rows";
  ASSERT_EQ(one.sizes(), expected.sizes()) << what;
  const double error = relative_l2(one, expected);
  std::cout << "[ measured ] packed vs LibTorch, " << what << ": relative L2 " << error << ", max |diff| "
            << (one - expected).abs().max().item<double>() << " (values up to " << expected.abs().max().item<double>()
            << ")\n";
  EXPECT_LT(error, 1e-5) << what;
  EXPECT_TRUE(at::equal(one, two)) << what << ": the result depends on the thread count";
  EXPECT_GT(expected.std().item<double>(), 1e-2) << "a degenerate reference proves nothing";
}

}  // namespace

TEST(GlowCpuInference, GlowMatchesTorchPathFewRows) {  // fewer rows than one chunk, not a multiple of a tile
  expect_packed_matches_torch({"glow", {32, 0, 64, 8}, {1, 5, 7, 3}});
}
TEST(GlowCpuInference, GlowMatchesTorchPathWholeChunks) {  // 18 whole chunks (kChunkRows = 252)
  expect_packed_matches_torch({"glow", {32, 0, 64, 8}, {2, 14, 18, 9}});
}
TEST(GlowCpuInference, OfficialSizeGlowMatchesTorchPath) {  // 64 blocks × 512, rows off the chunk size
  expect_packed_matches_torch({"glow", {32, 0, 512, 64}, {1, 17, 13, 11}});
}
TEST(GlowCpuInference, ConditionalGlowMatchesTorchPath) {
  expect_packed_matches_torch({"conditional_glow", {32, 16, 64, 8}, {2, 11, 13, 7}});
}
TEST(GlowCpuInference, OfficialSizeConditionalGlowMatchesTorchPath) {
  expect_packed_matches_torch({"conditional_glow", {32, 32, 512, 64}, {1, 9, 10, 11}});
}
TEST(GlowCpuInference, OddWidthsMatchTorchPath) {  // D, H and Dc not multiples of a panel
  expect_packed_matches_torch({"conditional_glow", {10, 6, 40, 3}, {1, 9, 5, 7}});
  expect_packed_matches_torch({"glow", {6, 0, 20, 3}, {1, 9, 5, 7}});
}

// Scale logits far below zero: σ underflows, log σ(s) must stay s (finite).
TEST(GlowCpuInference, SaturatedCouplingMatchesTorchPath) {
  expect_packed_matches_torch({"glow", {8, 0, 16, 2}, {1, 9, 5, 7}, -800.0});  // e^s = 0 even in float64
  expect_packed_matches_torch({"glow", {8, 0, 16, 2}, {1, 9, 5, 7}, -30.0});
}

// Training needs gradients: with parameters that require them, the LibTorch
// ops run (the packed path would cut the graph).
TEST(GlowCpuInference, GradientsStillFlowWhenWanted) {
  auto model = random_glow("glow", {8, 0, 16, 2}, 3);
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto y = at::randn({1, 8, 4, 4, 4}, g).requires_grad_(true);
  const auto nll = model->nll(y, at::empty({1, 0, 4, 4, 4}));
  EXPECT_TRUE(nll.requires_grad());
  nll.sum().backward();
  EXPECT_GT(y.grad().abs().sum().item<double>(), 0.0);
}

namespace {

void expect_kernel_matches_float64(const packed_gemm::Kernel& k) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (const auto& [M, K, N] : std::vector<std::array<int64_t, 3>>{
           {1, 1, 1}, {13, 5, 17}, {15, 300, 33}, {29, 16, 512}, {256, 512, 32}, {3, 513, 64}}) {
    const int64_t Np = packed_gemm::padded(N, k), lda = K + 3, ldc = Np + 16;
    std::vector<float> A(std::size_t(M * lda)), B(std::size_t(N * K)), bias(std::size_t(Np), 0.0f);
    for (auto& v : A) v = normal(rng);
    for (auto& v : B) v = normal(rng);
    for (int64_t n = 0; n < N; ++n) bias[std::size_t(n)] = normal(rng);
    std::vector<float> packed(std::size_t(Np * K));
    k.pack(B.data(), N, K, packed.data());
    for (const bool relu : {false, true}) {
      std::vector<float> C(std::size_t(M * ldc), NAN);
      k.gemm(A.data(), lda, M, K, packed.data(), Np, bias.data(), relu, C.data(), ldc, relu ? B.data() : nullptr,
             relu ? int64_t(B.size()) : 0);  // what to fetch next changes no result
      double worst = 0;
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < Np; ++n) {
          double want = n < N ? bias[std::size_t(n)] : 0.0;
          for (int64_t q = 0; n < N && q < K; ++q) want += double(A[std::size_t(m * lda + q)]) * B[std::size_t(n * K + q)];
          if (relu) want = std::max(want, 0.0);
          // relative to the scale of the sum (√K for unit normals): float32 rounding is ~1e-6 of it
          worst = std::max(worst, std::abs(C[std::size_t(m * ldc + n)] - want) / (std::sqrt(double(K)) + std::abs(want)));
        }
      EXPECT_LT(worst, 1e-5) << k.isa << " M " << M << " K " << K << " N " << N << (relu ? " relu" : "");
    }
  }
}

}  // namespace

TEST(PackedGemm, EveryKernelThisCpuRunsMatchesFloat64) {
  expect_kernel_matches_float64(packed_gemm::baseline_kernel());
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (packed_gemm::avx2_kernel() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    expect_kernel_matches_float64(*packed_gemm::avx2_kernel());
  if (packed_gemm::avx512_kernel() && __builtin_cpu_supports("avx512f"))
    expect_kernel_matches_float64(*packed_gemm::avx512_kernel());
#endif
  std::cout << "[ measured ] the Glow CPU path uses the " << packed_gemm::kernel().isa << " kernel\n";
}
