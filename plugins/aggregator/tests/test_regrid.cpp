#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "npy.h"
#include "regrid.h"

using namespace screener;
using namespace screener::aggregator;
namespace fs = std::filesystem;

namespace {
std::vector<double> flat(const Geometry& g) {
  std::vector<double> v{double(g.size[0]), double(g.size[1]), double(g.size[2])};
  v.insert(v.end(), g.spacing.begin(), g.spacing.end());
  v.insert(v.end(), g.origin.begin(), g.origin.end());
  for (const auto& row : g.direction) v.insert(v.end(), row.begin(), row.end());
  return v;
}

Geometry oblique_original() {
  Geometry g;
  g.size = {41, 37, 23};
  g.spacing = {0.78, 0.78, 2.5};
  g.origin = {-160.2, -150.7, 33.0};
  const double c = std::cos(0.15), s = std::sin(0.15);
  g.direction = {{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}};
  return g;
}

// Fresh random values on `map`, regridded to `original`, against scipy.
void expect_matches_scipy(const Geometry& map, const Geometry& original) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<float> u(-3, 7);
  std::vector<float> values(std::size_t(map.voxel_count()));
  for (auto& v : values) v = u(rng);
  const float fill = -3.5f;
  const auto ours = regrid_linear(values.data(), map, original, fill);

  const fs::path dir = fs::temp_directory_path() / ("regrid-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  test::save_npy(dir / "v.npy", values.data(), {map.size[0], map.size[1], map.size[2]});
  const auto f = flat(map), t = flat(original);
  test::save_npy(dir / "f.npy", f.data(), {18});
  test::save_npy(dir / "t.npy", t.data(), {18});
  test::run_python(PLUGIN_TEST_DIR "/regrid_oracle.py", {(dir / "v.npy").string(), (dir / "f.npy").string(),
                                                         (dir / "t.npy").string(), "-3.5", (dir / "o.npy").string()});
  const auto ref = test::load_npy(dir / "o.npy").as_double();
  fs::remove_all(dir);
  ASSERT_EQ(ref.size(), ours.size());
  double worst = 0;
  int filled = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    worst = std::max(worst, std::abs(ref[i] - double(ours[i])));
    filled += ours[i] == fill;
  }
  EXPECT_LT(worst, 1e-4);
  EXPECT_GT(filled, 0);  // the cropped-away border
  EXPECT_LT(filled, int(ref.size()));
}

Geometry cropped_and_zoomed(const Geometry& original) {
  // Crop of {30, 29, 19} voxels zoomed to {17, 16, 21}: true spacing old * (n_in - 1) / (n_out - 1).
  Geometry map = original.sub_grid({5, 3, 2}, {30, 29, 19});
  map.size = {17, 16, 21};
  map.spacing = {original.spacing[0] * 29 / 16, original.spacing[1] * 28 / 15, original.spacing[2] * 18 / 20};
  return map;
}
}  // namespace

// A cropped and zoomed grid (as foreground_crop + resample record it) back to
// the original: the grids share their direction (the per-axis path).
TEST(Regrid, MatchesScipyMapCoordinates) {
  const Geometry original = oblique_original();
  expect_matches_scipy(cropped_and_zoomed(original), original);
}

// A grid turned against the original (the general path).
TEST(Regrid, RotatedGridsMatchScipyToo) {
  const Geometry original = oblique_original();
  Geometry map = cropped_and_zoomed(original);
  const double c = std::cos(0.4), s = std::sin(0.4);
  map.direction = {{{c, 0, s}, {0, 1, 0}, {-s, 0, c}}};
  expect_matches_scipy(map, original);
}

// A marker put on the original grid, taken to a cropped and zoomed grid (the
// nearest voxel there) and back, peaks within a voxel of where it was.
TEST(Regrid, MarkerRoundTripPeaksWithinAVoxel) {
  const Geometry original = oblique_original();
  Geometry map = original.sub_grid({4, 4, 1}, {33, 30, 20});
  map.size = {18, 16, 23};
  map.spacing = {original.spacing[0] * 32 / 17, original.spacing[1] * 29 / 15, original.spacing[2] * 19 / 22};
  const Index3 marker{20, 17, 11};
  const Vec3 p = original.index_to_physical({double(marker[0]), double(marker[1]), double(marker[2])});
  const Vec3 q = map.physical_to_index(p);
  std::vector<float> values(std::size_t(map.voxel_count()), 0.0f);
  const Index3 nearest{std::lround(q[0]), std::lround(q[1]), std::lround(q[2])};
  values[std::size_t((nearest[0] * map.size[1] + nearest[1]) * map.size[2] + nearest[2])] = 1.0f;
  const auto back = regrid_linear(values.data(), map, original, 0.0f);
  const auto peak = std::max_element(back.begin(), back.end()) - back.begin();
  const Index3 found{peak / (original.size[1] * original.size[2]), (peak / original.size[2]) % original.size[1],
                     peak % original.size[2]};
  for (int k = 0; k < 3; ++k) EXPECT_LE(std::abs(found[k] - marker[k]), 1) << k;
}
