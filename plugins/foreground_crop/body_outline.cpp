#include "body_outline.h"

#include <tbb/parallel_for.h>

#include "distance_transform.h"
#include "run_components.h"

namespace screener::foreground_crop {

namespace {

// Voxels of `mask` whose ball of radius r lies inside it, grown back by r:
// {x : d(x, {y : d(y, outside) > r}) <= r}, d the Euclidean distance in mm.
void open_with_ball(std::vector<uint8_t>& mask, const Index3& size, const Vec3& spacing, double radius_mm) {
  const float r2 = float(radius_mm * radius_mm);
  const std::size_t n = mask.size();
  std::vector<uint8_t> outside(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { outside[i] = !mask[i]; });
  std::vector<float> d = squared_distance_to(outside, size, spacing);
  std::vector<uint8_t>& eroded = outside;  // reused
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { eroded[i] = mask[i] && d[i] > r2; });
  d = squared_distance_to(eroded, size, spacing);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { mask[i] = d[i] <= r2; });
}

// Keeps the largest 6-connected component of `mask`; of equal ones, the one
// whose first voxel comes first in C order.
void keep_largest_component(std::vector<uint8_t>& mask, const Index3& size) {
  const auto parts = run_components(size, [&](int64_t v) { return mask[std::size_t(v)] == 1; });
  std::vector<int64_t> voxels(std::size_t(parts.runs()), 0);
  for (int64_t r = 0; r < parts.runs(); ++r)
    voxels[std::size_t(parts.component[std::size_t(r)])] += parts.end[std::size_t(r)] - parts.begin[std::size_t(r)];
  int64_t best = -1;
  for (int64_t r = 0; r < parts.runs(); ++r)
    if (best < 0 || voxels[std::size_t(r)] > voxels[std::size_t(best)]) best = r;
  tbb::parallel_for(int64_t{0}, size[0] * size[1], [&](int64_t line) {
    uint8_t* row = mask.data() + line * size[2];
    std::fill(row, row + size[2], uint8_t{0});
    for (int64_t r = parts.line_start[std::size_t(line)]; r < parts.line_start[std::size_t(line) + 1]; ++r)
      if (parts.component[std::size_t(r)] == best)
        std::fill(row + parts.begin[std::size_t(r)], row + parts.end[std::size_t(r)], uint8_t{1});
  });
}

}  // namespace

void outline_body(std::vector<uint8_t>& mask, const Index3& size, const Vec3& spacing, const OutlineOptions& options) {
  if (options.opening_mm > 0) open_with_ball(mask, size, spacing, options.opening_mm);
  if (options.largest_only) keep_largest_component(mask, size);
}

}  // namespace screener::foreground_crop
