#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>

#include "body_outline.h"
#include "crop_volume.h"
#include "distance_transform.h"
#include "npy.h"
#include "temp_dir.h"

using namespace screener;
using namespace screener::foreground_crop;

namespace {

std::vector<double> run_oracle(const std::vector<std::string>& args) {
  test::run_python(PLUGIN_TEST_DIR "/body_outline_oracle.py", args);
  return test::load_npy(args.back()).as_double();
}

std::string num(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}

// A patient on a table: an elliptic body running through every slice, a
// thin curved plate below it (3 voxels thick, a gap of 2 voxels), a short
// spur of the plate that touches the body, and a loose speck of tissue.
std::vector<uint8_t> patient_on_table(const Index3& n) {
  std::vector<uint8_t> m(std::size_t(n[0] * n[1] * n[2]), 0);
  for (int64_t a = 0; a < n[0]; ++a)
    for (int64_t b = 0; b < n[1]; ++b)
      for (int64_t c = 0; c < n[2]; ++c) {
        const double x = (a - n[0] / 2.0) / (0.38 * n[0]), y = (b - n[1] * 0.42) / (0.3 * n[1]);
        const int64_t table_top = int64_t(n[1] * 0.72 + 2 - 0.004 * (a - n[0] / 2.0) * (a - n[0] / 2.0));
        bool on = x * x + y * y <= 1.0;
        on = on || (b >= table_top && b < table_top + 3);
        on = on || (std::abs(a - n[0] / 2) <= 1 && b >= n[1] * 0.7 && b < table_top);  // the spur
        on = on || (std::abs(a - 4) <= 1 && std::abs(b - 4) <= 1 && std::abs(c - n[2] / 2) <= 1);  // the speck
        m[std::size_t((a * n[1] + b) * n[2] + c)] = on;
      }
  return m;
}

}  // namespace

TEST(BodyOutline, SquaredDistanceMatchesScipy) {
  const Index3 n{37, 29, 23};
  const Vec3 spacing{0.73, 0.91, 2.3};
  std::mt19937 rng(4);
  std::bernoulli_distribution feature(0.004);
  std::vector<uint8_t> from(std::size_t(n[0] * n[1] * n[2]));
  for (auto& f : from) f = feature(rng);
  from[std::size_t(n[0] * n[1] * n[2] - 1)] = 1;  // a corner
  const auto ours = squared_distance_to(from, n, spacing);
  test::TempDir dir;
  test::save_npy(dir.path() / "from.npy", from.data(), {n[0], n[1], n[2]});
  const auto ref = run_oracle({"distance", (dir.path() / "from.npy").string(), num(spacing[0]), num(spacing[1]),
                               num(spacing[2]), (dir.path() / "d2.npy").string()});
  ASSERT_EQ(ref.size(), ours.size());
  double worst = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) worst = std::max(worst, std::abs(double(ours[i]) - ref[i]) / (1 + ref[i]));
  std::cout << "  largest relative difference to scipy: " << worst << "\n";
  EXPECT_LT(worst, 1e-6);
}

TEST(BodyOutline, NothingToBeNearIsInfinitelyFar) {
  const auto d = squared_distance_to(std::vector<uint8_t>(60, 0), {3, 4, 5}, {1, 1, 1});
  for (float v : d) EXPECT_TRUE(std::isinf(v));
}

