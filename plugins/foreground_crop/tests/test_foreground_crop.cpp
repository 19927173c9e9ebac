#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>

#include "crop_volume.h"
#include "foreground_box.h"
#include "npy.h"
#include "stage_harness.h"

using namespace screener;
using namespace screener::foreground_crop;
namespace fs = std::filesystem;

namespace {

// A CT-like volume: noisy air, padding outside a reconstruction circle, an
// off-centre body with scattered low voxels (so some blocks fail), two lungs,
// one of them joined to the border by an air tunnel.
template <class T> std::vector<T> synthetic_ct(const Index3& n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<T> hu(std::size_t(n[0] * n[1] * n[2]));
  auto rel = [&](int64_t i, int d, double centre) { return (double(i) + 0.5) / double(n[d]) - centre; };
  for (int64_t a = 0; a < n[0]; ++a)
    for (int64_t b = 0; b < n[1]; ++b)
      for (int64_t c = 0; c < n[2]; ++c) {
        const double x = rel(a, 0, 0.45), y = rel(b, 1, 0.55), z = rel(c, 2, 0.5);
        double v = -1000 + 20 * noise(rng);
        if (rel(a, 0, 0.5) * rel(a, 0, 0.5) + rel(b, 1, 0.5) * rel(b, 1, 0.5) > 0.25) v = -2048;
        if (x * x / 0.1 + y * y / 0.12 + z * z / 0.16 < 1) {
          v = unit(rng) < 0.003 ? -700 : 40 + 60 * noise(rng);
          const double left = (y + 0.12) * (y + 0.12), right = (y - 0.12) * (y - 0.12);
          if (x * x / 0.02 + left / 0.006 + z * z / 0.05 < 1) v = -850 + 30 * noise(rng);
          if (x * x / 0.02 + right / 0.006 + z * z / 0.05 < 1) v = -850 + 30 * noise(rng);
        }
        // The tunnel: a 2x2 air line from the right lung out through the far end of axis 1.
        if (std::abs(a - n[0] * 45 / 100) <= 1 && std::abs(c - n[2] / 2) <= 1 && b > n[1] * 67 / 100) v = -990;
        hu[std::size_t((a * n[1] + b) * n[2] + c)] = T(v);
      }
  return hu;
}

struct Reference {
  std::vector<int64_t> box;  // start0..2, stop0..2
  std::vector<double> mask;
};

template <class T>
Reference oracle(const std::vector<T>& hu, const Index3& n, const Vec3& spacing, double block_mm, double threshold,
                 bool with_mask, const std::string& border = "volume") {
  const fs::path dir = fs::temp_directory_path() / ("fgcrop-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  test::save_npy(dir / "hu.npy", hu.data(), {n[0], n[1], n[2]});
  std::vector<std::string> args{(dir / "hu.npy").string()};
  for (double s : spacing) {
    std::ostringstream o;
    o.precision(17);
    o << s;
    args.push_back(o.str());
  }
  args.push_back(std::to_string(block_mm));
  args.push_back(std::to_string(threshold));
  args.push_back((dir / "box.npy").string());
  if (with_mask) {
    args.push_back((dir / "mask.npy").string());
    args.push_back(border);
  }
  test::run_python(PLUGIN_TEST_DIR "/foreground_crop_oracle.py", args);
  Reference ref;
  for (double v : test::load_npy(dir / "box.npy").as_double()) ref.box.push_back(int64_t(v));
  if (with_mask) ref.mask = test::load_npy(dir / "mask.npy").as_double();
  fs::remove_all(dir);
  return ref;
}

template <class T> void expect_matches_oracle(const Index3& n, const Vec3& spacing, unsigned seed) {
  const auto hu = synthetic_ct<T>(n, seed);
  const Index3 block = block_size(spacing, 5.0);
  const auto box = foreground_box(hu.data(), n, block, -500.0);
  const auto ref = oracle(hu, n, spacing, 5.0, -500.0, true);
  ASSERT_TRUE(box.has_value());
  ASSERT_EQ(ref.box.size(), 6u);
  std::cout << "  box start " << box->start[0] << "," << box->start[1] << "," << box->start[2] << " size "
            << box->size[0] << "," << box->size[1] << "," << box->size[2] << " of " << n[0] << "," << n[1] << ","
            << n[2] << " (block " << block[0] << "," << block[1] << "," << block[2] << ")\n";
  for (int d = 0; d < 3; ++d) {
    EXPECT_EQ(box->start[d], ref.box[std::size_t(d)]) << "axis " << d;
    EXPECT_EQ(box->start[d] + box->size[d], ref.box[std::size_t(d + 3)]) << "axis " << d;
  }
  // Not the whole volume, or the test would not exercise the box.
  EXPECT_LT(box->size[0] * box->size[1] * box->size[2], n[0] * n[1] * n[2]);

  const auto body = body_mask(hu.data(), n, -500.0);
  ASSERT_EQ(body.size(), ref.mask.size());
  int64_t differing = 0, inside = 0, air_inside_body = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    differing += body[i] != uint8_t(ref.mask[i]);
    inside += body[i];
    air_inside_body += body[i] && double(hu[i]) < -500.0;
  }
  std::cout << "  mask: " << differing << " voxels differ from scipy.ndimage.label; " << inside
            << " body voxels, of which " << air_inside_body << " enclosed air\n";
  EXPECT_EQ(differing, 0);
  EXPECT_GT(air_inside_body, 0);  // the enclosed lung counts as body
}

}  // namespace

