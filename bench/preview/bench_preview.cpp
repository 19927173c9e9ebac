// The preview of a full-size study (512 x 512 x 200 at 0.7 x 0.7 x 1.25 mm):
// the whole montage, and its parts (the two percentiles, the regions).
// The CT is int16 (read through the stage's per-voxel reader), the map
// mask_map's kind: the minimum outside an elliptic body, inside slow waves
// and three Gaussian hot spots.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "montage.h"

using namespace screener;
using namespace screener::preview;

namespace {

constexpr int64_t nx = 512, ny = 512, nz = 200;

struct Fixture {
  Geometry grid;
  std::vector<int16_t> ct;
  std::vector<float> map;
  Fixture() : ct(std::size_t(nx * ny * nz)), map(ct.size()) {
    grid.size = {nx, ny, nz};
    grid.spacing = {0.7, 0.7, 1.25};
    const double spots[3][4] = {{180, 260, 80, 12}, {330, 200, 120, 6}, {260, 330, 40, 20}};  // x, y, z, sigma
    for (int64_t i = 0; i < nx; ++i)
      for (int64_t j = 0; j < ny; ++j) {
        const double ex = (double(i) - 256) / 215, ey = (double(j) - 256) / 165;
        const bool body = ex * ex + ey * ey <= 1;
        const bool lung = std::pow((double(i) - 180) / 70, 2) + std::pow((double(j) - 250) / 100, 2) <= 1 ||
                          std::pow((double(i) - 332) / 70, 2) + std::pow((double(j) - 250) / 100, 2) <= 1;
        for (int64_t k = 0; k < nz; ++k) {
          const std::size_t at = std::size_t((i * ny + j) * nz + k);
          ct[at] = int16_t(!body ? -1000 : lung ? -850 : 40);
          double s = -2.0;
          if (body) {
            s = 0.4 * std::sin(double(i) / 37.0) * std::cos(double(j) / 53.0) + 0.3 * std::sin(double(k) / 23.0 + 1.0);
            for (const auto& p : spots) {
              const double d2 = (i - p[0]) * (i - p[0]) + (j - p[1]) * (j - p[1]) + (k - p[2]) * (k - p[2]);
              s += 3.0 * std::exp(-d2 / (2 * p[3] * p[3]));
            }
          }
          map[at] = float(s);
        }
      }
  }
  VoxelReader reader() const {
    return [p = ct.data()](int64_t i) { return float(p[i]); };
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void WholeMontage(benchmark::State& state) {
  const auto& f = fixture();
  MontageOptions o;
  for (auto _ : state) benchmark::DoNotOptimize(make_montage(f.reader(), f.map.data(), f.grid, o).image.rgb.data());
}

void Percentile(benchmark::State& state) {
  const auto& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(percentile_above_minimum(f.map.data(), int64_t(f.map.size()), 99.5));
}

void Regions(benchmark::State& state) {
  const auto& f = fixture();
  const double threshold = percentile_above_minimum(f.map.data(), int64_t(f.map.size()), 99.5);
  for (auto _ : state) benchmark::DoNotOptimize(find_hot_regions(f.map.data(), f.grid.size, threshold, 3, 50).regions);
}

}  // namespace

BENCHMARK(WholeMontage)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(Percentile)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(Regions)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
