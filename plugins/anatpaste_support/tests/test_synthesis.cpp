// The synthesis touches only the body, its mask is exactly the voxels that
// changed, and it is deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "phantom.h"
#include "screener/error.h"
#include "synthesis.h"

using namespace screener;
using namespace screener::anatpaste;

namespace {

phantom::PhantomCT small_phantom(uint64_t seed) {
  phantom::PhantomOptions o;
  o.size = {64, 64, 40};
  o.spacing = {6, 6, 6};
  o.seed = seed;
  return phantom::make_phantom(o);
}

int64_t count(const std::vector<uint8_t>& m) { return std::accumulate(m.begin(), m.end(), int64_t{0}); }

}  // namespace

TEST(AnatPasteSynthesis, ChangesOnlyBodyVoxelsAndItsMaskIsExactlyTheChange) {
  for (uint64_t seed = 0; seed < 12; ++seed) {
    const auto ct = small_phantom(seed);
    const std::vector<float> in(ct.hu.begin(), ct.hu.end());
    SynthesisOptions o;
    o.patches = 3;
    o.side_mm = {20, 80};
    o.intensity_range = {-1000, 300};
    const auto r = synthesise(in, ct.body_mask, ct.geometry.size, ct.geometry.spacing, o, seed);
    ASSERT_EQ(r.volume.size(), in.size());
    ASSERT_EQ(r.anomalies.size(), 3u);
    int64_t changed = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const bool differs = r.volume[i] != in[i];
      ASSERT_EQ(bool(r.mask[i]), differs) << "voxel " << i << ", seed " << seed;
      if (differs) {
        ASSERT_TRUE(ct.body_mask[i]) << "voxel " << i << " outside the body changed, seed " << seed;
        ++changed;
      }
    }
    EXPECT_GT(changed, 0) << "seed " << seed << ": nothing pasted";
    for (const auto& a : r.anomalies) {
      const auto c = std::size_t((a.centre[0] * ct.geometry.size[1] + a.centre[1]) * ct.geometry.size[2] + a.centre[2]);
      EXPECT_TRUE(ct.body_mask[c]) << "a paste centred outside the body";
      EXPECT_GE(a.opacity, 150.0 / 255.0);
      EXPECT_TRUE(a.shape == "ellipsoid" || a.shape == "box");
    }
  }
}

TEST(AnatPasteSynthesis, HounsfieldVersionMasksTheVoxelsWhoseStoredValueChanged) {
  const auto ct = small_phantom(3);
  SynthesisOptions o;
  o.patches = 2;
  o.side_mm = {30, 60};
  o.intensity_range = {-1000, 300};
  const auto r = synthesise_hu(ct.hu, ct.body_mask, ct.geometry.size, ct.geometry.spacing, o, 42);
  int64_t changed = 0;
  for (std::size_t i = 0; i < ct.hu.size(); ++i) {
    ASSERT_EQ(bool(r.mask[i]), r.hu[i] != ct.hu[i]) << i;
    if (r.mask[i]) ASSERT_TRUE(ct.body_mask[i]) << i;
    changed += r.mask[i];
  }
  EXPECT_GT(changed, 100);
}

TEST(AnatPasteSynthesis, SameSeedSameResultOtherSeedOtherResult) {
  const auto ct = small_phantom(1);
  const std::vector<float> in(ct.hu.begin(), ct.hu.end());
  SynthesisOptions o;
  o.side_mm = {30, 60};
  o.intensity_range = {-1000, 300};
  const auto a = synthesise(in, ct.body_mask, ct.geometry.size, ct.geometry.spacing, o, 7);
  const auto b = synthesise(in, ct.body_mask, ct.geometry.size, ct.geometry.spacing, o, 7);
  const auto c = synthesise(in, ct.body_mask, ct.geometry.size, ct.geometry.spacing, o, 8);
  EXPECT_EQ(a.volume, b.volume);
  EXPECT_EQ(a.mask, b.mask);
  EXPECT_NE(a.mask, c.mask);
}

TEST(AnatPasteSynthesis, BoxSidesFollowSizeAndAspect) {
  const Index3 size{100, 100, 100};
  const std::vector<float> in(1000000, 0.5f);
  std::vector<uint8_t> body(in.size(), 1);
  SynthesisOptions o;
  o.patches = 20;
  o.side_mm = {10, 20};
  o.aspect = 0.5;
  const auto r = synthesise(in, body, size, {1, 1, 1}, o, 5);
  for (const auto& a : r.anomalies) {
    const double v = double(a.extent[0] * a.extent[1] * a.extent[2]);
    EXPECT_GE(std::cbrt(v), 9.0);
    EXPECT_LE(std::cbrt(v), 21.0);
    const auto [lo, hi] = std::minmax({a.extent[0], a.extent[1], a.extent[2]});
    EXPECT_GE(double(lo) / double(hi), 0.5 * 0.8);  // rounding to whole voxels
  }
}

TEST(AnatPasteSynthesis, NoBodyNothingPastedAndBadInputRefused) {
  const auto ct = small_phantom(2);
  const std::vector<float> in(ct.hu.begin(), ct.hu.end());
  const std::vector<uint8_t> none(in.size(), 0);
  const auto r = synthesise(in, none, ct.geometry.size, ct.geometry.spacing, {}, 1);
  EXPECT_EQ(r.volume, in);
  EXPECT_EQ(count(r.mask), 0);
  EXPECT_THROW(synthesise(in, std::vector<uint8_t>(10, 1), ct.geometry.size, ct.geometry.spacing, {}, 1), Error);
  SynthesisOptions bad;
  bad.opacity = {0.9, 0.5};
  EXPECT_THROW(synthesise(in, ct.body_mask, ct.geometry.size, ct.geometry.spacing, bad, 1), Error);
}
