// The CT window of a view: lung for a region in the lung, soft tissue
// otherwise, unless the user forces one.
#pragma once
#include <functional>
#include <string>

#include "hot_regions.h"
#include "screener/geometry.h"

namespace screener::preview {

// A voxel's value by its linear index (C order, axis 2 fastest): lets the
// preview read volumes of any voxel type in place.
using VoxelReader = std::function<float(int64_t index)>;

struct Window {
  std::string name;
  double center = 40, width = 400;  // HU
  double gray(double hu) const;     // 0 (black) .. 1 (white)
};

Window lung_window();         // centre -600, width 1500
Window soft_tissue_window();  // centre 40, width 400
Window bone_window();         // centre 400, width 1800

// Regions whose neighbourhood has a median below this are in the lung.
constexpr double lung_median_hu = -400;

// The median HU of the body voxels (map above its minimum, what mask_map
// leaves inside the body) in the region's bounding box grown by `margin_mm`
// on every side, from at most ~1M evenly strided voxels; all voxels there if
// none is in the body.
double neighbourhood_median_hu(const VoxelReader& image, const float* map, float map_minimum, const Geometry& grid,
                               const HotRegion& region, double margin_mm);

// Lung window below `lung_median_hu`, soft tissue otherwise.
Window window_for_median(double median_hu);

}  // namespace screener::preview