TEST(BodyOutline, OpeningAndLargestPartMatchScipy) {
  const Index3 n{58, 51, 13};
  const Vec3 spacing{0.73, 0.91, 2.3};
  const auto mask = patient_on_table(n);
  test::TempDir dir;
  test::save_npy(dir.path() / "mask.npy", mask.data(), {n[0], n[1], n[2]});
  for (const double opening : {0.0, 1.7, 3.1}) {
    for (const bool largest : {false, true}) {
      auto ours = mask;
      outline_body(ours, n, spacing, {opening, largest});
      const auto ref = run_oracle({"outline", (dir.path() / "mask.npy").string(), num(spacing[0]), num(spacing[1]),
                                   num(spacing[2]), num(opening), largest ? "1" : "0",
                                   (dir.path() / "out.npy").string()});
      ASSERT_EQ(ref.size(), ours.size());
      int64_t differing = 0, kept = 0;
      for (std::size_t i = 0; i < ours.size(); ++i) differing += ours[i] != uint8_t(ref[i]), kept += ours[i];
      std::cout << "  opening " << opening << " mm, largest " << largest << ": " << kept << " voxels kept, "
                << differing << " differ from scipy\n";
      EXPECT_EQ(differing, 0);
    }
  }
}

TEST(BodyOutline, TheTableGoesAndThePatientStaysWholeToTheFirstAndLastSlice) {
  const Index3 n{58, 51, 13};
  const Vec3 spacing{0.73, 0.91, 2.3};
  auto mask = patient_on_table(n);
  outline_body(mask, n, spacing, {3.1, true});
  int64_t body = 0, body_kept = 0, other_kept = 0;
  for (int64_t a = 0; a < n[0]; ++a)
    for (int64_t b = 0; b < n[1]; ++b)
      for (int64_t c = 0; c < n[2]; ++c) {
        const double x = (a - n[0] / 2.0) / (0.38 * n[0]), y = (b - n[1] * 0.42) / (0.3 * n[1]);
        const bool in_body = x * x + y * y <= 1.0;
        const bool kept = mask[std::size_t((a * n[1] + b) * n[2] + c)];
        body += in_body, body_kept += in_body && kept, other_kept += !in_body && kept;
        // The body runs through every slice: the grid's ends cut it, they do not erode it.
        const bool mid = mask[std::size_t((a * n[1] + b) * n[2] + n[2] / 2)];
        EXPECT_EQ(kept, mid) << "slice " << c << " differs from the middle one at " << a << "," << b;
      }
  std::cout << "  body voxels kept " << body_kept << " of " << body << "; others kept " << other_kept << "\n";
  EXPECT_EQ(other_kept, 0);  // the plate, the spur and the speck
  EXPECT_GT(double(body_kept), 0.995 * double(body));  // only the corners of the pixelated outline
}

TEST(BodyOutline, AirOutsideTheBodyReplacesTheTableInTheCrop) {
  Volume in;
  const Index3 n{58, 51, 13};
  in.geometry.size = n;
  in.geometry.spacing = {0.73, 0.91, 2.3};
  in.voxels = Tensor::zeros({n[0], n[1], n[2]}, DType::int16);
  const auto shape = patient_on_table(n);
  auto* hu = in.voxels.data<int16_t>();
  for (std::size_t i = 0; i < shape.size(); ++i) hu[i] = shape[i] ? 40 : -1010;
  CropOptions o;
  o.body_mask = true;
  o.outline = {3.1, true};
  o.air_outside_body = true;
  o.air_hu = -1000;
  const auto r = crop_to_foreground(in, o, "crop", "table");
  const auto& g = r.volume->geometry;
  const auto* out = r.volume->voxels.data<int16_t>();
  const auto* body = r.body_mask->voxels.data<uint8_t>();
  int64_t changed = 0;
  for (int64_t a = 0; a < g.size[0]; ++a)
    for (int64_t b = 0; b < g.size[1]; ++b)
      for (int64_t c = 0; c < g.size[2]; ++c) {
        const std::size_t i = std::size_t((a * g.size[1] + b) * g.size[2] + c);
        const int16_t original = hu[std::size_t(((a + r.box.start[0]) * n[1] + b + r.box.start[1]) * n[2] + c +
                                                r.box.start[2])];
        EXPECT_EQ(out[i], body[i] ? original : -1000);
        changed += out[i] != original;
      }
  EXPECT_GT(changed, 0);  // some of the table lies in the crop
}
