// The AnatPaste voxel classifier against PyTorch (tests/reference/anatpaste_reference.py):
// the scoring stage's forward pass, and one training step as the trainer
// takes it (BCE with logits, clipping, AdamW); a batch's targets are exactly
// the changed voxels inside the body; other checkpoints are refused by key.
#include <gtest/gtest.h>

#include "classifier_training.h"
#include "model_testing.h"
#include "state_dict.h"
#include "training.h"
#include "unet.h"

using namespace screener;
using namespace screener::torch_support;
namespace fs = std::filesystem;

namespace {

fs::path reference_step(const std::vector<std::string>& extra = {}) {
  const fs::path dir = model_testing::fresh_dir("anatpaste");
  std::vector<std::string> args{"step", dir.string(), "--seed", model_testing::fresh_seed()};
  args.insert(args.end(), extra.begin(), extra.end());
  test::run_python(fs::path(SCREENER_REFERENCE_DIR) / "anatpaste_reference.py", args);
  return dir;
}

Json stage_params(const fs::path& checkpoint, const std::string& output = "logit") {
  return Json{{"checkpoint", checkpoint.string()}, {"size", "micro"}, {"device", "cpu"}, {"output", output}};
}

}  // namespace

TEST(AnatPaste, ScoringStageMatchesPyTorch) {
  const auto dir = reference_step();
  const auto input = model_testing::load_tensor(dir / "input.npy");
  const auto expected = model_testing::load_tensor(dir / "logits.npy");
  harness::StageRun run(stage_params(dir / "state_dict.pt"));
  const auto got = model_testing::run_batch(run, {input}, "scores");
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LT(model_testing::relative_l2(got, expected), 1e-5) << "case in " << dir;
  EXPECT_GT(expected.std().item<double>(), 1e-3) << "a degenerate reference proves nothing";
  harness::StageRun probabilities(stage_params(dir / "state_dict.pt", "probability"));
  const auto p = model_testing::run_batch(probabilities, {input}, "scores");
  EXPECT_LT(model_testing::relative_l2(p, expected.sigmoid()), 1e-5);
}

TEST(AnatPaste, OneTrainingStepMatchesPyTorch) {
  const double lr = 1e-3, weight_decay = 1e-2, clip = 0.5;
  const auto dir = reference_step({"--lr", "0.001", "--weight-decay", "0.01", "--clip", "0.5"});
  const StateDict before = load_state_dict(dir / "state_dict.pt");
  const StateDict after = load_state_dict(dir / "after.pt");
  StateDict params;
  for (const auto& [key, t] : before)
    if (!is_discarded_attention_key(key)) params[key] = t.clone().requires_grad_(true);
  TrainerOptions options;
  options.output_dir = model_testing::fresh_dir("anatpaste-step");
  options.name = "anatpaste";
  options.steps = 1;
  options.lr = lr;
  options.clip = clip;
  options.adam.weight_decay = weight_decay;
  Trainer trainer(options, params, {}, [](const std::string&) {});
  WeightReader reader(trainer.model(), "(training)");
  const UNet net("micro", 1, 1, reader);
  const at::Tensor logits = net.forward(model_testing::load_tensor(dir / "input.npy"));
  EXPECT_LT(model_testing::relative_l2(logits, model_testing::load_tensor(dir / "logits.npy")), 1e-5);
  const at::Tensor loss = anatpaste::classifier_loss(logits, model_testing::load_tensor(dir / "target.npy"));
  const Json reference = Json::parse(std::ifstream(dir / "loss.json"));
  EXPECT_NEAR(loss.item<double>(), reference["loss"].get<double>(), 1e-5 * reference["loss"].get<double>());
  trainer.update(loss, {});
  // The clipped gradients, then the AdamW step. AdamW's first step is
  // lr · g / (|g| + eps): about lr · sign(g), so where a gradient is float
  // noise around 0 (|g| below 1e-3 of its tensor's RMS) its sign, hence the
  // step, is arbitrary in either implementation; those elements are left out.
  const StateDict grads = load_state_dict(dir / "grads.pt");
  std::vector<at::Tensor> got_g, want_g, got_p, want_p, got_step, want_step;
  for (const auto& [key, t] : trainer.model()) {
    ASSERT_TRUE(after.count(key) && grads.count(key)) << key;
    const at::Tensor g = grads.at(key), was = before.at(key);
    got_g.push_back(t.grad().flatten()), want_g.push_back(g.flatten());
    const at::Tensor defined = g.abs() >= 1e-3 * g.pow(2).mean().sqrt();
    const at::Tensor p = at::where(defined, t.detach(), after.at(key));
    got_p.push_back(p.flatten()), want_p.push_back(after.at(key).flatten());
    got_step.push_back((p - was).flatten()), want_step.push_back((after.at(key) - was).flatten());
  }
  EXPECT_LT(model_testing::relative_l2(at::cat(got_g), at::cat(want_g)), 1e-5) << "gradients";
  EXPECT_LT(model_testing::relative_l2(at::cat(got_p), at::cat(want_p)), 1e-5) << "parameters after the step";
  EXPECT_LT(model_testing::relative_l2(at::cat(got_step), at::cat(want_step)), 1e-4) << "the step itself";
  EXPECT_GT(at::cat(want_step).norm().item<double>(), 0);
}

