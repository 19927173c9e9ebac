#include <gtest/gtest.h>

#include <tbb/global_control.h>

#include <cmath>
#include <cstring>

#include "mask_outside.h"
#include "stage_harness.h"

using namespace screener;

namespace {
struct Pair {
  Geometry original, cropped;
  std::shared_ptr<Volume> map, mask;
  Pair() {
    original.size = {20, 16, 12};
    original.spacing = {1.0, 1.5, 2.0};
    original.origin = {-10, 5, 30};
    Tensor m = Tensor::zeros({20, 16, 12}, DType::float32);
    for (int64_t i = 0; i < m.numel(); ++i) m.data<float>()[i] = 1.0f + float(i % 7);
    map = harness::volume_of(original, std::move(m));
    // The mask lives on a crop of the original grid: voxels [4, 14) x [2, 12) x [3, 9), inside = first half along x.
    cropped = original.sub_grid({4, 2, 3}, {10, 10, 6});
    Tensor k = Tensor::zeros({10, 10, 6}, DType::uint8);
    for (int64_t a = 0; a < 5; ++a)
      for (int64_t b = 0; b < 10; ++b)
        for (int64_t c = 0; c < 6; ++c) k.data<uint8_t>()[(a * 10 + b) * 6 + c] = 1;
    mask = harness::volume_of(cropped, std::move(k));
  }
};
}  // namespace

TEST(MaskMap, OutsideTheMaskOnItsOwnGridTheMapTakesItsMinimum) {
  Pair p;
  harness::StageRun run;
  auto study = std::make_shared<Study>();
  study->id = "s";
  Packet map{study, p.map}, mask{study, p.mask};
  Inputs in(run.spec.inputs(), {map, mask});
  harness::CapturingEmitter out;
  run.stage->process(in, out);
  const auto& result = payload_as<Volume>(out.emitted.at("map"));
  EXPECT_EQ(result.geometry, p.original);
  const float* v = result.voxels.data<float>();
  const float* before = p.map->voxels.data<float>();
  int kept = 0;
  for (int64_t a = 0; a < 20; ++a)
    for (int64_t b = 0; b < 16; ++b)
      for (int64_t c = 0; c < 12; ++c) {
        const std::size_t i = std::size_t((a * 16 + b) * 12 + c);
        const bool inside = a >= 4 && a < 9 && b >= 2 && b < 12 && c >= 3 && c < 9;
        if (inside) {
          EXPECT_EQ(v[i], before[i]) << a << " " << b << " " << c;
          ++kept;
        } else {
          EXPECT_EQ(v[i], 1.0f) << a << " " << b << " " << c;
        }
      }
  EXPECT_EQ(kept, 5 * 10 * 6);
}

TEST(MaskMap, RejectsAMaskThatIsNotUint8) {
  Pair p;
  harness::StageRun run;
  auto study = std::make_shared<Study>();
  Packet map{study, p.map}, mask{study, p.map};
  Inputs in(run.spec.inputs(), {map, mask});
  harness::CapturingEmitter out;
  EXPECT_THROW(run.stage->process(in, out), Error);
}

TEST(MaskMap, TheSameBytesOnOneThreadAndOnMany) {
  Geometry original;
  original.size = {90, 70, 50};
  original.spacing = {0.8, 0.8, 1.5};
  Volume map, mask;
  map.geometry = original;
  map.voxels = Tensor::zeros({90, 70, 50}, DType::float32);
  for (int64_t i = 0; i < map.voxels.numel(); ++i) map.voxels.data<float>()[i] = std::sin(0.01f * float(i));
  // The mask on a shifted, coarser grid: interpolated weights strictly between 0 and 1.
  mask.geometry.size = {40, 30, 20};
  mask.geometry.spacing = {1.7, 1.9, 2.6};
  mask.geometry.origin = original.index_to_physical({3.3, 2.1, 1.7});
  mask.voxels = Tensor::zeros({40, 30, 20}, DType::uint8);
  for (int64_t i = 0; i < mask.voxels.numel(); ++i) mask.voxels.data<uint8_t>()[i] = uint8_t((i * 7919) % 3 != 0);
  Tensor one;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = mask_map::mask_outside(map, mask);
  }
  const Tensor many = mask_map::mask_outside(map, mask);
  ASSERT_EQ(one.nbytes(), many.nbytes());
  EXPECT_EQ(std::memcmp(one.raw(), many.raw(), one.nbytes()), 0);
}
