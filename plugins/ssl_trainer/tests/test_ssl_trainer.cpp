// The dense SSL pieces against PyTorch (tests/reference/training_reference.py):
// VICReg and InfoNCE values, AdamW steps, state_dicts PyTorch can load; the
// view sampler's positives see the same point; a few steps lower each loss.
#include <gtest/gtest.h>

#include <fstream>

#include "model_testing.h"
#include "ssl_losses.h"
#include "training.h"
#include "unet.h"
#include "views.h"

using namespace screener;
using namespace screener::torch_support;
namespace fs = std::filesystem;

namespace {

fs::path oracle(const std::string& mode, const std::string& seed = "7") {
  const fs::path dir = model_testing::fresh_dir("training-" + mode);
  test::run_python(fs::path(SCREENER_REFERENCE_DIR) / "training_reference.py", {mode, dir.string(), "--seed", seed});
  return dir;
}

at::Tensor npy(const fs::path& f) { return model_testing::load_tensor(f).to(at::kDouble); }

Json read_json(const fs::path& f) { return Json::parse(std::ifstream(f)); }

ssl::ViewOptions plain_views() {
  ssl::ViewOptions o;
  o.roi = {32, 32, 32};
  o.brightness = o.contrast = 0, o.gamma_min = o.gamma_max = 1, o.noise_max = 0, o.blur_probability = 0;
  o.positives = 500;
  return o;
}

}  // namespace

TEST(Training, VICRegAndInfoNCEMatchPyTorch) {
  const fs::path dir = oracle("losses");
  const auto z1 = npy(dir / "z1.npy"), z2 = npy(dir / "z2.npy");
  const Json want = read_json(dir / "losses.json");
  const auto v = ssl::vicreg(z1, z2, {});
  // The inputs cross as float32 (the oracle computes on their float64 originals).
  EXPECT_NEAR(v.total.item<double>(), want["vicreg"]["total"].get<double>(), 1e-6);
  for (const auto& [name, value] : v.terms) EXPECT_NEAR(value, want["vicreg"][name].get<double>(), 1e-6) << name;
  EXPECT_GT(want["vicreg"]["variance"].get<double>(), 1e-3) << "a zero term would test nothing";
  EXPECT_NEAR(ssl::infonce(z1, z2, 0.1).total.item<double>(), want["infonce_0.1"].get<double>(), 1e-6);
  EXPECT_NEAR(ssl::infonce(z1, z2, 0.5).total.item<double>(), want["infonce_0.5"].get<double>(), 1e-6);
}

TEST(Training, AdamWMatchesTorchOptim) {
  const fs::path dir = oracle("adamw");
  at::Tensor p = npy(dir / "p0.npy").requires_grad_(true);
  AdamWOptions o;
  o.weight_decay = 0.1;
  AdamW adam({{"p", p}}, o);
  for (int i = 0; i < 3; ++i) {
    p.mutable_grad() = npy(dir / ("g" + std::to_string(i) + ".npy"));
    adam.step(1e-2);  // the oracle's lr
  }
  EXPECT_LT((p.detach() - npy(dir / "p3.npy")).abs().max().item<double>(), 1e-6);
}

TEST(Training, SavedStateDictsLoadInPyTorchAndBack) {
  const fs::path dir = model_testing::fresh_dir("training-save");
  StateDict d{{"unet.stem_conv.weight", at::randn({8, 1, 3, 3, 3})}, {"convs.0.bias", at::randn({32})},
              {"step", at::tensor(int64_t(12), at::kLong)}};
  for (auto dtype : {at::kFloat, at::kHalf}) {
    const fs::path f = dir / (dtype == at::kHalf ? "half.pt" : "float.pt");
    save_state_dict(d, f, dtype);
    test::run_python(fs::path(SCREENER_REFERENCE_DIR) / "training_reference.py", {"load", f.string(), (dir / "l.json").string()});
    const Json got = read_json(dir / "l.json");
    ASSERT_EQ(got.size(), d.size());
    EXPECT_EQ(got["unet.stem_conv.weight"]["shape"], Json({8, 1, 3, 3, 3}));
    EXPECT_EQ(got["convs.0.bias"]["dtype"], dtype == at::kHalf ? "torch.float16" : "torch.float32");
    EXPECT_EQ(got["step"]["dtype"], "torch.int64");
    EXPECT_NEAR(got["convs.0.bias"]["sum"].get<double>(), d["convs.0.bias"].sum().item<double>(), dtype == at::kHalf ? 0.05 : 1e-5);
    const StateDict back = load_state_dict(f);
    EXPECT_LT((back.at("unet.stem_conv.weight") - d["unet.stem_conv.weight"]).abs().max().item<double>(),
              dtype == at::kHalf ? 2e-3 : 0.0 + 1e-12);
  }
}

