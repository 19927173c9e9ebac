// The body mask and outline are the same bytes on 1 thread and on many, and
// the same as a plain breadth-first flood fill (the implementation they
// replaced), on volumes large enough to span many of the parallel slabs.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cstring>
#include <deque>
#include <random>

#include "body_outline.h"
#include "crop_volume.h"
#include "distance_transform.h"

using namespace screener;
using namespace screener::foreground_crop;

namespace {

// A noisy trunk on a table, with a lung through every slice and a maze of air pockets.
std::vector<int16_t> trunk(const Index3& s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<int16_t> hu(std::size_t(s[0] * s[1] * s[2]));
  for (int64_t i = 0; i < s[0]; ++i)
    for (int64_t j = 0; j < s[1]; ++j)
      for (int64_t k = 0; k < s[2]; ++k) {
        const double x = (double(i) - s[0] / 2.0) / (0.4 * s[0]), y = (double(j) - s[1] / 2.0) / (0.35 * s[1]);
        const double lx = (double(i) - s[0] / 2.6) / (0.1 * s[0]), ly = y / 0.5;
        double v = -1000;
        if (x * x + y * y <= 1) v = lx * lx + ly * ly <= 1 ? -850 : (u(rng) < 0.3 ? -900 : 40);
        if (double(j) > 0.86 * s[1] && double(j) < 0.9 * s[1]) v = 300;  // the table
        hu[std::size_t((i * s[1] + j) * s[2] + k)] = int16_t(v);
      }
  return hu;
}

// The breadth-first flood fill of air from the border.
std::vector<uint8_t> flood_fill_body(const std::vector<int16_t>& hu, const Index3& s, double threshold, bool sides) {
  std::vector<uint8_t> body(hu.size(), 1);
  std::deque<int64_t> queue;
  auto visit = [&](int64_t i, int64_t j, int64_t k) {
    const int64_t v = (i * s[1] + j) * s[2] + k;
    if (body[std::size_t(v)] && double(hu[std::size_t(v)]) < threshold) body[std::size_t(v)] = 0, queue.push_back(v);
  };
  for (int64_t i = 0; i < s[0]; ++i)
    for (int64_t j = 0; j < s[1]; ++j)
      for (int64_t k = 0; k < s[2]; ++k)
        if (i == 0 || j == 0 || i == s[0] - 1 || j == s[1] - 1 || (!sides && (k == 0 || k == s[2] - 1))) visit(i, j, k);
  while (!queue.empty()) {
    const int64_t v = queue.front(), i = v / (s[1] * s[2]), j = v / s[2] % s[1], k = v % s[2];
    queue.pop_front();
    if (i > 0) visit(i - 1, j, k);
    if (i < s[0] - 1) visit(i + 1, j, k);
    if (j > 0) visit(i, j - 1, k);
    if (j < s[1] - 1) visit(i, j + 1, k);
    if (k > 0) visit(i, j, k - 1);
    if (k < s[2] - 1) visit(i, j, k + 1);
  }
  return body;
}

CropResult crop_on(int threads, const Volume& v, const CropOptions& o) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, std::size_t(threads));
  return crop_to_foreground(v, o, "crop", "s");
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.nbytes() == b.nbytes() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

}  // namespace

TEST(ForegroundCropThreads, BodyMaskMatchesAFloodFill) {
  const Index3 s{131, 97, 43};
  const auto hu = trunk(s, 3);
  for (bool sides : {false, true}) {
    const auto expected = flood_fill_body(hu, s, -500, sides);
    for (int threads : {1, 4}) {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, std::size_t(threads));
      EXPECT_EQ(body_mask(hu.data(), s, -500, sides ? BodyBorder::sides : BodyBorder::volume), expected)
          << "sides " << sides << ", " << threads << " threads";
    }
  }
}

TEST(ForegroundCropThreads, CropAndOutlineAreTheSameBytesOnOneThreadAndOnMany) {
  const Index3 s{131, 97, 43};
  Volume v;
  v.geometry.size = s;
  v.geometry.spacing = {0.8, 0.9, 1.7};
  v.voxels = Tensor::zeros({s[0], s[1], s[2]}, DType::int16);
  const auto hu = trunk(s, 5);
  std::copy(hu.begin(), hu.end(), v.voxels.data<int16_t>());
  CropOptions o;
  o.body_mask = true;
  o.body_border = BodyBorder::sides;
  o.air_outside_body = true;
  o.block_mm = 1.0;  // blocks of 2x2x1: the maze leaves whole ones in the body
  for (double opening : {0.0, 2.5})
    for (bool largest : {false, true}) {
      o.outline = {opening, largest};
      const auto one = crop_on(1, v, o), many = crop_on(4, v, o);
      EXPECT_TRUE(same_bytes(one.volume->voxels, many.volume->voxels)) << opening << " " << largest;
      EXPECT_TRUE(same_bytes(one.body_mask->voxels, many.body_mask->voxels)) << opening << " " << largest;
      const auto* m = one.body_mask->voxels.data<uint8_t>();
      const auto inside = std::count(m, m + one.body_mask->voxels.numel(), 1);
      EXPECT_GT(inside, 0);
      EXPECT_LT(inside, one.body_mask->voxels.numel());
    }
}

TEST(ForegroundCropThreads, DistancesAreTheSameBytesOnOneThreadAndOnMany) {
  const Index3 s{70, 45, 38};
  std::mt19937 rng(9);
  std::vector<uint8_t> from(std::size_t(s[0] * s[1] * s[2]));
  for (auto& f : from) f = rng() % 50 == 0;
  std::vector<float> one, many;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = squared_distance_to(from, s, {0.73, 0.91, 2.3});
  }
  many = squared_distance_to(from, s, {0.73, 0.91, 2.3});
  ASSERT_EQ(one.size(), many.size());
  EXPECT_EQ(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)), 0);
}
