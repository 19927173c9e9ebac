// The authors' Glow checkpoints (glow_blocks.*, Lightning .ckpt with the
// descriptor under descriptor_model. and hyper_parameters) against their
// layout transcribed in PyTorch (tests/reference/authors_reference.py).
#include <gtest/gtest.h>

#include "model_testing.h"

using namespace screener;
using model_testing::authors_checkpoint;

namespace {

Json params(const std::filesystem::path& ckpt, Json extra = Json::object()) {
  Json p{{"checkpoint", ckpt.string()}, {"device", "cpu"}};
  p.update(extra);
  return p;
}

std::string refusal(const Json& p) {
  try {
    harness::StageRun run(p);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << p.dump();
  return "";
}

void expect_nll_matches(const std::filesystem::path& dir, Json extra = Json::object()) {
  harness::StageRun run(params(dir / "model.ckpt", extra));
  const auto y = model_testing::load_tensor(dir / "descriptors.npy");
  const auto empty = at::zeros({y.size(0), 0, y.size(2), y.size(3), y.size(4)});
  const auto expected = model_testing::load_tensor(dir / "nll.npy");
  const auto got = model_testing::run_batch(run, {y, empty}, "nll");
  ASSERT_EQ(got.sizes(), expected.sizes()) << dir;
  EXPECT_LT(model_testing::relative_l2(got, expected), 1e-5) << dir;
  EXPECT_GT(expected.std().item<double>(), 1e-3) << "a degenerate reference proves nothing";
}

void edit(const std::filesystem::path& dir, const std::string& what) {
  screener::test::run_python(std::filesystem::path(PLUGIN_TEST_DIR) / "edit_authors_checkpoint.py",
                             {(dir / "model.ckpt").string(), (dir / (what + ".ckpt")).string(), what});
}

}  // namespace

TEST(AuthorsGlow, LightningCheckpointMatchesTheirModule) {
  expect_nll_matches(authors_checkpoint({"--blocks", "6", "--hidden", "64", "--shape", "48", "48", "32", "--batch", "2"}));
}

TEST(AuthorsGlow, BareStateDictWithoutPoolingMatches) {
  expect_nll_matches(authors_checkpoint({"--bare", "--no-pool", "--blocks", "3", "--d", "16", "--shape", "32", "32", "32"}),
                     Json{{"pool", {1, 1, 1}}});
}

TEST(AuthorsGlow, ThePoolingOfTheHyperParametersIsEnforced) {
  const auto dir = authors_checkpoint({"--pool", "2", "2", "2", "--blocks", "2", "--shape", "32", "32", "32"});
  const std::string what = refusal(params(dir / "model.ckpt"));
  EXPECT_NE(what.find("model.ckpt was trained on maps pooled [2,2,2]"), std::string::npos) << what;
  EXPECT_NE(what.find("set pool to [2,2,2]"), std::string::npos) << what;
  expect_nll_matches(dir, Json{{"pool", {2, 2, 2}}});
  edit(dir, "padding");
  const std::string padded = refusal(params(dir / "padding.ckpt", Json{{"pool", {2, 2, 2}}}));
  EXPECT_NE(padded.find("only kernel = stride without padding"), std::string::npos) << padded;
}

TEST(AuthorsGlow, MisShapedAndMissingKeysAreNamedAsInTheFile) {
  const auto dir = authors_checkpoint({"--blocks", "3", "--shape", "32", "32", "32"});
  edit(dir, "misshape_and_drop");
  const std::string what = refusal(params(dir / "misshape_and_drop.ckpt"));
  EXPECT_NE(what.find("misshape_and_drop.ckpt: not a checkpoint of a glow density model"), std::string::npos) << what;
  EXPECT_NE(what.find("glow_blocks.1.inv_linear.weight (read as flows.1.invconv.weight): (32, 16, 1, 1, 1), expected "
                      "(32, 32)"),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("missing keys (1):\n    glow_blocks.2.affine_coupling.mlp.4.bias (read as "
                      "flows.2.coupling.net.4.bias) (32)"),
            std::string::npos)
      << what;
  edit(dir, "depth_mismatch");
  const std::string depth = refusal(params(dir / "depth_mismatch.ckpt"));
  EXPECT_NE(depth.find("hyper_parameters.glow_depth is 4 but the weights have 3"), std::string::npos) << depth;
}

TEST(AuthorsGlow, ACheckpointOfAnotherMethodIsRefused) {
  // A descriptor's state_dict given to the density stage: nothing to score with.
  const auto dir = model_testing::reference_case("descriptor", {"--size", "tiny", "--shape", "32", "32", "32"});
  const std::string what = refusal(params(dir / "state_dict.pt"));
  EXPECT_NE(what.find("not a checkpoint of a known density model"), std::string::npos) << what;
  EXPECT_NE(what.find("it holds convs.* (12), unet.*"), std::string::npos) << what;
}