TEST(AnatPaste, BatchTargetsAreTheChangedVoxelsInsideTheBody) {
  anatpaste::StudyForTraining study;
  study.image = at::rand({40, 36, 34}, at::kFloat);
  study.body.assign(std::size_t(study.image.numel()), 0);
  for (int64_t x = 4; x < 36; ++x)
    for (int64_t y = 4; y < 32; ++y)
      for (int64_t z = 0; z < 34; ++z) study.body[std::size_t((x * 36 + y) * 34 + z)] = 1;
  study.spacing = {1.5, 1.5, 2.25};
  anatpaste::BatchOptions o;
  o.crops = 3;
  o.paste.patches = 2;
  at::Generator gen = step_generator(7, 0);
  const auto batch = anatpaste::draw_batch({&study}, o, gen);
  ASSERT_EQ(batch.inputs.sizes(), at::IntArrayRef({6, 1, 32, 32, 32}));
  EXPECT_EQ(batch.targets.slice(0, 0, 3).sum().item<double>(), 0) << "the originals are all normal";
  const at::Tensor changed = (batch.inputs.slice(0, 3) != batch.inputs.slice(0, 0, 3)).to(at::kFloat);
  EXPECT_TRUE(at::equal(changed, batch.targets.slice(0, 3))) << "targets must be exactly the changed voxels";
  EXPECT_GT(changed.sum().item<double>(), 0);
  at::Generator again = step_generator(7, 0);
  EXPECT_TRUE(at::equal(anatpaste::draw_batch({&study}, o, again).inputs, batch.inputs)) << "same (seed, step)";
}

TEST(AnatPaste, CheckpointsOfOtherModelsAreRefusedNamingTheKeys) {
  // A descriptor (32 output channels): the heads are mis-shaped.
  const auto desc = model_testing::reference_case("descriptor", {"--size", "micro", "--shape", "32", "32", "32"});
  try {
    harness::StageRun run(stage_params(desc / "state_dict.pt"));
    FAIL() << "a descriptor checkpoint was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("anatpaste"), std::string::npos) << m;
    EXPECT_NE(m.find("convs.0.weight"), std::string::npos) << m;
  }
  // A density model: nothing of the UNet is there.
  const auto density = model_testing::reference_case("gaussian", {"--d", "8"});
  try {
    harness::StageRun run(stage_params(density / "state_dict.pt"));
    FAIL() << "a density checkpoint was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("unet.stem_conv.weight"), std::string::npos) << m;
  }
  // The right layout at the wrong size.
  const auto dir = reference_step();
  try {
    harness::StageRun run(Json{{"checkpoint", (dir / "state_dict.pt").string()}, {"size", "tiny"}, {"device", "cpu"}});
    FAIL() << "a micro checkpoint was accepted as tiny";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("mis-shaped keys"), std::string::npos) << m;
    EXPECT_NE(m.find("unet.time_embed.proj.0.weight: (128, 256), expected (512, 256)"), std::string::npos) << m;
  }
}
