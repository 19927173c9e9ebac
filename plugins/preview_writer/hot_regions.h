// The places a preview shows: the connected regions (26-connectivity) of the
// voxels at or above a threshold, ranked by their core: the mean excess
// (score - threshold) over their hottest `core_voxels` voxels, a region with
// fewer counting the missing ones as 0. It ranks by how high a region's
// scores are over a small volume, so that an isolated speck whose single
// voxel is the map's highest does not come first, and neither does a large
// but faint region (ranked by the summed excess, organ boundaries of the demo
// studies came before the lesions; by this core, the lesions come first).
#pragma once
#include <cstdint>
#include <vector>

#include "screener/geometry.h"

namespace screener::preview {

struct HotRegion {
  int rank = 0;         // 1 = first shown
  int64_t voxels = 0;
  double mass = 0;      // sum over its voxels of (score - threshold)
  double core = 0;      // mean excess over its hottest core voxels: what ranks it
  float peak = 0;       // its highest score
  Index3 peak_index{};  // where that is (the first such voxel in memory order)
  Index3 lo{}, hi{};    // bounding box, inclusive
};

struct HotRegions {
  double threshold = 0;
  std::vector<HotRegion> regions;  // ranked, at most the number asked for
  // Rank (1..) of the shown region each voxel of the box [box_lo, box_lo +
  // box_size) belongs to, 0 for none; voxels outside the box belong to none.
  Index3 box_lo{}, box_size{};
  std::vector<uint8_t> rank_of;

  int rank_at(const Index3& index) const;
};

// numpy's default (linear) percentile, 0-100, of the map's values above its
// minimum (the same definition as the DICOM Segmentation's threshold:
// mask_map gives every voxel outside the body the minimum). A flat map gives
// a level above every value.
double percentile_above_minimum(const float* map, int64_t count, double percentile);
// Several at once, from one copy of the values.
std::vector<double> percentiles_above_minimum(const float* map, int64_t count, const std::vector<double>& percentiles);

// `map` is laid out like `grid` (axis 2 fastest). At most `max_regions`
// (1..255) regions are kept; ties in the core go to the higher peak.
HotRegions find_hot_regions(const float* map, const Index3& size, double threshold, int max_regions,
                            int64_t core_voxels);

}  // namespace screener::preview
