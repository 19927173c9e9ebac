#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "hot_regions.h"
#include "npy.h"
#include "temp_dir.h"
#include "screener/error.h"
#include "screener/spec.h"

using namespace screener;
using namespace screener::preview;

namespace {
// 30 x 25 x 20 voxels: a quarter of them "outside the body" at the minimum,
// the rest low noise with blobs of several sizes and heights, some touching
// only at a corner (one region in 26-connectivity, two in 6).
std::vector<float> blobby_map(const Index3& n) {
  std::vector<float> map(std::size_t(n[0] * n[1] * n[2]));
  uint32_t state = 7;
  const double blobs[5][5] = {{6, 6, 5, 3.0, 2.5}, {20, 8, 12, 1.6, 4.0}, {12, 18, 14, 2.2, 2.0},
                              {25, 20, 4, 0.6, 6.0}, {4, 20, 16, 1.2, 3.0}};  // centre, radius, height
  for (int64_t i = 0; i < n[0]; ++i)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t k = 0; k < n[2]; ++k) {
        state = state * 1664525u + 1013904223u;
        double v = i < 8 && j < 6 ? -1.0 : 0.3 * double(state >> 8) / double(1 << 24);
        for (const auto& b : blobs) {
          const double d = std::sqrt((i - b[0]) * (i - b[0]) + (j - b[1]) * (j - b[1]) + (k - b[2]) * (k - b[2]));
          if (d <= b[3]) v = std::max(v, b[4] - 0.3 * d);
        }
        map[std::size_t((i * n[1] + j) * n[2] + k)] = float(v);
      }
  // Two voxels touching a blob's voxel only by a corner.
  map[std::size_t((9 * n[1] + 9) * n[2] + 8)] = 1.9f;
  map[std::size_t((10 * n[1] + 10) * n[2] + 9)] = 1.9f;
  return map;
}
}  // namespace

TEST(HotRegions, ComponentsRanksAndThresholdAgreeWithScipyAndNumpy) {
  test::TempDir dir;
  const Index3 n{30, 25, 20};
  const auto map = blobby_map(n);
  for (const auto& [percentile, core_voxels] : {std::pair{97.0, int64_t(10)}, std::pair{99.5, int64_t(1)}}) {
    const double threshold = percentile_above_minimum(map.data(), int64_t(map.size()), percentile);
    const HotRegions found = find_hot_regions(map.data(), n, threshold, 255, core_voxels);
    std::vector<uint8_t> ranks(map.size());
    for (int64_t i = 0; i < n[0]; ++i)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t k = 0; k < n[2]; ++k) ranks[std::size_t((i * n[1] + j) * n[2] + k)] = uint8_t(found.rank_at({i, j, k}));
    Json regions = Json::array();
    for (const auto& r : found.regions)
      regions.push_back({{"rank", r.rank}, {"voxels", r.voxels}, {"mass", r.mass}, {"core", r.core}, {"peak", r.peak},
                         {"peak_index", r.peak_index}, {"lo", r.lo}, {"hi", r.hi}});
    test::save_npy(dir.path() / "map.npy", map.data(), {n[0], n[1], n[2]});
    test::save_npy(dir.path() / "ranks.npy", ranks.data(), {n[0], n[1], n[2]});
    std::ofstream(dir.path() / "ours.json") << Json{{"percentile", percentile}, {"threshold", threshold},
                                                    {"core_voxels", core_voxels}, {"regions", regions}}.dump();
    test::run_python(PLUGIN_TEST_DIR "/regions_oracle.py",
                     {(dir.path() / "map.npy").string(), (dir.path() / "ranks.npy").string(),
                      (dir.path() / "ours.json").string()});
  }
}

TEST(HotRegions, AtMostTheRegionsAskedForAndNoneAboveEverything) {
  const Index3 n{30, 25, 20};
  const auto map = blobby_map(n);
  const double threshold = percentile_above_minimum(map.data(), int64_t(map.size()), 97);
  const HotRegions two = find_hot_regions(map.data(), n, threshold, 2, 10);
  ASSERT_EQ(two.regions.size(), 2u);
  EXPECT_EQ(two.regions[0].rank, 1);
  EXPECT_GE(two.regions[0].core, two.regions[1].core);
  const HotRegions none = find_hot_regions(map.data(), n, 1e9, 3, 10);
  EXPECT_TRUE(none.regions.empty());
  EXPECT_EQ(none.rank_at({5, 5, 5}), 0);
  EXPECT_THROW(find_hot_regions(map.data(), n, threshold, 0, 10), Error);
  EXPECT_THROW(find_hot_regions(map.data(), n, threshold, 3, 0), Error);
}

TEST(HotRegions, AFlatMapHasALevelAboveEveryValue) {
  const std::vector<float> flat(100, 2.0f);
  EXPECT_GT(percentile_above_minimum(flat.data(), 100, 50), 2.0);
}

TEST(HotRegions, ACompactHotRegionOutranksALargeFaintOneWhichOutranksASpeck) {
  // Excess over the threshold 1, mean over the hottest 27 voxels: a compact
  // cube of 3 x 3 x 3 at 4 (core 4), a faint slab of 10 x 10 x 10 at 0.5
  // (core 0.5, the largest sum, 500), a speck of 1 voxel at 9, the map's
  // highest (core 9 / 27 = 0.33).
  const Index3 n{30, 20, 20};
  std::vector<float> map(std::size_t(n[0] * n[1] * n[2]), 0.0f);
  auto at = [&](int64_t i, int64_t j, int64_t k) -> float& { return map[std::size_t((i * n[1] + j) * n[2] + k)]; };
  for (int64_t i = 0; i < 10; ++i)
    for (int64_t j = 0; j < 10; ++j)
      for (int64_t k = 0; k < 10; ++k) at(i, j, k) = 1.5f;
  for (int64_t i = 20; i < 23; ++i)
    for (int64_t j = 5; j < 8; ++j)
      for (int64_t k = 5; k < 8; ++k) at(i, j, k) = 5.0f;
  at(27, 15, 15) = 10.0f;
  const HotRegions found = find_hot_regions(map.data(), n, 1.0, 3, 27);
  ASSERT_EQ(found.regions.size(), 3u);
  EXPECT_EQ(found.regions[0].voxels, 27);
  EXPECT_DOUBLE_EQ(found.regions[0].core, 4.0);
  EXPECT_EQ(found.regions[1].voxels, 1000);
  EXPECT_DOUBLE_EQ(found.regions[1].mass, 500.0);
  EXPECT_DOUBLE_EQ(found.regions[1].core, 0.5);
  EXPECT_EQ(found.regions[2].peak_index, (Index3{27, 15, 15}));
  EXPECT_DOUBLE_EQ(found.regions[2].core, 9.0 / 27);
  EXPECT_EQ(found.rank_at({21, 6, 6}), 1);
  EXPECT_EQ(found.rank_at({5, 5, 5}), 2);
  EXPECT_EQ(found.rank_at({15, 15, 15}), 0);
}