TEST(ForegroundCrop, BlockSizeIsCeilOfBlockMmOverSpacing) {
  EXPECT_EQ(block_size({0.7, 1.0, 2.5}, 5.0), (Index3{8, 5, 2}));
  EXPECT_EQ(block_size({0.73, 0.91, 2.3}, 5.0), (Index3{7, 6, 3}));
  EXPECT_EQ(block_size({6.0, 5.0, 0.5}, 5.0), (Index3{1, 1, 10}));
}

TEST(ForegroundCrop, Float32BoxAndMaskMatchNumpyAndScipy) {
  expect_matches_oracle<float>({61, 47, 33}, {0.73, 0.91, 2.3}, 1);
}

TEST(ForegroundCrop, Int16BoxAndMaskMatchNumpyAndScipy) {
  expect_matches_oracle<int16_t>({50, 64, 29}, {1.1, 0.6, 1.7}, 2);
}

TEST(ForegroundCrop, MaskOfARandomAirMazeMatchesScipy) {
  // I.i.d. air near the percolation threshold: components reach the border
  // through winding paths that need every direction of the flood fill.
  const Index3 n{45, 38, 29};
  std::mt19937 rng(9);
  std::bernoulli_distribution air(0.33);
  std::vector<int16_t> hu(std::size_t(n[0] * n[1] * n[2]));
  for (auto& v : hu) v = air(rng) ? -900 : 60;
  const auto body = body_mask(hu.data(), n, -500.0);
  const auto ref = oracle(hu, n, {1, 1, 1}, 5.0, -500.0, true);
  ASSERT_EQ(body.size(), ref.mask.size());
  int64_t differing = 0, enclosed = 0, outside = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    differing += body[i] != uint8_t(ref.mask[i]);
    enclosed += body[i] && hu[i] < -500;
    outside += !body[i];
  }
  std::cout << "  maze: " << differing << " voxels differ; " << outside << " outside, " << enclosed
            << " enclosed air voxels\n";
  EXPECT_EQ(differing, 0);
  EXPECT_GT(enclosed, 0);
  EXPECT_GT(outside, 0);
}

TEST(ForegroundCrop, SidesBorderKeepsALungCutByTheScanRangeAndMatchesScipy) {
  // A trunk along axis 2 with a lung running through every slice, as when the
  // scan range cuts it: the lung touches the first and last slice faces only.
  const Index3 n{40, 44, 21};
  std::vector<int16_t> hu(std::size_t(n[0] * n[1] * n[2]));
  int64_t lung = 0;
  for (int64_t a = 0; a < n[0]; ++a)
    for (int64_t b = 0; b < n[1]; ++b)
      for (int64_t c = 0; c < n[2]; ++c) {
        const double x = (a - 19.5) / 16.0, y = (b - 21.5) / 18.0, lx = (a - 17.0) / 5.0, ly = (b - 14.0) / 6.0;
        int16_t v = -1000;
        if (x * x + y * y < 1) v = lx * lx + ly * ly < 1 ? int16_t(-850) : int16_t(40);
        lung += v == -850;
        hu[std::size_t((a * n[1] + b) * n[2] + c)] = v;
      }
  const auto whole = body_mask(hu.data(), n, -500.0, BodyBorder::volume);
  const auto sides = body_mask(hu.data(), n, -500.0, BodyBorder::sides);
  const auto ref = oracle(hu, n, {1, 1, 1}, 5.0, -500.0, true, "sides");
  ASSERT_EQ(sides.size(), ref.mask.size());
  int64_t differing = 0, lung_in_whole = 0, lung_in_sides = 0, outside_air_in_sides = 0;
  for (std::size_t i = 0; i < sides.size(); ++i) {
    differing += sides[i] != uint8_t(ref.mask[i]);
    lung_in_whole += whole[i] && hu[i] == -850;
    lung_in_sides += sides[i] && hu[i] == -850;
    outside_air_in_sides += sides[i] && hu[i] == -1000;
  }
  EXPECT_EQ(differing, 0) << "voxels differing from scipy.ndimage.label with the sides as border";
  EXPECT_GT(lung, 0);
  EXPECT_EQ(lung_in_whole, 0) << "SPEC border: the lung reaches the first slice, so it is outside";
  EXPECT_EQ(lung_in_sides, lung) << "sides border: the whole lung is body";
  EXPECT_EQ(outside_air_in_sides, 0) << "the air around the trunk reaches the sides";
}