TEST(Training, PositivesOfAViewPairSeeTheSamePoint) {
  // A ramp: each voxel's value says where it is.
  const auto i = at::arange(60, at::kFloat).view({60, 1, 1}), j = at::arange(50, at::kFloat).view({1, 50, 1}),
             k = at::arange(40, at::kFloat).view({1, 1, 40});
  const at::Tensor volume = (i + 2 * j + 4 * k) / 300.0;
  auto o = plain_views();
  auto gen = step_generator(3, 0);
  for (int trial = 0; trial < 5; ++trial) {
    const auto pair = ssl::sample_view_pair(volume, o, gen);
    ASSERT_EQ(pair.first.sizes(), at::IntArrayRef({1, 32, 32, 32}));
    const auto a = pair.first.reshape(-1).index_select(0, pair.first_index);
    const auto b = pair.second.reshape(-1).index_select(0, pair.second_index);
    // Each view's voxel is within half a view voxel (≤ 0.625 volume voxels) of
    // the point per axis, plus as much again where interpolation clamps at a border.
    const double bound = (1 + 2 + 4) * (1.25 + 0.625) / 300.0;
    EXPECT_LT((a - b).abs().max().item<double>(), bound) << "trial " << trial;
    EXPECT_GT(at::std(a).item<double>(), 2 * bound) << "the points should spread over the overlap";
  }
}

TEST(Training, ConditionViewsCarryABlockMask) {
  auto o = plain_views();
  o.mask_ratio = 0.6;
  o.mask_block = {8, 8, 8};
  auto gen = step_generator(1, 0);
  double visible = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const auto pair = ssl::sample_view_pair(at::rand({40, 40, 40}), o, gen);
    ASSERT_EQ(pair.first.size(0), 2);
    const auto mask = pair.first[1];
    EXPECT_TRUE(((mask == 0) | (mask == 1)).all().item<bool>());
    EXPECT_TRUE((pair.first[0] * (1 - mask) == 0).all().item<bool>()) << "masked voxels must be hidden";
    visible += mask.mean().item<double>();
  }
  EXPECT_NEAR(visible / 20, 0.4, 0.08);
}

namespace {

// Steps of AdamW on one fixed batch; the first and last loss.
std::pair<double, double> fit(const std::string& loss, int64_t in_channels, double mask_ratio) {
  auto o = plain_views();
  o.mask_ratio = mask_ratio;
  auto gen = step_generator(5, 0);
  const auto volume = at::rand({48, 48, 40}, gen);
  const auto pair = ssl::sample_view_pair(at::avg_pool3d(volume.view({1, 1, 48, 48, 40}), 3, 1, 1).view({48, 48, 40}), o, gen);
  Initialisation init;
  auto params = initial_parameters([&](WeightReader& r) { UNet("micro", in_channels, 16, r); }, init);
  init.special = [](const std::string& key, at::IntArrayRef shape) {
    if (key[0] == '1' || key[0] == '4') return key.find("weight") != std::string::npos ? at::ones(shape) : at::zeros(shape);
    return at::Tensor();
  };
  auto expander = initial_parameters([&](WeightReader& r) { ssl::Expander(r, 16, 64); }, init);
  StateDict all = params;
  for (const auto& [k, t] : expander) all["e." + k] = t;
  AdamW adam(all, {});
  double first = 0, last = 0;
  const int steps = 20;
  for (int step = 0; step < steps; ++step) {
    WeightReader r(params, "test"), er(expander, "test");
    const UNet net("micro", in_channels, 16, r);
    const auto y = net.forward(at::stack({pair.first, pair.second}));
    const auto a = y[0].reshape({16, -1}).index_select(1, pair.first_index).t();
    const auto b = y[1].reshape({16, -1}).index_select(1, pair.second_index).t();
    const ssl::Expander e(er, 16, 64);
    const auto l = loss == "vicreg" ? ssl::vicreg(e(a), e(b), {}) : ssl::infonce(a, b, 0.1);
    adam.zero_grad();
    l.total.backward();
    clip_grad_norm(adam.params(), 1.0);
    adam.step(2e-3);
    if (step == 0) first = l.total.item<double>();
    if (step >= steps - 3) last += l.total.item<double>() / 3;  // the mean of the last three
  }
  return {first, last};
}

}  // namespace

TEST(Training, AFewStepsLowerEachLoss) {
  for (const auto& [loss, channels, mask] : {std::tuple{"vicreg", 1, 0.0}, {"infonce", 1, 0.0}, {"vicreg", 2, 0.6}}) {
    const auto [first, last] = fit(loss, channels, mask);
    EXPECT_LT(last, 0.93 * first) << loss << " with " << channels << " input channel(s): " << first << " -> " << last;
  }
}
