#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <filesystem>

#include "montage.h"
#include "npy.h"
#include "png_file.h"
#include "screener/error.h"
#include "temp_dir.h"
#include "text.h"

using namespace screener;
using namespace screener::preview;
namespace fs = std::filesystem;

namespace {

// A 48 x 40 x 24 grid (x, y, z) at 1 x 1 x 2 mm: a body (the map's minimum
// outside it) of tissue at `body_hu`, low noise in the map, a hot region of
// radius 4 voxels (peak 3 at its centre, `blob`) and, elsewhere, a single
// voxel hotter than anything (5, `speck`).
struct Phantom {
  Geometry g;
  std::vector<float> image, map;
  Index3 blob{14, 12, 6}, speck{36, 30, 18};
  explicit Phantom(float body_hu = 40.0f) {
    g.size = {48, 40, 24};
    g.spacing = {1.0, 1.0, 2.0};
    image.assign(std::size_t(g.voxel_count()), -1000.0f);
    map.assign(image.size(), -1.0f);
    uint32_t state = 3;
    for (int64_t i = 0; i < 48; ++i)
      for (int64_t j = 0; j < 40; ++j)
        for (int64_t k = 0; k < 24; ++k) {
          const std::size_t at = std::size_t((i * 40 + j) * 24 + k);
          state = state * 1664525u + 1013904223u;
          if (i < 2 || j < 2 || i > 45 || j > 37) continue;  // air around the body
          image[at] = body_hu;
          map[at] = 0.3f * float(state >> 8) / float(1 << 24);
          const double d = distance({i, j, k}, blob);
          if (d <= 4) map[at] = float(3.0 - 0.2 * d);
        }
    at(map, speck) = 5.0f;
  }
  static double distance(const Index3& a, const Index3& b) {
    double s = 0;
    for (std::size_t c = 0; c < 3; ++c) s += double(a[c] - b[c]) * double(a[c] - b[c]);
    return std::sqrt(s);
  }
  float& at(std::vector<float>& v, const Index3& i) { return v[std::size_t((i[0] * 40 + i[1]) * 24 + i[2])]; }
  VoxelReader image_at() const { return [this](int64_t i) { return image[std::size_t(i)]; }; }
  MontageOptions options() const {
    MontageOptions o;
    o.region_percentile = 98;  // the blob, the speck and some noise voxels
    o.colour_percentile = 98;
    return o;
  }
};

std::array<int, 3> pixel(const RgbImage& im, int64_t x, int64_t y) {
  const uint8_t* p = im.at(x, y);
  return {p[0], p[1], p[2]};
}

bool coloured(const std::array<int, 3>& p) { return p[0] - p[2] > 80; }   // red to yellow over grey
bool grey(const std::array<int, 3>& p) { return p[0] == p[1] && p[1] == p[2]; }

// The pixel of a patient point in a view, from the montage's published box
// and pixel size, by each view's convention (not through the library's own mapping).
std::array<int64_t, 2> axial_pixel(const Montage& m, const Rect& view, const Vec3& p) {
  return {view.x + std::lround((p[0] - m.box.lo[0]) / m.pixel_mm), view.y + std::lround((p[1] - m.box.lo[1]) / m.pixel_mm)};
}
std::array<int64_t, 2> coronal_pixel(const Montage& m, const Rect& view, const Vec3& p) {
  return {view.x + std::lround((p[0] - m.box.lo[0]) / m.pixel_mm), view.y + std::lround((m.box.hi[2] - p[2]) / m.pixel_mm)};
}
std::array<int64_t, 2> sagittal_pixel(const Montage& m, const Rect& view, const Vec3& p) {
  return {view.x + std::lround((p[1] - m.box.lo[1]) / m.pixel_mm), view.y + std::lround((m.box.hi[2] - p[2]) / m.pixel_mm)};
}

Vec3 point(const Geometry& g, const Index3& i) { return g.index_to_physical({double(i[0]), double(i[1]), double(i[2])}); }

}  // namespace

