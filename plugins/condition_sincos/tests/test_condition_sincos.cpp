// Sin-cos position encodings against a direct evaluation of the formula, for
// voxels addressed by their place in the whole volume.
#include <gtest/gtest.h>

#include <cmath>

#include "model_testing.h"

using namespace screener;

namespace {

std::shared_ptr<Patch> window_of(const std::shared_ptr<Volume>& source, Index3 start, Index3 roi) {
  auto p = std::make_shared<Patch>();
  p->source = source;
  p->start = start;
  p->roi = roi;
  p->data = Tensor::zeros({1, roi[0], roi[1], roi[2]}, DType::float32);
  return p;
}

at::Tensor run(harness::StageRun& stage, std::shared_ptr<Patch> patch) {
  auto study = std::make_shared<Study>();
  study->id = "s";
  Inputs in(stage.spec.inputs(), {Packet{study, patch, 0, 1, nullptr}});
  harness::CapturingEmitter out;
  stage.stage->process(in, out);
  const auto& c = payload_as<Patch>(out.emitted.at("conditions"));
  return torch_support::to_aten(c.data, c10::kCPU).clone();
}

}  // namespace

TEST(ConditionSincos, EncodesEachVoxelsPositionInTheWholeVolume) {
  Geometry grid;
  grid.size = {200, 180, 90};
  grid.spacing = {1.5, 0.75, 2.25};
  auto source = harness::volume_of(grid, Tensor::zeros({1, 1, 1}, DType::float32));
  harness::StageRun stage(Json{{"frequencies", 3}, {"min_wavelength_mm", 10.0}, {"max_wavelength_mm", 160.0},
                              {"device", "cpu"}});
  const Index3 start{48, -6, 26}, roi{32, 24, 16};
  const auto c = run(stage, window_of(source, start, roi));
  ASSERT_EQ(c.sizes(), (std::vector<int64_t>{18, 32, 24, 16}));
  const double wavelengths[3] = {10.0, 40.0, 160.0};
  double worst = 0;
  const auto acc = c.accessor<float, 4>();
  for (int64_t i = 0; i < roi[0]; i += 3)
    for (int64_t j = 0; j < roi[1]; j += 5)
      for (int64_t k = 0; k < roi[2]; k += 2)
        for (int axis = 0; axis < 3; ++axis) {
          const int64_t index[3] = {i, j, k};
          const double mm = double(start[std::size_t(axis)] + index[axis]) * grid.spacing[std::size_t(axis)];
          for (int f = 0; f < 3; ++f) {
            const double angle = 2 * M_PI * mm / wavelengths[f];
            worst = std::max(worst, std::abs(acc[axis * 6 + f][i][j][k] - std::sin(angle)));
            worst = std::max(worst, std::abs(acc[axis * 6 + 3 + f][i][j][k] - std::cos(angle)));
          }
        }
  EXPECT_LT(worst, 1e-5);
}

TEST(ConditionSincos, OverlappingWindowsAgreeWhereTheyOverlap) {
  Geometry grid;
  grid.size = {100, 100, 60};
  grid.spacing = {1.5, 1.5, 2.25};
  auto source = harness::volume_of(grid, Tensor::zeros({1, 1, 1}, DType::float32));
  harness::StageRun stage(Json{{"device", "cpu"}});
  const auto a = run(stage, window_of(source, {0, 0, 0}, {32, 32, 32}));
  const auto b = run(stage, window_of(source, {16, 8, 16}, {32, 32, 32}));
  EXPECT_EQ(a.size(0), 24);
  EXPECT_TRUE(at::allclose(a.slice(1, 16).slice(2, 8).slice(3, 16), b.slice(1, 0, 16).slice(2, 0, 24).slice(3, 0, 16)));
  EXPECT_FALSE(at::allclose(a, b)) << "different windows must get different encodings";
}

TEST(ConditionSincos, CudaMatchesTheCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device (or a CPU-only LibTorch): the CUDA path is not tested here";
  Geometry grid;
  grid.size = {300, 260, 120};
  grid.spacing = {0.9, 1.1, 2.5};
  auto source = harness::volume_of(grid, Tensor::zeros({1, 1, 1}, DType::float32));
  const auto window = window_of(source, {150, 97, 40}, {96, 96, 64});
  harness::StageRun cpu(Json{{"device", "cpu"}});
  const auto expected = run(cpu, window);
  for (const std::string precision : {"fp32", "bf16"}) {
    harness::StageRun gpu(Json{{"device", "cuda"}, {"precision", precision}});
    const auto got = run(gpu, window).to(at::kFloat);
    EXPECT_LT(model_testing::reported_l2("condition_sincos " + precision, got, expected), precision == "fp32" ? 1e-6 : 1e-2);
  }
}
