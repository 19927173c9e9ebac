// The CPU stages that work on a study's full-resolution grid, on the study
// size of issue 17 (a 512 x 512 x 240 phantom at 0.75 x 0.75 x 1.25 mm, with
// the table), as pipelines/demo_model.json runs them:
//   BM_Phantom         the synthetic source (make_phantom)
//   BM_ForegroundCrop  crop + body mask (sides) + 5 mm opening + largest part + air outside
//   BM_Aggregate       32^3 windows (overlap 0.5) of 3x3x2-pooled scores on the 1.5x1.5x2.25 mm grid:
//                      per-patch trilinear upsampling, Gaussian blending in patch order, the map
//                      back onto the original grid
//   BM_MaskMap         that map set to its minimum outside the body mask (on the cropped grid)
// SCREENER_BENCH_THREADS limits oneTBB (default: all cores).
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>

#include "blend.h"
#include "crop_volume.h"
#include "mask_outside.h"
#include "phantom.h"
#include "regrid.h"

using namespace screener;

namespace {

phantom::PhantomOptions study_options() {
  phantom::PhantomOptions o;
  o.size = {512, 512, 240};
  o.spacing = {0.75, 0.75, 1.25};
  o.seed = 3;
  o.lesions = 2;
  o.couch = true;
  return o;
}

std::shared_ptr<Volume> study_volume() {
  static std::shared_ptr<Volume> volume = [] {
    const auto ct = phantom::make_phantom(study_options());
    auto v = std::make_shared<Volume>();
    v->geometry = ct.geometry;
    v->voxels = Tensor::zeros({ct.geometry.size[0], ct.geometry.size[1], ct.geometry.size[2]}, DType::int16);
    std::copy(ct.hu.begin(), ct.hu.end(), v->voxels.data<int16_t>());
    v->history.push_back({"", "read", ct.geometry});
    return v;
  }();
  return volume;
}

foreground_crop::CropOptions crop_options() {
  foreground_crop::CropOptions o;
  o.body_mask = true;
  o.body_border = foreground_crop::BodyBorder::sides;
  o.outline.opening_mm = 5;
  o.outline.largest_only = true;
  o.air_outside_body = true;
  return o;
}

const foreground_crop::CropResult& crop() {
  static const auto result = foreground_crop::crop_to_foreground(*study_volume(), crop_options(), "crop", "bench");
  return result;
}

// The patcher's windows: every `step` voxels, the last one flush with the end.
std::vector<int64_t> starts(int64_t n, int64_t roi, int64_t step) {
  std::vector<int64_t> s;
  for (int64_t x = 0;; x += step) {
    if (x + roi >= n) {
      s.push_back(std::max<int64_t>(0, n - roi));
      break;
    }
    s.push_back(x);
  }
  return s;
}

struct Scores {
  Geometry grid;  // the resampled crop the windows were cut from
  Index3 roi{32, 32, 32}, res{11, 11, 16};
  std::vector<Index3> window_starts;
  std::vector<std::vector<float>> patches;  // {1, res}
};

const Scores& scores() {
  static const Scores s = [] {
    Scores s;
    const Geometry& cropped = crop().volume->geometry;
    s.grid = cropped;
    const Vec3 target{1.5, 1.5, 2.25};
    for (int k = 0; k < 3; ++k) {
      s.grid.size[k] = int64_t(std::round(double(cropped.size[k]) * cropped.spacing[k] / target[k]));
      s.grid.spacing[k] = target[k];
    }
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (int64_t a : starts(s.grid.size[0], 32, 16))
      for (int64_t b : starts(s.grid.size[1], 32, 16))
        for (int64_t c : starts(s.grid.size[2], 32, 16)) {
          s.window_starts.push_back({a, b, c});
          std::vector<float> p(std::size_t(s.res[0] * s.res[1] * s.res[2]));
          for (auto& v : p) v = normal(rng);
          s.patches.push_back(std::move(p));
        }
    return s;
  }();
  return s;
}

// What the aggregator stage does with a study's patches, in patch order.
std::vector<float> aggregate(const Scores& s, const Geometry& original) {
  using namespace aggregator;
  const auto weights = importance_map(s.roi, BlendMode::gaussian);
  Accumulator sum(s.grid.size, 1);
  for (std::size_t i = 0; i < s.patches.size(); ++i) {
    const auto up = upsample_trilinear(s.patches[i].data(), 1, s.res, s.roi);
    sum.add(up.data(), s.window_starts[i], s.roi, weights);
  }
  const auto values = sum.result();
  const float fill = *std::min_element(values.begin(), values.end());
  std::vector<float> map(std::size_t(original.voxel_count()));
  regrid_linear(values.data(), s.grid, original, fill, map.data());
  return map;
}

std::optional<tbb::global_control> limit_threads() {
  if (const char* t = std::getenv("SCREENER_BENCH_THREADS"))
    return std::optional<tbb::global_control>(std::in_place, tbb::global_control::max_allowed_parallelism,
                                              std::size_t(std::atoi(t)));
  return std::nullopt;
}
const auto threads = limit_threads();

void BM_Phantom(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(phantom::make_phantom(study_options()).hu.data());
}
BENCHMARK(BM_Phantom)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

void BM_ForegroundCrop(benchmark::State& state) {
  const auto volume = study_volume();
  const auto options = crop_options();
  for (auto _ : state)
    benchmark::DoNotOptimize(foreground_crop::crop_to_foreground(*volume, options, "crop", "bench").body_mask.get());
}
BENCHMARK(BM_ForegroundCrop)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

void BM_Aggregate(benchmark::State& state) {
  const Scores& s = scores();
  const Geometry original = study_volume()->geometry;
  for (auto _ : state) benchmark::DoNotOptimize(aggregate(s, original).data());
  state.counters["patches"] = double(s.patches.size());
}
BENCHMARK(BM_Aggregate)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

void BM_MaskMap(benchmark::State& state) {
  const Geometry original = study_volume()->geometry;
  auto map = std::make_shared<Volume>();
  map->geometry = original;
  map->voxels = Tensor::zeros({original.size[0], original.size[1], original.size[2]}, DType::float32);
  const auto values = aggregate(scores(), original);
  std::copy(values.begin(), values.end(), map->voxels.data<float>());
  const Volume& mask = *crop().body_mask;
  for (auto _ : state) benchmark::DoNotOptimize(mask_map::mask_outside(*map, mask).raw());
}
BENCHMARK(BM_MaskMap)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
