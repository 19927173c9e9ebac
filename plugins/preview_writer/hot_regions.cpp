#include "hot_regions.h"

#include <algorithm>
#include <functional>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <numeric>

#include "screener/error.h"

namespace screener::preview {

int HotRegions::rank_at(const Index3& v) const {
  int64_t offset = 0;
  for (int a = 0; a < 3; ++a) {
    const int64_t local = v[std::size_t(a)] - box_lo[std::size_t(a)];
    if (local < 0 || local >= box_size[std::size_t(a)]) return 0;
    offset = offset * box_size[std::size_t(a)] + local;
  }
  return rank_of[std::size_t(offset)];
}

double percentile_above_minimum(const float* map, int64_t count, double percentile) {
  return percentiles_above_minimum(map, count, {percentile})[0];
}

std::vector<double> percentiles_above_minimum(const float* map, int64_t count, const std::vector<double>& percentiles) {
  if (count <= 0) throw Error("preview: the map is empty");
  const float lowest = *std::min_element(map, map + count);
  std::vector<float> above;
  std::copy_if(map, map + count, std::back_inserter(above), [&](float x) { return x > lowest; });
  std::vector<double> levels;
  for (double percentile : percentiles) {
    if (above.empty()) {
      levels.push_back(std::nextafter(double(lowest), INFINITY));
      continue;
    }
    const double rank = std::clamp(percentile, 0.0, 100.0) / 100.0 * double(above.size() - 1);
    const auto below = std::size_t(rank);
    // Only the two values around the rank are needed, not a full sort.
    std::nth_element(above.begin(), above.begin() + std::ptrdiff_t(below), above.end());
    const double low = above[below];
    const double high =
        below + 1 < above.size() ? *std::min_element(above.begin() + std::ptrdiff_t(below) + 1, above.end()) : low;
    levels.push_back(low + (rank - double(below)) * (high - low));
  }
  return levels;
}

namespace {

struct Stats {
  int64_t voxels = 0;
  double mass = 0, core = 0;
  std::vector<float> excess;  // of every voxel
  float peak = -std::numeric_limits<float>::infinity();
  Index3 peak_index{}, lo{}, hi{};
};

// Labels (1, 2, ... in the order of their first voxel) of the hot voxels inside
// the box, 26-connected as scipy.ndimage.label's full structure; 0 elsewhere.
// Union-find over the box in memory order: each hot voxel joins its 13 hot
// neighbours already visited, every root is its set's first voxel.
// (ITK's ConnectedComponentImageFilter did this before; its neighbourhood
// iterator applies offsets to a null pointer, which UBSan reports.)
std::vector<uint32_t> label_components(const float* map, const Index3& n, const Index3& lo, const Index3& size,
                                       double threshold) {
  const int64_t count = size[0] * size[1] * size[2];
  constexpr uint32_t cold = std::numeric_limits<uint32_t>::max();
  if (count >= int64_t(cold)) throw Error("preview: the box of the hot voxels is too large to label");
  std::vector<uint32_t> parent(std::size_t(count), cold);
  const auto find = [&](uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (int64_t i = 0, at = 0; i < size[0]; ++i)
    for (int64_t j = 0; j < size[1]; ++j)
      for (int64_t k = 0; k < size[2]; ++k, ++at) {
        if (map[((lo[0] + i) * n[1] + lo[1] + j) * n[2] + lo[2] + k] < threshold) continue;
        parent[std::size_t(at)] = uint32_t(at);
        for (int64_t di = -1; di <= 0; ++di)
          for (int64_t dj = -1; dj <= 1; ++dj)
            for (int64_t dk = -1; dk <= 1; ++dk) {
              if (di == 0 && (dj > 0 || (dj == 0 && dk >= 0))) continue;  // not visited yet
              const int64_t ni = i + di, nj = j + dj, nk = k + dk;
              if (ni < 0 || nj < 0 || nj >= size[1] || nk < 0 || nk >= size[2]) continue;
              const int64_t neighbour = (ni * size[1] + nj) * size[2] + nk;
              if (parent[std::size_t(neighbour)] == cold) continue;
              uint32_t a = find(uint32_t(at)), b = find(uint32_t(neighbour));
              if (a == b) continue;
              if (a < b) std::swap(a, b);
              parent[a] = b;  // the earlier voxel stays the root
            }
      }
  std::vector<uint32_t> label(std::size_t(count), 0);
  uint32_t next = 0;
  for (std::size_t at = 0; at < label.size(); ++at) {
    if (parent[at] == cold) continue;
    const uint32_t root = find(uint32_t(at));
    label[at] = root == at ? ++next : label[root];
  }
  return label;
}

}  // namespace

HotRegions find_hot_regions(const float* map, const Index3& n, double threshold, int max_regions,
                            int64_t core_voxels) {
  if (max_regions < 1 || max_regions > 255) throw Error("preview: between 1 and 255 regions can be shown");
  if (core_voxels < 1) throw Error("preview: a region's core is at least one voxel");
  HotRegions out;
  out.threshold = threshold;
  Index3 lo{n[0], n[1], n[2]}, hi{-1, -1, -1};
  for (int64_t i = 0; i < n[0]; ++i)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t k = 0; k < n[2]; ++k)
        if (map[(i * n[1] + j) * n[2] + k] >= threshold) {
          const Index3 v{i, j, k};
          for (std::size_t a = 0; a < 3; ++a) lo[a] = std::min(lo[a], v[a]), hi[a] = std::max(hi[a], v[a]);
        }
  if (hi[0] < 0) return out;
  const Index3 size{hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1};

