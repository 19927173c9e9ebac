#include "body_outline.h"

#include <tbb/parallel_for.h>

#include "distance_transform.h"

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

// Keeps the largest 6-connected component of `mask`.
void keep_largest_component(std::vector<uint8_t>& mask, const Index3& size) {
  const int64_t stride[3] = {size[1] * size[2], size[2], 1};
  enum : uint8_t { kSeen = 2, kKept = 3 };
  std::vector<int64_t> front, next;
  // Marks the component of `seed` (whose voxels are `from`) as `to`, one
  // wavefront at a time (memory follows the front, not the component); its size.
  auto flood = [&](int64_t seed, uint8_t from, uint8_t to) {
    std::size_t count = 1;
    mask[std::size_t(seed)] = to;
    next.assign(1, seed);
    while (!next.empty()) {
      front.swap(next);
      next.clear();
      for (const int64_t v : front) {
        int64_t rest = v;
        for (int axis = 0; axis < 3; ++axis) {
          const int64_t at = rest / stride[axis];
          rest %= stride[axis];
          for (const int64_t u : {at > 0 ? v - stride[axis] : -1, at < size[axis] - 1 ? v + stride[axis] : -1})
            if (u >= 0 && mask[std::size_t(u)] == from) {
              mask[std::size_t(u)] = to;
              next.push_back(u);
            }
        }
      }
      count += next.size();
    }
    return count;
  };
  int64_t best_seed = -1;
  std::size_t best_size = 0;
  for (int64_t v = 0; v < int64_t(mask.size()); ++v)
    if (mask[std::size_t(v)] == 1) {
      const std::size_t s = flood(v, 1, kSeen);
      if (s > best_size) best_size = s, best_seed = v;
    }
  if (best_seed >= 0) flood(best_seed, kSeen, kKept);
  for (auto& m : mask) m = m == kKept;
}

}  // namespace

void outline_body(std::vector<uint8_t>& mask, const Index3& size, const Vec3& spacing, const OutlineOptions& options) {
  if (options.opening_mm > 0) open_with_ball(mask, size, spacing, options.opening_mm);
  if (options.largest_only) keep_largest_component(mask, size);
}

}  // namespace screener::foreground_crop