TEST(Montage, TheLargestHotRegionComesFirstThenTheSpeckEachInItsRowsViews) {
  Phantom s;
  const Montage m = make_montage(s.image_at(), s.map.data(), s.g, s.options());
  ASSERT_GE(m.rows.size(), 2u);
  ASSERT_TRUE(m.rows[0].region && m.rows[1].region);
  // The speck holds the highest voxel, but the blob holds far more score above the threshold.
  EXPECT_EQ(m.rows[0].focus, s.blob);
  EXPECT_EQ(m.rows[1].focus, s.speck);
  EXPECT_GT(m.rows[0].region->voxels, 200);
  EXPECT_EQ(m.rows[1].region->voxels, 1);

  const Vec3 blob = point(s.g, s.blob), speck = point(s.g, s.speck);
  const auto& first = m.rows[0].views;
  for (const auto& [x, y] : {axial_pixel(m, first[0], blob), coronal_pixel(m, first[1], blob),
                             sagittal_pixel(m, first[2], blob)})
    EXPECT_TRUE(coloured(pixel(m.image, x, y))) << x << "," << y;
  const auto& second = m.rows[1].views;
  for (const auto& [x, y] : {axial_pixel(m, second[0], speck), coronal_pixel(m, second[1], speck),
                             sagittal_pixel(m, second[2], speck)})
    EXPECT_TRUE(coloured(pixel(m.image, x, y))) << x << "," << y;
  // The first row's axial slice (z = 12 mm) does not pass through the speck (z = 36 mm): tissue there.
  const auto [sx, sy] = axial_pixel(m, first[0], speck);
  EXPECT_TRUE(grey(pixel(m.image, sx, sy)));

  // The blob is outlined in cyan in its axial view: on its boundary, 4 voxels from the centre.
  const auto [bx, by] = axial_pixel(m, first[0], blob);
  int cyan = 0;
  for (int64_t y = by - int64_t(6 / m.pixel_mm); y <= by + int64_t(6 / m.pixel_mm); ++y)
    for (int64_t x = bx - int64_t(6 / m.pixel_mm); x <= bx + int64_t(6 / m.pixel_mm); ++x) {
      const auto p = pixel(m.image, x, y);
      cyan += p[0] < 60 && p[1] > 200 && p[2] > 200;
    }
  EXPECT_GT(cyan, 20);
  EXPECT_FLOAT_EQ(m.rows[0].region->peak, 3.0f);
}

TEST(Montage, WideEnoughForAScreenWithSquarePixelsAndInterpolatedTissue) {
  Phantom s;
  // A step from 0 HU to 80 HU between x = 23 and 24.
  for (int64_t i = 2; i < 46; ++i)
    for (int64_t j = 2; j < 38; ++j)
      for (int64_t k = 0; k < 24; ++k) s.image[std::size_t((i * 40 + j) * 24 + k)] = i < 24 ? 0.0f : 80.0f;
  MontageOptions o = s.options();
  o.width = 1024;
  o.window = soft_tissue_window();
  const Montage m = make_montage(s.image_at(), s.map.data(), s.g, o);
  EXPECT_EQ(m.image.width, 1024);
  const Rect axial = m.rows[0].views[0], coronal = m.rows[0].views[1];
  // 48 mm across the axial view in about three quarters of 1024 pixels over three views: ~5x upscaling.
  EXPECT_LT(m.pixel_mm, 0.25);
  EXPECT_EQ(axial.width, int64_t(std::floor(47 / m.pixel_mm)) + 1);
  EXPECT_EQ(axial.height, int64_t(std::floor(39 / m.pixel_mm)) + 1);
  EXPECT_EQ(coronal.height, int64_t(std::floor(46 / m.pixel_mm)) + 1);
  // Trilinear CT: grey levels between the two tissues' across the step, not a jump.
  std::set<int> levels;
  const int64_t y = axial.y + int64_t(30 / m.pixel_mm);
  for (int64_t x = axial.x + int64_t(22 / m.pixel_mm); x <= axial.x + int64_t(25 / m.pixel_mm); ++x)
    levels.insert(pixel(m.image, x, y)[0]);
  EXPECT_GT(levels.size(), 5u);
}

TEST(Montage, AHotSpotInTheLungGetsTheLungWindow) {
  Phantom lung(-800.0f);
  const Montage m = make_montage(lung.image_at(), lung.map.data(), lung.g, lung.options());
  EXPECT_EQ(m.rows[0].window.name, "lung");
  EXPECT_NEAR(m.rows[0].median_hu, -800, 1);
  // Parenchyma away from the spot: mid-grey, (-800 + 1350) / 1500 of white, not black.
  const auto p = pixel(m.image, axial_pixel(m, m.rows[0].views[0], point(lung.g, {40, 32, 6}))[0],
                       axial_pixel(m, m.rows[0].views[0], point(lung.g, {40, 32, 6}))[1]);
  EXPECT_TRUE(grey(p));
  EXPECT_NEAR(p[0], 255.0 * 550 / 1500, 2);

  Phantom tissue(40.0f);
  const Montage t = make_montage(tissue.image_at(), tissue.map.data(), tissue.g, tissue.options());
  EXPECT_EQ(t.rows[0].window.name, "soft tissue");
  const auto [x, y] = axial_pixel(t, t.rows[0].views[0], point(tissue.g, {40, 32, 6}));
  EXPECT_NEAR(pixel(t.image, x, y)[0], 128, 1);

  MontageOptions forced = lung.options();  // soft tissue forced on the lung: parenchyma black
  forced.window = soft_tissue_window();
  const Montage f = make_montage(lung.image_at(), lung.map.data(), lung.g, forced);
  const auto [fx, fy] = axial_pixel(f, f.rows[0].views[0], point(lung.g, {40, 32, 6}));
  EXPECT_EQ(pixel(f.image, fx, fy)[0], 0);
}

