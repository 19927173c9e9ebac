#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <cstring>

#include <tbb/global_control.h>

#include "blend.h"
#include "npy.h"
#include "sliding_window.h"

using namespace screener;
using namespace screener::aggregator;
namespace fs = std::filesystem;

namespace {
struct Case {
  Index3 size, roi, res;  // res: resolution of the patch predictions
  int64_t channels;
  double overlap;
  BlendMode mode;
};

// Our blend of random patch predictions vs the MONAI transcription.
double max_difference(const Case& c) {
  const auto plan = patcher::plan_windows(c.size, c.roi, c.overlap);
  const int64_t n = int64_t(plan.starts.size()), per = c.channels * c.res[0] * c.res[1] * c.res[2];
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::vector<float> preds(std::size_t(n * per));
  for (auto& v : preds) v = noise(rng);
  std::vector<int64_t> starts;
  Accumulator acc(c.size, c.channels);
  const auto w = importance_map(c.roi, c.mode);
  for (int64_t i = 0; i < n; ++i) {
    const auto& s = plan.starts[std::size_t(i)];
    starts.insert(starts.end(), s.begin(), s.end());
    const float* p = preds.data() + i * per;
    std::vector<float> up;
    if (c.res != c.roi) {
      up = upsample_trilinear(p, c.channels, c.res, c.roi);
      p = up.data();
    }
    acc.add(p, s, c.roi, w);
  }
  const auto ours = acc.result();

  const fs::path dir = fs::temp_directory_path() / ("blend-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  test::save_npy(dir / "p.npy", preds.data(), {n, c.channels, c.res[0], c.res[1], c.res[2]});
  test::save_npy(dir / "s.npy", starts.data(), {n, 3});
  std::vector<std::string> args{(dir / "p.npy").string(), (dir / "s.npy").string(), (dir / "o.npy").string()};
  for (auto v : c.size) args.push_back(std::to_string(v));
  for (auto v : c.roi) args.push_back(std::to_string(v));
  args.push_back(c.mode == BlendMode::gaussian ? "gaussian" : "constant");
  test::run_python(PLUGIN_TEST_DIR "/blend_oracle.py", args);
  const auto ref = test::load_npy(dir / "o.npy").as_double();
  fs::remove_all(dir);
  EXPECT_EQ(ref.size(), ours.size());
  double worst = 0;
  for (std::size_t i = 0; i < std::min(ref.size(), ours.size()); ++i) worst = std::max(worst, std::abs(ref[i] - ours[i]));
  return worst;
}
}  // namespace

TEST(Blend, GaussianFullResolutionMatchesMonai) {
  EXPECT_LT(max_difference({{61, 47, 38}, {24, 24, 16}, {24, 24, 16}, 1, 0.5, BlendMode::gaussian}), 1e-5);
}

TEST(Blend, ConstantModeMatchesMonai) {
  EXPECT_LT(max_difference({{50, 33, 29}, {16, 16, 12}, {16, 16, 12}, 2, 0.25, BlendMode::constant}), 1e-5);
}

TEST(Blend, PooledPredictionsAreUpsampledLikeTorchTrilinear) {
  EXPECT_LT(max_difference({{70, 52, 41}, {24, 24, 16}, {8, 8, 8}, 1, 0.5, BlendMode::gaussian}), 1e-5);
}

TEST(Blend, VolumeSmallerThanTheRoi) {
  EXPECT_LT(max_difference({{13, 30, 9}, {16, 16, 12}, {8, 8, 6}, 1, 0.5, BlendMode::gaussian}), 1e-5);
}

TEST(Blend, ImportanceMapFollowsMonai) {
  const auto w = importance_map({96, 96, 64}, BlendMode::gaussian);
  // Not renormalised: the centre value is below 1 for even sizes, the corners
  // are clamped at 1e-3 (their gaussian value is smaller).
  const float centre = w[std::size_t((47 * 96 + 47) * 64 + 31)];
  const float x0 = 0.5f / 12.0f, x2 = 0.5f / 8.0f;
  EXPECT_NEAR(centre, std::exp(-0.5f * (2 * x0 * x0 + x2 * x2)), 1e-6);
  EXPECT_FLOAT_EQ(w[0], 1e-3f);
}

TEST(Blend, IdentityPatchesReassembleTheVolume) {
  const Index3 size{40, 37, 21}, roi{16, 16, 8};
  std::vector<float> volume(std::size_t(size[0] * size[1] * size[2]));
  for (std::size_t i = 0; i < volume.size(); ++i) volume[i] = float(std::sin(0.01 * double(i)));
  Accumulator acc(size, 1);
  const auto w = importance_map(roi, BlendMode::gaussian);
  for (const auto& s : patcher::plan_windows(size, roi, 0.5).starts) {
    std::vector<float> p(std::size_t(roi[0] * roi[1] * roi[2]), 0.0f);
    for (int64_t a = 0; a < roi[0]; ++a)
      for (int64_t b = 0; b < roi[1]; ++b)
        for (int64_t c = 0; c < roi[2]; ++c)
          p[std::size_t((a * roi[1] + b) * roi[2] + c)] = volume[std::size_t(((s[0] + a) * size[1] + s[1] + b) * size[2] + s[2] + c)];
    acc.add(p.data(), s, roi, w);
  }
  const auto out = acc.result();
  for (std::size_t i = 0; i < volume.size(); ++i) ASSERT_NEAR(out[i], volume[i], 1e-5) << i;
}

// Windows added in one batch (in parallel over rows, upsampled on the fly)
// give the same bytes on 1 thread and on many, and the same bytes as one
// add() per window of its upsample_trilinear'd prediction.
TEST(Blend, BatchesAreTheSameBytesAsOneWindowAtATimeOnAnyNumberOfThreads) {
  const Index3 size{75, 61, 40}, roi{24, 20, 16}, res{9, 7, 16};
  const int64_t channels = 2, per = channels * res[0] * res[1] * res[2];
  std::mt19937 rng(4);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  const auto w = importance_map(roi, BlendMode::gaussian);
  std::vector<Index3> starts;
  for (int64_t a = -5; a < size[0]; a += 11)
    for (int64_t b = 0; b < size[1]; b += 9)
      for (int64_t c = -3; c < size[2]; c += 8) starts.push_back({a, b, c});
  std::vector<float> preds(starts.size() * std::size_t(per));
  for (auto& v : preds) v = noise(rng);

  Accumulator one_by_one(size, channels);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const auto up = upsample_trilinear(preds.data() + i * std::size_t(per), channels, res, roi);
    one_by_one.add(up.data(), starts[i], roi, w);
  }
  const auto expected = one_by_one.result();
  std::vector<Window> windows;
  for (std::size_t i = 0; i < starts.size(); ++i)
    windows.push_back({preds.data() + i * std::size_t(per), res, starts[i], roi, &w});
  for (int threads : {1, 4}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, std::size_t(threads));
    Accumulator batch(size, channels);
    // In two batches, as the stage adds whatever is next in line.
    batch.add(std::vector<Window>(windows.begin(), windows.begin() + 7));
    batch.add(std::vector<Window>(windows.begin() + 7, windows.end()));
    const auto got = batch.result();
    ASSERT_EQ(got.size(), expected.size());
    EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.size() * sizeof(float)), 0) << threads << " threads";
  }
}
