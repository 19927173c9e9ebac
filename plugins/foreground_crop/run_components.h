// 6-connected components of the set voxels of a C-order grid, found on runs
// (maximal stretches of set voxels along axis 2, the fastest): runs of each
// line are found in parallel, joined with the overlapping runs of the lines
// before them in parallel slabs of axis 0, then across the slabs' borders.
// Which voxels form a component is a property of the set, not of the order of
// the work: the result is the same bytes for any number of threads.
#pragma once
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "screener/geometry.h"

namespace screener::foreground_crop {

struct RunComponents {
  Index3 size{0, 0, 0};
  // Runs of line l = i * size[1] + j: [line_start[l], line_start[l + 1]), in increasing k.
  std::vector<int64_t> line_start;
  std::vector<int32_t> begin, end;  // k range [begin, end) of each run
  // Each run's component, named by its first run (the one holding its first
  // voxel in C order).
  std::vector<int32_t> component;
  int64_t runs() const { return int64_t(begin.size()); }
};

namespace detail {
inline int32_t find_root(std::vector<int32_t>& parent, int32_t x) {
  while (parent[std::size_t(x)] != x) {
    parent[std::size_t(x)] = parent[std::size_t(parent[std::size_t(x)])];
    x = parent[std::size_t(x)];
  }
  return x;
}
// The smaller root becomes the parent: a parent's index is never above its child's.
inline void unite(std::vector<int32_t>& parent, int32_t a, int32_t b) {
  a = find_root(parent, a), b = find_root(parent, b);
  if (a < b) parent[std::size_t(b)] = a;
  else if (b < a) parent[std::size_t(a)] = b;
}
void join_lines(const RunComponents& c, int64_t line, int64_t other, std::vector<int32_t>& parent);
void finish_components(RunComponents& c, std::vector<int32_t>& parent, int64_t slab);
}  // namespace detail

// `is_set(v)` for a voxel's C-order index v; called from several threads.
template <class IsSet> RunComponents run_components(const Index3& size, const IsSet& is_set) {
  RunComponents c;
  c.size = size;
  const int64_t lines = size[0] * size[1], n = size[2];
  c.line_start.assign(std::size_t(lines) + 1, 0);
  using Range = tbb::blocked_range<int64_t>;
  tbb::parallel_for(Range(0, lines), [&](const Range& r) {
    for (int64_t l = r.begin(); l < r.end(); ++l) {
      int64_t count = 0;
      bool previous = false;
      for (int64_t k = 0; k < n; ++k) {
        const bool set = is_set(l * n + k);
        count += set && !previous;
        previous = set;
      }
      c.line_start[std::size_t(l) + 1] = count;
    }
  });
  for (int64_t l = 0; l < lines; ++l) c.line_start[std::size_t(l) + 1] += c.line_start[std::size_t(l)];
  const int64_t total = c.line_start.back();
  if (total >= INT32_MAX) throw std::length_error("run_components: too many runs");
  c.begin.resize(std::size_t(total));
  c.end.resize(std::size_t(total));
  tbb::parallel_for(Range(0, lines), [&](const Range& r) {
    for (int64_t l = r.begin(); l < r.end(); ++l) {
      std::size_t at = std::size_t(c.line_start[std::size_t(l)]);
      for (int64_t k = 0; k < n;) {
        if (!is_set(l * n + k)) {
          ++k;
          continue;
        }
        const int64_t first = k;
        while (k < n && is_set(l * n + k)) ++k;
        c.begin[at] = int32_t(first), c.end[at] = int32_t(k), ++at;
      }
    }
  });
  // Slabs of axis 0 joined in parallel (each touches only its own runs), then across their borders.
  std::vector<int32_t> parent(static_cast<std::size_t>(total));
  for (int64_t r = 0; r < total; ++r) parent[std::size_t(r)] = int32_t(r);
  const int64_t slab = std::max<int64_t>(1, (size[0] + 31) / 32);
  tbb::parallel_for(int64_t{0}, (size[0] + slab - 1) / slab, [&](int64_t s) {
    for (int64_t i = s * slab; i < std::min(size[0], (s + 1) * slab); ++i)
      for (int64_t j = 0; j < size[1]; ++j) {
        const int64_t line = i * size[1] + j;
        if (j > 0) detail::join_lines(c, line, line - 1, parent);
        if (i > s * slab) detail::join_lines(c, line, line - size[1], parent);
      }
  });
  detail::finish_components(c, parent, slab);
  return c;
}

}  // namespace screener::foreground_crop
