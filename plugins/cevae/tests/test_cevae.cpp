// The ceVAE against its PyTorch transcription (tests/reference/cevae_reference.py):
// the three voxel scores of a random checkpoint, and one AdamW training step,
// within 1e-5 relative; wrong checkpoints and patches refused by name; the
// context-encoding boxes.
#include <gtest/gtest.h>

#include <fstream>

#include "cevae_model.h"
#include "model_testing.h"
#include "training.h"

using namespace screener;
namespace fs = std::filesystem;

namespace {

// One reference case for the whole program: widths 4, 8; latent 16; patches 32×32×16; batch 2.
const fs::path& reference() {
  static const fs::path dir = [] {
    const fs::path d = model_testing::fresh_dir("cevae");
    test::run_python(fs::path(SCREENER_REFERENCE_DIR) / "cevae_reference.py",
                     {"case", d.string(), "--widths", "4", "8", "--latent", "16", "--roi", "32", "32", "16", "--batch",
                      "2", "--seed", model_testing::fresh_seed()});
    return d;
  }();
  return dir;
}

Json params(const std::string& score) {
  return Json{{"checkpoint", (reference() / "state_dict.pt").string()},
              {"widths", {4, 8}},
              {"latent", 16},
              {"score", score},
              {"device", "cpu"}};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(CeVae, ScoresMatchPyTorch) {
  const auto input = model_testing::load_tensor(reference() / "input.npy");
  for (const std::string score : {"rec", "kl_grad", "combi"}) {
    harness::StageRun run(params(score));
    const auto expected = model_testing::load_tensor(reference() / (score + ".npy"));
    const auto got = model_testing::run_batch(run, {input}, "nll");
    ASSERT_EQ(got.sizes(), expected.sizes()) << score;
    EXPECT_LT(model_testing::relative_l2(got, expected), 1e-5) << score << ", case in " << reference();
    EXPECT_GT(expected.std().item<double>(), 1e-3 * expected.abs().mean().item<double>()) << "a flat reference proves nothing";
  }
}

TEST(CeVae, APatchScoresTheSameAloneOrInABatch) {
  const auto input = model_testing::load_tensor(reference() / "input.npy");
  harness::StageRun run(params("combi"));
  const auto both = model_testing::run_batch(run, {input}, "nll");
  const auto alone = model_testing::run_batch(run, {input.narrow(0, 1, 1)}, "nll");
  EXPECT_LT(model_testing::relative_l2(alone[0], both[1]), 1e-6);
}

TEST(CeVae, OneTrainingStepMatchesPyTorch) {
  const fs::path dir = reference();
  torch_support::StateDict params = torch_support::load_state_dict(dir / "state_dict.pt");
  for (auto& [key, t] : params) t = t.detach().clone().requires_grad_(true);
  cevae::CeVaeShape shape;
  shape.widths = {4, 8};
  shape.latent = 16;
  shape.roi = {32, 32, 16};
  torch_support::WeightReader reader(params, dir / "state_dict.pt");
  const cevae::CeVae model(reader, shape);
  reader.finish("ceVAE");
  const auto x = cevae::to_model_range(model_testing::load_tensor(dir / "input.npy"));
  const auto noisy = model_testing::load_tensor(dir / "noisy.npy");
  const auto eps = model_testing::load_tensor(dir / "eps.npy");
  const auto loss = cevae::training_loss(model, x, noisy, eps, 0.01, 0.5);

  Json expected;
  std::ifstream(dir / "loss.json") >> expected;
  EXPECT_NEAR(loss.total.item<double>(), expected["loss"].get<double>(), 1e-5 * expected["loss"].get<double>());
  EXPECT_NEAR(loss.kl, expected["kl"].get<double>(), 1e-5 * expected["kl"].get<double>());
  EXPECT_NEAR(loss.rec_vae, expected["rec_vae"].get<double>(), 1e-5 * expected["rec_vae"].get<double>());
  EXPECT_NEAR(loss.rec_ce, expected["rec_ce"].get<double>(), 1e-5 * expected["rec_ce"].get<double>());

  torch_support::AdamWOptions adam;
  adam.weight_decay = 1e-2;
  torch_support::AdamW optimiser(params, adam);
  optimiser.zero_grad();
  loss.total.backward();
  optimiser.step(1e-3);
  const auto stepped = torch_support::load_state_dict(dir / "stepped.pt");
  ASSERT_EQ(stepped.size(), params.size());
  for (const auto& [key, t] : params) {
    const auto& after = stepped.at(key);
    EXPECT_LT(model_testing::relative_l2(t.detach(), after), 1e-5) << key;
    EXPECT_GT(model_testing::relative_l2(after, torch_support::load_state_dict(dir / "state_dict.pt").at(key)), 1e-6)
        << key << ": the step must move every weight";
  }
}

TEST(CeVae, ACheckpointOfAnotherMethodIsRefusedNamingTheKeys) {
  const fs::path file = model_testing::fresh_dir("cevae-wrong") / "density.pt";
  torch_support::save_state_dict({{"mean", at::zeros({32})}, {"log_var", at::zeros({32})}}, file);
  Json p = params("combi");
  p["checkpoint"] = file.string();
  const std::string what = error_of([&] { harness::StageRun run(p); });
  for (const char* expected : {"not a checkpoint of a ceVAE", "missing keys", "enc.0.weight", "dec_out.weight",
                               "unexpected keys", "log_var"})
    EXPECT_NE(what.find(expected), std::string::npos) << expected << " in: " << what;
}

TEST(CeVae, ACheckpointOfAnotherShapeIsRefusedNamingTheMisshapedKeys) {
  Json p = params("combi");
  p["widths"] = {4, 16};
  const std::string what = error_of([&] { harness::StageRun run(p); });
  for (const char* expected : {"mis-shaped keys", "enc.1.weight", "dec.0.weight", "set cevae.widths"})
    EXPECT_NE(what.find(expected), std::string::npos) << expected << " in: " << what;
  EXPECT_EQ(what.find("enc.0.weight"), std::string::npos) << "enc.0 fits: " << what;
}

TEST(CeVae, PatchesOfAnotherSizeAreRefused) {
  harness::StageRun run(params("rec"));
  const std::string what = error_of([&] { model_testing::run_batch(run, {at::rand({1, 1, 32, 32, 32})}, "nll"); });
  EXPECT_NE(what.find("set patcher.roi to [32,32,16]"), std::string::npos) << what;
}

TEST(CeVae, ContextNoiseFillsBoxesAndNothingElse) {
  const at::Tensor x = at::rand({6, 1, 32, 32, 16}) * 2 - 1;
  const cevae::BoxNoise noise{1, 3, 0.5};
  at::Generator gen = torch_support::step_generator(7, 3);
  at::Tensor mask;
  const at::Tensor noisy = cevae::context_noise(x, noise, gen, &mask);
  EXPECT_TRUE(at::equal(noisy.masked_select(~mask), x.masked_select(~mask))) << "voxels outside the boxes changed";
  const double lo = x.min().item<double>(), hi = x.max().item<double>();
  for (int64_t b = 0; b < x.size(0); ++b) {
    const at::Tensor inside = noisy[b].masked_select(mask[b]);
    ASSERT_GT(inside.numel(), 0) << "every patch gets at least one box";
    EXPECT_LE(std::get<0>(at::_unique(inside)).numel(), 3) << "each box holds one value";
    EXPECT_GE(inside.min().item<double>(), lo);
    EXPECT_LE(inside.max().item<double>(), hi);
    EXPECT_LE(double(inside.numel()), 0.75 * double(x[b].numel())) << "three boxes of at most half the side";
  }
  at::Generator again = torch_support::step_generator(7, 3);
  EXPECT_TRUE(at::equal(cevae::context_noise(x, noise, again), noisy)) << "the same (seed, step), the same boxes";
}
