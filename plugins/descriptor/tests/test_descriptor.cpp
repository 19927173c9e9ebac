// The descriptor against the PyTorch reference (tests/reference): the same
// random-initialised official-format state_dict, the same fresh random
// patches, outputs within 1e-4 relative L2.
#include <gtest/gtest.h>

#include <fstream>

#include <ATen/Context.h>

#include "model_testing.h"
#include "state_dict.h"

using namespace screener;
using model_testing::reference_case;

namespace {

Json params_for(const std::filesystem::path& dir, const std::string& size, const std::string& file = "state_dict.pt") {
  return Json{{"checkpoint", (dir / file).string()}, {"size", size}, {"device", "cpu"}};
}

void expect_matches_reference(const std::string& size, const std::vector<std::string>& shape, const std::string& batch) {
  std::vector<std::string> args{"--size", size, "--batch", batch, "--shape"};
  args.insert(args.end(), shape.begin(), shape.end());
  const auto dir = reference_case("descriptor", args);
  harness::StageRun run(params_for(dir, size));
  const auto input = model_testing::load_tensor(dir / "input.npy");
  const auto expected = model_testing::load_tensor(dir / "output.npy");
  const auto got = model_testing::run_batch(run, {input}, "descriptors");
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LT(model_testing::relative_l2(got, expected), 1e-4) << "size " << size << ", case in " << dir;
  EXPECT_GT(expected.std().item<double>(), 1e-3) << "a degenerate reference proves nothing";
}

}  // namespace

TEST(Descriptor, TinyMatchesPyTorchOnABatch) { expect_matches_reference("tiny", {"64", "64", "32"}, "2"); }
TEST(Descriptor, SmallMatchesPyTorch) { expect_matches_reference("small", {"32", "64", "32"}, "1"); }
TEST(Descriptor, BaseMatchesPyTorchOnAFullPatch) { expect_matches_reference("base", {"96", "96", "64"}, "1"); }

TEST(Descriptor, TheCheckpointCarriesAttentionWeightsThatAreIgnored) {
  const auto dir = reference_case("descriptor", {"--size", "tiny", "--shape", "32", "32", "32"});
  const auto weights = torch_support::load_state_dict(dir / "state_dict.pt");
  int attention = 0;
  for (const auto& [key, t] : weights) attention += key.find(".attn") != std::string::npos;
  EXPECT_GT(attention, 0);
  EXPECT_NO_THROW(harness::StageRun run(params_for(dir, "tiny")));
}

TEST(Descriptor, TorchScriptModuleGivesTheSameDescriptors) {
  const auto dir = reference_case("descriptor", {"--size", "tiny", "--shape", "32", "64", "32", "--torchscript"});
  harness::StageRun run(params_for(dir, "tiny", "module.ts"));
  const auto got = model_testing::run_batch(run, {model_testing::load_tensor(dir / "input.npy")}, "descriptors");
  EXPECT_LT(model_testing::relative_l2(got, model_testing::load_tensor(dir / "output.npy")), 1e-4);
}

TEST(Descriptor, AWrongSizeIsRefusedWithTheMisShapedKeys) {
  const auto dir = reference_case("descriptor", {"--size", "tiny", "--shape", "32", "32", "32"});
  try {
    harness::StageRun run(params_for(dir, "small"));
    FAIL() << "a tiny checkpoint was accepted as small";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("state_dict.pt"), std::string::npos) << what;
    EXPECT_NE(what.find("mis-shaped keys"), std::string::npos) << what;
    EXPECT_NE(what.find("unet.stem_conv.weight: (8, 1, 3, 3, 3), expected (12, 1, 3, 3, 3)"), std::string::npos) << what;
  }
}

