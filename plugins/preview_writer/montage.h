// A picture a person can look at without a viewer: for each of the map's
// hottest regions a row of axial, coronal and sagittal views through its
// peak, the CT in a window fit for where it lies, the map in colour over it,
// the regions outlined and numbered, and a colour bar with the score's scale.
#pragma once
#include <array>
#include <filesystem>
#include <optional>
#include <vector>

#include "hot_regions.h"
#include "rgb_image.h"
#include "view.h"
#include "window.h"

namespace screener::preview {

inline const std::filesystem::path default_font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

struct MontageOptions {
  int64_t width = 1600;              // pixels (the height follows from the grid and the regions)
  int max_regions = 3;               // rows
  double region_percentile = 99.5;   // regions: connected voxels at or above this percentile (above the minimum)
  double core_ml = 0.1;              // regions rank by their mean excess over their hottest this many ml
  double colour_percentile = 99;     // colour from this percentile to the map's maximum
  double overlay_alpha = 0.6;
  std::optional<Window> window;      // forced; none: lung or soft tissue by the region's neighbourhood
  double neighbourhood_mm = 15;      // how far around a region its neighbourhood reaches
  std::filesystem::path font = default_font;
};

// Where things are in the picture, for the stage's log and for tests.
struct MontageRow {
  std::optional<HotRegion> region;  // none: no region found, the row goes through the highest voxel
  Index3 focus{};                   // the voxel all three views pass through
  Window window;
  double median_hu = 0;             // of the neighbourhood (what chose the window, when not forced)
  std::array<Rect, 3> views;        // axial, coronal, sagittal
};

struct Montage {
  RgbImage image;
  double pixel_mm = 1;  // every view's square pixel
  PatientBox box;       // the grid's extent in patient axes
  double region_threshold = 0, colour_low = 0, colour_high = 1;
  std::vector<MontageRow> rows;
  Rect colour_bar;
};

// `image` (HU, any voxel type through the reader) and `map` (float32) share
// `grid`. Throws Error for an empty grid or a font that does not load.
Montage make_montage(const VoxelReader& image, const float* map, const Geometry& grid, const MontageOptions& options);

}  // namespace screener::preview
