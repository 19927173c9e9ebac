// One view of the preview: a plane through a point, in patient orientation,
// sampled on square pixels; the CT in a window, the map in colour over it,
// and the outlines of the regions shown.
#pragma once
#include <vector>

#include "hot_regions.h"
#include "rgb_image.h"
#include "window.h"

namespace screener::preview {

// What every view shows: the CT and the map on one grid, the regions found.
struct Scene {
  VoxelReader image;
  const float* map = nullptr;
  Geometry grid;
  const HotRegions* regions = nullptr;
  double colour_low = 0, colour_high = 1;  // map values from transparent (low) to full colour (high)
  double overlay_alpha = 0.6;
};

// The patient axes (0 = x towards the patient's left, 1 = y posterior, 2 = z
// superior) along the screen's right and down, and which way.
struct ViewAxes {
  int across, down;
  double across_sign, down_sign;
};
// Axial: the patient's right on the screen's left, anterior up. Coronal:
// right on the left, superior up. Sagittal: anterior on the left, superior up.
inline constexpr ViewAxes axial_view{0, 1, +1, +1}, coronal_view{0, 2, +1, -1}, sagittal_view{1, 2, +1, -1};

// The grid's extent along each patient axis (from its 8 corners' centres).
struct PatientBox {
  Vec3 lo, hi;
  double extent(int axis) const { return hi[std::size_t(axis)] - lo[std::size_t(axis)]; }
};
PatientBox patient_box(const Geometry& grid);

// The view's size in pixels of `pixel_mm`.
int64_t view_pixels(const PatientBox& box, int axis, double pixel_mm);

// The colour of a map value scaled to [0, 1]: red to yellow, never grey, so
// that it stands out from bone and air at any opacity.
Rgb hot_colour(double t);
inline const Rgb outline_colour{0.0, 1.0, 1.0};  // cyan: apart from grey, red and yellow

// Draws the view through `centre` (a patient point) with its top left corner
// at `x0, y0`: the CT sampled trilinearly in `window`, the map trilinearly,
// the region ranks at the nearest voxel (each region's boundary outlined).
// Returns, by rank - 1, the box each shown region occupies in the view
// (width 0 where it is not in this plane).
std::vector<Rect> draw_view(RgbImage& canvas, int64_t x0, int64_t y0, const Scene& scene, const PatientBox& box,
                            const Vec3& centre, const ViewAxes& axes, double pixel_mm, const Window& window);

}  // namespace screener::preview