TEST(Descriptor, MissingAndUnexpectedKeysAreListed) {
  const auto dir = reference_case("descriptor", {"--size", "tiny", "--shape", "32", "32", "32"});
  screener::test::run_python(std::filesystem::path(PLUGIN_TEST_DIR) / "edit_state_dict.py",
                             {(dir / "state_dict.pt").string(), (dir / "edited.pt").string(), "convs.3.bias",
                              "unet.extra_head.weight"});
  try {
    harness::StageRun run(params_for(dir, "tiny", "edited.pt"));
    FAIL() << "an incomplete checkpoint was accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("missing keys (1):\n    convs.3.bias (32)"), std::string::npos) << what;
    EXPECT_NE(what.find("unexpected keys (1):\n    unet.extra_head.weight"), std::string::npos) << what;
  }
}

TEST(Descriptor, NotACheckpointIsAClearError) {
  const auto dir = model_testing::fresh_dir("not-a-checkpoint");
  std::ofstream(dir / "weights.pt") << "not a zip file";
  try {
    harness::StageRun run(params_for(dir, "tiny", "weights.pt"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weights.pt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(harness::StageRun(Json{{"checkpoint", ""}}), Error);
}

TEST(Descriptor, DevicesAndPrecisionsAreChecked) {
  const auto dir = reference_case("descriptor", {"--size", "tiny", "--shape", "32", "32", "32"});
  auto p = params_for(dir, "tiny");
  p["precision"] = "fp16";
  EXPECT_THROW(harness::StageRun{p}, Error);  // half precision needs CUDA
  p["precision"] = "fp32";
  p["device"] = "gpu";
  EXPECT_THROW(harness::StageRun{p}, Error);
  if (!at::hasCUDA()) {
    p["device"] = "cuda";
    try {
      harness::StageRun run(p);
      FAIL() << "cuda accepted without CUDA";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("no CUDA"), std::string::npos) << e.what();
    }
  }
}

TEST(Descriptor, CudaMatchesTheCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device (or a CPU-only LibTorch): the CUDA path is not tested here";
  const auto dir = reference_case("descriptor", {"--size", "small", "--shape", "96", "96", "64", "--batch", "2"});
  const auto input = model_testing::load_tensor(dir / "input.npy").to(c10::Device(c10::kCUDA, 0));
  const auto expected = model_testing::load_tensor(dir / "output.npy");
  auto p = params_for(dir, "small");
  p["device"] = "cuda:0";
  // fp32 is IEEE fp32 on the GPU too (no TF32): the reference's numbers.
  const std::vector<std::pair<std::string, double>> tolerances{
      {"fp32", 1e-4}, {"tf32", 1e-2}, {"fp16", 5e-3}, {"bf16", 3e-2}};
  for (const auto& [precision, tolerance] : tolerances) {
    p["precision"] = precision;
    harness::StageRun run(p);
    Device on;
    const auto got = model_testing::run_batch(run, {input}, "descriptors", &on);
    EXPECT_FALSE(on.is_cpu()) << precision << ": the descriptors left the GPU";
    EXPECT_LT(model_testing::reported_l2("descriptor small " + precision, got.to(at::kFloat), expected), tolerance)
        << precision;
  }
}

// The authors' Lightning checkpoint holds the descriptor under
// descriptor_model. next to the flow (glow_blocks.*): the descriptor stage
// takes its own part of the same file.
TEST(Descriptor, TheAuthorsLightningCheckpointGivesTheirDescriptors) {
  const auto dir = model_testing::authors_checkpoint({"--size", "tiny", "--blocks", "2", "--shape", "32", "64", "32"});
  harness::StageRun run(params_for(dir, "tiny", "model.ckpt"));
  const auto got = model_testing::run_batch(run, {model_testing::load_tensor(dir / "image.npy")}, "descriptors");
  const auto expected = model_testing::load_tensor(dir / "descriptors.npy");
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LT(model_testing::relative_l2(got, expected), 1e-5) << dir;
  auto p = params_for(dir, "tiny", "model.ckpt");
  p["d_desc"] = 16;
  try {
    harness::StageRun wrong(p);
    FAIL() << "d_desc 16 accepted for a checkpoint of descriptor_dim 32";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hyper_parameters.descriptor_dim is 32, but the stage's output channel count "
                                         "(d_desc) is 16"),
              std::string::npos)
        << e.what();
  }
}