TEST(ForegroundCrop, PartialBlocksAtTheFarEndNeverCount) {
  const Index3 n{23, 17, 11};
  std::vector<int16_t> hu(std::size_t(n[0] * n[1] * n[2]), 0);  // all foreground
  const auto box = foreground_box(hu.data(), n, {5, 5, 5}, -500.0);
  ASSERT_TRUE(box.has_value());
  EXPECT_EQ(box->start, (Index3{0, 0, 0}));
  EXPECT_EQ(box->size, (Index3{20, 15, 10}));
  const auto ref = oracle(hu, n, {1, 1, 1}, 5.0, -500.0, false);
  EXPECT_EQ(ref.box, (std::vector<int64_t>{0, 0, 0, 20, 15, 10}));
}

TEST(ForegroundCrop, OneLowVoxelRemovesItsBlock) {
  const Index3 n{10, 5, 5};
  std::vector<float> hu(std::size_t(n[0] * n[1] * n[2]), 100.0f);
  hu[std::size_t((7 * 5 + 2) * 5 + 2)] = -501.0f;  // inside the second block along axis 0
  const auto box = foreground_box(hu.data(), n, {5, 5, 5}, -500.0);
  ASSERT_TRUE(box.has_value());
  EXPECT_EQ(box->start, (Index3{0, 0, 0}));
  EXPECT_EQ(box->size, (Index3{5, 5, 5}));
}

namespace {
std::shared_ptr<Volume> ct_volume(const Index3& n, const Vec3& spacing, unsigned seed) {
  Geometry g;
  g.size = n;
  g.spacing = spacing;
  g.origin = {-120.5, 33.25, 800.0};
  g.direction = {{{0, 1, 0}, {-1, 0, 0}, {0, 0, 1}}};
  const auto hu = synthetic_ct<int16_t>(n, seed);
  Tensor t = Tensor::zeros({n[0], n[1], n[2]}, DType::int16);
  std::copy(hu.begin(), hu.end(), t.data<int16_t>());
  return harness::volume_of(g, t);
}
}  // namespace

TEST(ForegroundCrop, StageCropsGeometryKeepsHistoryAndEmitsTheMaskOnlyWhenAsked) {
  const auto in = ct_volume({41, 38, 27}, {0.8, 0.95, 2.0}, 4);
  const auto expected = *foreground_box(in->voxels.data<int16_t>(), in->geometry.size,
                                        block_size(in->geometry.spacing, 5.0), -500.0);

  harness::StageRun plain;
  const auto without = plain.process(in);
  EXPECT_EQ(without.count("body_mask"), 0u);

  harness::StageRun masked(Json{{"body_mask", true}});
  const auto emitted = masked.process(in);
  const auto& out = payload_as<Volume>(emitted.at("volume"));
  const auto& mask = payload_as<Volume>(emitted.at("body_mask"));
  EXPECT_EQ(out.voxels.dtype(), DType::int16);
  EXPECT_EQ(out.geometry.size, expected.size);
  const Vec3 corner = in->geometry.index_to_physical(
      {double(expected.start[0]), double(expected.start[1]), double(expected.start[2])});
  for (int d = 0; d < 3; ++d) EXPECT_DOUBLE_EQ(out.geometry.origin[d], corner[d]);
  EXPECT_EQ(out.geometry.spacing, in->geometry.spacing);
  EXPECT_EQ(out.geometry.direction, in->geometry.direction);
  ASSERT_EQ(out.history.size(), 2u);
  EXPECT_EQ(out.original_grid(), in->geometry);
  EXPECT_EQ(out.history.back().operation, "crop");
  // Voxel (i, j, k) of the crop is voxel start + (i, j, k) of the input.
  const Index3& s = expected.start;
  const auto& n = in->geometry.size;
  const auto& m = out.geometry.size;
  const int64_t i = 3, j = 5, k = 2;
  EXPECT_EQ(out.voxels.data<int16_t>()[(i * m[1] + j) * m[2] + k],
            in->voxels.data<int16_t>()[((s[0] + i) * n[1] + s[1] + j) * n[2] + s[2] + k]);

  EXPECT_EQ(mask.voxels.dtype(), DType::uint8);
  EXPECT_EQ(mask.geometry, out.geometry);
  EXPECT_EQ(mask.voxels.shape(), out.voxels.shape());
}

TEST(ForegroundCrop, NoForegroundIsAnInputErrorNamingTheStudy) {
  Geometry g;
  g.size = {20, 20, 10};
  g.spacing = {1, 1, 2};
  Tensor air = Tensor::zeros({20, 20, 10}, DType::float32);
  std::fill_n(air.data<float>(), air.numel(), -1000.0f);
  air.data<float>()[123] = 500.0f;  // one bright voxel is not a block
  harness::StageRun run;
  try {
    run.process(harness::volume_of(g, air), "patient-42");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("patient-42"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no foreground"), std::string::npos) << e.what();
  }
}

TEST(ForegroundCrop, VolumeSmallerThanOneBlockHasNoForeground) {
  Geometry g;
  g.size = {3, 30, 30};
  g.spacing = {1, 1, 1};
  Tensor tissue = Tensor::zeros({3, 30, 30}, DType::int16);  // 0 HU everywhere, but 3 < 5 voxels on axis 0
  harness::StageRun run;
  EXPECT_THROW(run.process(harness::volume_of(g, tissue), "tiny"), InputError);
}