TEST(Montage, AColourBarFromRedAtTheBottomToYellowAtTheTopWithItsValues) {
  Phantom s;
  const Montage m = make_montage(s.image_at(), s.map.data(), s.g, s.options());
  const Rect bar = m.colour_bar;
  ASSERT_GE(bar.height, 150);
  ASSERT_LE(bar.x + bar.width, m.image.width);
  const int64_t x = bar.x + bar.width / 2;
  int previous = -1;
  for (int64_t y = bar.y + bar.height - 1; y >= bar.y; --y) {
    const auto p = pixel(m.image, x, y);
    EXPECT_EQ(p[0], 255);
    EXPECT_EQ(p[2], 0);
    EXPECT_GE(p[1], previous) << "green must rise from bottom to top, row " << y;
    previous = p[1];
  }
  EXPECT_LE(pixel(m.image, x, bar.y + bar.height - 1)[1], 2);
  EXPECT_GE(pixel(m.image, x, bar.y)[1], 253);
  // Tick values are printed right of the bar: bright text pixels there.
  int text = 0;
  for (int64_t y = bar.y - 10; y < bar.y + bar.height + 10; ++y)
    for (int64_t xx = bar.x + bar.width + 8; xx < m.image.width; ++xx) text += pixel(m.image, xx, y)[1] > 200;
  EXPECT_GT(text, 100);
  EXPECT_DOUBLE_EQ(m.colour_high, 5.0);
}

TEST(Montage, PatientOrientationWhateverTheGridsDirection) {
  Phantom s;
  // The same voxels on a grid whose x axis runs towards the patient's right:
  // the blob's patient position moves, and its pixels follow it.
  s.g.direction = {{{-1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  s.g.origin = {47, 0, 0};
  const Montage m = make_montage(s.image_at(), s.map.data(), s.g, s.options());
  ASSERT_EQ(m.rows[0].focus, s.blob);
  const Vec3 blob = point(s.g, s.blob);
  EXPECT_DOUBLE_EQ(blob[0], 47 - 14);
  const auto [x, y] = axial_pixel(m, m.rows[0].views[0], blob);
  EXPECT_TRUE(coloured(pixel(m.image, x, y)));
  // Where the blob would be without the flip (x = 14 mm): tissue.
  const auto [ux, uy] = axial_pixel(m, m.rows[0].views[0], Vec3{14, blob[1], blob[2]});
  EXPECT_TRUE(grey(pixel(m.image, ux, uy)));
}

TEST(Montage, AFlatMapGivesOneRowThroughItsHighestVoxel) {
  Phantom s;
  std::fill(s.map.begin(), s.map.end(), 1.0f);
  const Montage m = make_montage(s.image_at(), s.map.data(), s.g, s.options());
  ASSERT_EQ(m.rows.size(), 1u);
  EXPECT_FALSE(m.rows[0].region);
  EXPECT_EQ(m.rows[0].focus, (Index3{0, 0, 0}));
}

TEST(Montage, AFontThatDoesNotLoadIsNamed) {
  try {
    TextPainter text("/nonexistent/font.ttf");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/font.ttf"), std::string::npos) << e.what();
  }
}

TEST(Montage, PngRoundTripThroughScikitImage) {
  Phantom s;
  const Montage m = make_montage(s.image_at(), s.map.data(), s.g, s.options());
  test::TempDir dir;
  write_png(m.image, dir.path() / "p.png");
  test::run_python(PLUGIN_TEST_DIR "/read_png.py", {(dir.path() / "p.png").string(), (dir.path() / "p.npy").string()});
  const auto back = test::load_npy(dir.path() / "p.npy");
  ASSERT_EQ(back.shape, (std::vector<int64_t>{m.image.height, m.image.width, 3}));
  const auto v = back.as_double();
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_EQ(int(v[i]), int(m.image.rgb[i])) << i;
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir.path())) entries += e.path().extension() == ".png";
  EXPECT_EQ(entries, 1);
}
