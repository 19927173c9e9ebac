// The density models against the PyTorch reference: random-initialised
// state_dicts in the documented format, fresh random descriptor and
// condition maps, NLL maps within 1e-4 relative L2.
#include <gtest/gtest.h>

#include <ATen/Context.h>

#include "model_testing.h"

using namespace screener;
using model_testing::reference_case;

namespace {

struct Case {
  std::string kind;
  std::vector<std::string> args;
};

void expect_matches_reference(const Case& c) {
  const auto dir = reference_case(c.kind, c.args);
  harness::StageRun run(Json{{"checkpoint", (dir / "state_dict.pt").string()}, {"device", "cpu"}});
  const auto y = model_testing::load_tensor(dir / "descriptors.npy");
  const auto cond = model_testing::load_tensor(dir / "conditions.npy");
  const auto expected = model_testing::load_tensor(dir / "output.npy");
  const auto got = model_testing::run_batch(run, {y, cond}, "nll");
  ASSERT_EQ(got.sizes(), expected.sizes()) << dir;
  EXPECT_LT(model_testing::relative_l2(got, expected), 1e-4) << c.kind << ", case in " << dir;
  EXPECT_GT(expected.std().item<double>(), 1e-3) << "a degenerate reference proves nothing";
}

}  // namespace

TEST(Density, GaussianMatchesPyTorch) {
  expect_matches_reference({"gaussian", {"--d", "32", "--dc", "0", "--shape", "48", "48", "32", "--batch", "2"}});
}
TEST(Density, ConditionalGaussianMatchesPyTorch) {
  expect_matches_reference(
      {"conditional_gaussian", {"--d", "32", "--dc", "24", "--hidden", "32", "--shape", "48", "48", "32", "--batch", "2"}});
}
TEST(Density, GlowMatchesPyTorch) {
  expect_matches_reference(
      {"glow", {"--d", "32", "--dc", "0", "--blocks", "8", "--hidden", "64", "--shape", "48", "48", "32", "--batch", "2"}});
}
TEST(Density, OfficialSizeGlowMatchesPyTorch) {  // 64 blocks, hidden 512
  expect_matches_reference({"glow", {"--d", "32", "--dc", "0", "--blocks", "64", "--hidden", "512", "--shape", "24",
                                     "24", "16"}});
}
TEST(Density, ConditionalGlowMatchesPyTorch) {
  expect_matches_reference({"conditional_glow", {"--d", "32", "--dc", "16", "--blocks", "8", "--hidden", "64",
                                                 "--shape", "48", "48", "32", "--batch", "2"}});
}

TEST(Density, AConditionTheModelDoesNotTakeIsRefused) {
  const auto dir = reference_case("gaussian", {"--d", "32", "--dc", "0", "--shape", "24", "24", "16"});
  harness::StageRun run(Json{{"checkpoint", (dir / "state_dict.pt").string()}, {"device", "cpu"}});
  const auto y = model_testing::load_tensor(dir / "descriptors.npy");
  try {
    model_testing::run_batch(run, {y, at::rand({1, 24, 24, 24, 16})}, "nll");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("connect condition_none"), std::string::npos) << e.what();
  }
  try {
    model_testing::run_batch(run, {y.narrow(1, 0, 16), at::rand({1, 0, 24, 24, 16})}, "nll");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("descriptors have 16 channels"), std::string::npos) << e.what();
  }
}

TEST(Density, TheNamedModelMustMatchTheCheckpoint) {
  const auto dir = reference_case("glow", {"--d", "32", "--dc", "0", "--blocks", "2", "--hidden", "16", "--shape", "24",
                                           "24", "16"});
  try {
    harness::StageRun run(Json{{"checkpoint", (dir / "state_dict.pt").string()}, {"model", "gaussian"}, {"device", "cpu"}});
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("holds a glow density model, not a gaussian one"), std::string::npos) << what;
  }
}

TEST(Density, AnUninitialisedActNormIsRefused) {
  const auto dir = reference_case("glow", {"--d", "8", "--dc", "0", "--blocks", "2", "--hidden", "16", "--shape", "24",
                                           "24", "16"});
  screener::test::run_python(std::filesystem::path(PLUGIN_TEST_DIR) / "uninitialise_actnorm.py",
                             {(dir / "state_dict.pt").string(), (dir / "raw.pt").string()});
  try {
    harness::StageRun run(Json{{"checkpoint", (dir / "raw.pt").string()}, {"device", "cpu"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("flows.1.actnorm.initialized is 0"), std::string::npos) << e.what();
  }
}

// Descriptors and conditions arrive on the GPU (as the model stages hand them
// over); the NLL map leaves it, small, for the aggregator.
TEST(Density, CudaMatchesPyTorch) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device (or a CPU-only LibTorch): the CUDA path is not tested here";
  const std::vector<Case> cases{
      {"gaussian", {"--d", "32", "--dc", "0", "--shape", "48", "48", "32", "--batch", "2"}},
      {"conditional_gaussian", {"--d", "32", "--dc", "24", "--hidden", "32", "--shape", "48", "48", "32", "--batch", "2"}},
      {"glow", {"--d", "32", "--dc", "0", "--blocks", "64", "--hidden", "512", "--shape", "48", "48", "32"}},
      {"conditional_glow", {"--d", "32", "--dc", "16", "--blocks", "8", "--hidden", "64", "--shape", "48", "48", "32",
                            "--batch", "2"}}};
  const c10::Device gpu(c10::kCUDA, 0);
  for (const auto& c : cases) {
    const auto dir = reference_case(c.kind, c.args);
    const auto y = model_testing::load_tensor(dir / "descriptors.npy").to(gpu);
    const auto cond = model_testing::load_tensor(dir / "conditions.npy").to(gpu);
    const auto expected = model_testing::load_tensor(dir / "output.npy");
    for (const auto& [precision, tolerance] : std::vector<std::pair<std::string, double>>{{"fp32", 1e-4}, {"tf32", 1e-2}}) {
      harness::StageRun run(Json{{"checkpoint", (dir / "state_dict.pt").string()}, {"device", "cuda"},
                                 {"precision", precision}});
      Device on{Device::Kind::cuda, 0};
      const auto got = model_testing::run_batch(run, {y, cond}, "nll", &on);
      EXPECT_TRUE(on.is_cpu()) << c.kind << ": the NLL map should come back to the host";
      EXPECT_LT(model_testing::reported_l2("density " + c.kind + " " + precision, got, expected), tolerance)
          << c.kind << " " << precision << ", case in " << dir;
    }
  }
}