  const std::vector<uint32_t> labels = label_components(map, n, lo, size, threshold);
  const uint32_t* label = labels.data();
  std::vector<Stats> stats(1);  // by label; 0 is the background
  for (int64_t i = 0, at = 0; i < size[0]; ++i)
    for (int64_t j = 0; j < size[1]; ++j)
      for (int64_t k = 0; k < size[2]; ++k, ++at) {
        const uint32_t l = label[at];
        if (!l) continue;
        if (l >= stats.size()) stats.resize(std::size_t(l) + 1);
        Stats& s = stats[l];
        const Index3 v{lo[0] + i, lo[1] + j, lo[2] + k};
        const float score = map[(v[0] * n[1] + v[1]) * n[2] + v[2]];
        if (s.voxels++ == 0) s.lo = s.hi = v;
        for (std::size_t a = 0; a < 3; ++a) s.lo[a] = std::min(s.lo[a], v[a]), s.hi[a] = std::max(s.hi[a], v[a]);
        s.excess.push_back(float(double(score) - threshold));
        s.mass += double(score) - threshold;
        if (score > s.peak) s.peak = score, s.peak_index = v;
      }

  std::vector<uint32_t> order;
  for (uint32_t l = 1; l < stats.size(); ++l) {
    Stats& s = stats[l];
    if (!s.voxels) continue;
    order.push_back(l);
    const auto hottest = s.excess.begin() + std::min<std::ptrdiff_t>(core_voxels, std::ptrdiff_t(s.excess.size()));
    std::nth_element(s.excess.begin(), hottest - 1, s.excess.end(), std::greater<>());
    s.core = std::accumulate(s.excess.begin(), hottest, 0.0) / double(core_voxels);
    s.excess = {};
  }
  // The higher core first; equal cores by the higher peak, then by memory order.
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const Stats &x = stats[a], &y = stats[b];
    if (x.core != y.core) return x.core > y.core;
    if (x.peak != y.peak) return x.peak > y.peak;
    return x.peak_index < y.peak_index;
  });
  order.resize(std::min(order.size(), std::size_t(max_regions)));

  std::vector<uint8_t> rank_of_label(stats.size(), 0);
  for (std::size_t r = 0; r < order.size(); ++r) {
    const Stats& s = stats[order[r]];
    rank_of_label[order[r]] = uint8_t(r + 1);
    out.regions.push_back({int(r + 1), s.voxels, s.mass, s.core, s.peak, s.peak_index, s.lo, s.hi});
  }
  out.box_lo = lo;
  out.box_size = size;
  out.rank_of.resize(std::size_t(size[0] * size[1] * size[2]));
  for (std::size_t i = 0; i < out.rank_of.size(); ++i) out.rank_of[i] = rank_of_label[label[i]];
  return out;
}

}  // namespace screener::preview
