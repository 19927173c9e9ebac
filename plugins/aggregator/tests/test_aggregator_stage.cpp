// The stage blends a study's patches in index order whatever order they
// arrive in, so the map is the same bytes under any threads and timing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "blend.h"
#include "stage_harness.h"

using namespace screener;

namespace {
struct PatchSet {
  std::shared_ptr<const Volume> source;
  std::vector<std::shared_ptr<Patch>> patches;
};

// Overlapping 8x8x4 windows with random predictions over a 20x18x9 volume.
PatchSet random_study(unsigned seed) {
  Geometry g;
  g.size = {20, 18, 9};
  auto source = harness::volume_of(g, Tensor::zeros({20, 18, 9}, DType::float32));
  PatchSet s{source, {}};
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> value(-3.0f, 7.0f);
  for (int64_t a = 0; a <= 12; a += 4)
    for (int64_t b = 0; b <= 10; b += 5)
      for (int64_t c = 0; c <= 5; c += 2) {
        auto p = std::make_shared<Patch>();
        p->start = {a, b, c};
        p->roi = {8, 8, 4};
        p->source = source;
        p->data = Tensor::zeros({1, 8, 8, 4}, DType::float32);
        for (int64_t i = 0; i < p->data.numel(); ++i) p->data.data<float>()[i] = value(random);
        s.patches.push_back(p);
      }
  return s;
}

// Feeds the patches in `order`; the map the stage emits with the last one.
std::vector<float> blend_in(const PatchSet& study, const std::vector<std::size_t>& order, int* emitted_early = nullptr) {
  harness::StageRun run(Json{{"grid", "source"}});
  auto id = std::make_shared<screener::Study>();
  id->id = "s";
  std::vector<float> map;
  for (std::size_t k = 0; k < order.size(); ++k) {
    Packet packet{id, study.patches[order[k]], int64_t(order[k]), int64_t(order.size()), nullptr};
    Inputs in(run.spec.inputs(), {packet});
    harness::CapturingEmitter out;
    run.stage->process(in, out);
    if (!out.emitted.count("map")) continue;
    if (k + 1 < order.size() && emitted_early) ++*emitted_early;
    const auto& v = payload_as<Volume>(out.emitted.at("map"));
    map.assign(v.voxels.data<float>(), v.voxels.data<float>() + v.voxels.numel());
  }
  return map;
}
}  // namespace

TEST(AggregatorStage, TheMapIsTheSameBytesWhateverOrderThePatchesArriveIn) {
  const PatchSet study = random_study(7);
  std::vector<std::size_t> in_order(study.patches.size());
  std::iota(in_order.begin(), in_order.end(), 0);
  const auto reference = blend_in(study, in_order);
  ASSERT_EQ(reference.size(), std::size_t(20 * 18 * 9));

  // The test can fail: summing in another order changes some voxels' bits.
  aggregator::Accumulator backwards({20, 18, 9}, 1);
  const auto w = aggregator::importance_map({8, 8, 4}, aggregator::BlendMode::gaussian);
  for (auto it = study.patches.rbegin(); it != study.patches.rend(); ++it)
    backwards.add((*it)->data.data<float>(), (*it)->start, (*it)->roi, w);
  const auto naive = backwards.result();
  EXPECT_NE(std::memcmp(naive.data(), reference.data(), naive.size() * sizeof(float)), 0);

  std::mt19937 random(11);
  for (int round = 0; round < 20; ++round) {
    auto order = in_order;
    std::shuffle(order.begin(), order.end(), random);
    int early = 0;
    const auto map = blend_in(study, order, &early);
    EXPECT_EQ(early, 0) << "the map comes with the last patch to arrive";
    ASSERT_EQ(map.size(), reference.size());
    EXPECT_EQ(std::memcmp(map.data(), reference.data(), map.size() * sizeof(float)), 0) << "round " << round;
  }
}

TEST(AggregatorStage, ADuplicateOrOutOfRangePatchIsAnError) {
  const PatchSet study = random_study(3);
  harness::StageRun run(Json{{"grid", "source"}});
  auto id = std::make_shared<screener::Study>();
  const int64_t n = int64_t(study.patches.size());
  harness::CapturingEmitter out;
  auto feed = [&](std::size_t which, int64_t index, int64_t count) {
    Packet packet{id, study.patches[which], index, count, nullptr};
    Inputs in(run.spec.inputs(), {packet});
    run.stage->process(in, out);
  };
  feed(0, 0, n);
  EXPECT_THROW(feed(0, 0, n), Error);  // already added
  feed(2, 2, n);
  EXPECT_THROW(feed(2, 2, n), Error);  // waiting for patch 1
  EXPECT_THROW(feed(1, n, n), Error);
  EXPECT_THROW(feed(1, -1, n), Error);
}
