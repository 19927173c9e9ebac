// The learned condition against the PyTorch reference: a UNet with an extra
// mask channel, fed [image, ones] at inference.
#include <gtest/gtest.h>

#include <ATen/Context.h>

#include "model_testing.h"

using namespace screener;
using model_testing::reference_case;

TEST(ConditionLearned, MatchesPyTorchWithAnAllOnesMaskChannel) {
  const auto dir = reference_case("descriptor", {"--size", "tiny", "--in-channels", "2", "--mask-ones", "--d", "16",
                                                 "--shape", "64", "32", "32", "--batch", "2"});
  harness::StageRun run(Json{{"checkpoint", (dir / "state_dict.pt").string()}, {"size", "tiny"}, {"d_cond", 16},
                             {"device", "cpu"}});
  const auto input = model_testing::load_tensor(dir / "input.npy");
  ASSERT_TRUE(input.select(1, 1).eq(1).all().item<bool>()) << "the reference's mask channel must be all ones";
  const auto got = model_testing::run_batch(run, {input.narrow(1, 0, 1)}, "conditions");
  EXPECT_LT(model_testing::relative_l2(got, model_testing::load_tensor(dir / "output.npy")), 1e-4) << dir;
}

TEST(ConditionLearned, ADescriptorCheckpointIsRefused) {
  // One input channel where the condition network expects [image, mask].
  const auto dir = reference_case("descriptor", {"--size", "tiny", "--shape", "32", "32", "32"});
  try {
    harness::StageRun run(Json{{"checkpoint", (dir / "state_dict.pt").string()}, {"size", "tiny"}, {"device", "cpu"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unet.stem_conv.weight: (8, 1, 3, 3, 3), expected (8, 2, 3, 3, 3)"),
              std::string::npos)
        << e.what();
  }
  // Without the mask channel the same file loads.
  EXPECT_NO_THROW(harness::StageRun(Json{{"checkpoint", (dir / "state_dict.pt").string()}, {"size", "tiny"},
                                         {"mask_channel", false}, {"device", "cpu"}}));
}

TEST(ConditionLearned, CudaMatchesTheCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device (or a CPU-only LibTorch): the CUDA path is not tested here";
  const auto dir = reference_case("descriptor", {"--size", "tiny", "--in-channels", "2", "--mask-ones", "--d", "16",
                                                 "--shape", "96", "96", "64", "--batch", "2"});
  const auto image = model_testing::load_tensor(dir / "input.npy").narrow(1, 0, 1).to(c10::Device(c10::kCUDA, 0));
  const auto expected = model_testing::load_tensor(dir / "output.npy");
  const std::vector<std::pair<std::string, double>> tolerances{
      {"fp32", 1e-4}, {"tf32", 1e-2}, {"fp16", 5e-3}, {"bf16", 3e-2}};
  for (const auto& [precision, tolerance] : tolerances) {
    harness::StageRun run(Json{{"checkpoint", (dir / "state_dict.pt").string()}, {"size", "tiny"}, {"d_cond", 16},
                               {"device", "cuda"}, {"precision", precision}});
    Device on;
    const auto got = model_testing::run_batch(run, {image}, "conditions", &on);
    EXPECT_FALSE(on.is_cpu()) << precision << ": the conditions left the GPU";
    EXPECT_LT(model_testing::reported_l2("condition tiny " + precision, got.to(at::kFloat), expected), tolerance)
        << precision;
  }
}
