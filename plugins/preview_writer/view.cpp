#include "view.h"

#include <algorithm>
#include <cmath>

namespace screener::preview {

PatientBox patient_box(const Geometry& g) {
  PatientBox box{{1e300, 1e300, 1e300}, {-1e300, -1e300, -1e300}};
  for (int c = 0; c < 8; ++c) {
    const Vec3 p = g.index_to_physical({(c & 4) ? double(g.size[0] - 1) : 0.0, (c & 2) ? double(g.size[1] - 1) : 0.0,
                                        (c & 1) ? double(g.size[2] - 1) : 0.0});
    for (std::size_t k = 0; k < 3; ++k) box.lo[k] = std::min(box.lo[k], p[k]), box.hi[k] = std::max(box.hi[k], p[k]);
  }
  return box;
}

int64_t view_pixels(const PatientBox& box, int axis, double pixel_mm) {
  return int64_t(std::floor(box.extent(axis) / pixel_mm)) + 1;
}

Rgb hot_colour(double t) { return {1.0, std::clamp(t, 0.0, 1.0), 0.0}; }

namespace {

// Trilinear interpolation at a continuous index inside the grid's voxel
// centres' hull extended by half a voxel (the edge voxels repeat there).
template <class Read> double trilinear(const Read& read, const Index3& n, const Vec3& q) {
  int64_t base[3];
  double frac[3];
  for (std::size_t a = 0; a < 3; ++a) {
    const double c = std::clamp(q[a], 0.0, double(n[a] - 1));
    base[a] = std::min<int64_t>(int64_t(c), std::max<int64_t>(n[a] - 2, 0));
    frac[a] = n[a] > 1 ? c - double(base[a]) : 0.0;
  }
  double sum = 0;
  for (int corner = 0; corner < 8; ++corner) {
    double weight = 1;
    int64_t at[3];
    for (std::size_t a = 0; a < 3; ++a) {
      const bool up = corner >> a & 1;
      weight *= up ? frac[a] : 1 - frac[a];
      at[a] = std::min(base[a] + up, n[a] - 1);
    }
    if (weight > 0) sum += weight * read((at[0] * n[1] + at[1]) * n[2] + at[2]);
  }
  return sum;
}

}  // namespace

std::vector<Rect> draw_view(RgbImage& canvas, int64_t x0, int64_t y0, const Scene& scene, const PatientBox& box,
                            const Vec3& centre, const ViewAxes& axes, double pixel_mm, const Window& window) {
  const auto& n = scene.grid.size;
  const int64_t w = view_pixels(box, axes.across, pixel_mm), h = view_pixels(box, axes.down, pixel_mm);
  const std::size_t shown = scene.regions ? scene.regions->regions.size() : 0;
  std::vector<uint8_t> rank(std::size_t(w * h), 0);
  const auto read_map = [&](int64_t i) { return double(scene.map[i]); };
  const double span = std::max(scene.colour_high - scene.colour_low, 1e-12);

  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c) {
      Vec3 point = centre;
      const auto across = std::size_t(axes.across), down = std::size_t(axes.down);
      point[across] = axes.across_sign > 0 ? box.lo[across] + double(c) * pixel_mm : box.hi[across] - double(c) * pixel_mm;
      point[down] = axes.down_sign > 0 ? box.lo[down] + double(r) * pixel_mm : box.hi[down] - double(r) * pixel_mm;
      const Vec3 q = scene.grid.physical_to_index(point);
      bool inside = true;
      for (std::size_t a = 0; a < 3; ++a) inside = inside && q[a] > -0.5 && q[a] < double(n[a]) - 0.5;
      if (!inside) continue;  // the canvas's black
      const double gray = window.gray(trilinear(scene.image, n, q));
      const double t = (trilinear(read_map, n, q) - scene.colour_low) / span;
      const double alpha = t > 0 ? scene.overlay_alpha : 0.0;
      const Rgb colour = hot_colour(t);
      Rgb mixed;
      for (std::size_t ch = 0; ch < 3; ++ch) mixed[ch] = (1 - alpha) * gray + alpha * colour[ch];
      canvas.blend(x0 + c, y0 + r, mixed);
      if (shown) rank[std::size_t(r * w + c)] = uint8_t(scene.regions->rank_at(
                     {std::lround(q[0]), std::lround(q[1]), std::lround(q[2])}));
    }

  // A region's outline: its pixels with a 4-neighbour outside it.
  std::vector<Rect> where(shown);
  std::vector<int64_t> min_x(shown, w), min_y(shown, h), max_x(shown, -1), max_y(shown, -1);
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c) {
      const uint8_t k = rank[std::size_t(r * w + c)];
      if (!k) continue;
      const auto differs = [&](int64_t rr, int64_t cc) {
        return rr < 0 || cc < 0 || rr >= h || cc >= w || rank[std::size_t(rr * w + cc)] != k;
      };
      if (differs(r - 1, c) || differs(r + 1, c) || differs(r, c - 1) || differs(r, c + 1))
        canvas.blend(x0 + c, y0 + r, outline_colour);
      const std::size_t i = k - 1u;
      min_x[i] = std::min(min_x[i], c), min_y[i] = std::min(min_y[i], r);
      max_x[i] = std::max(max_x[i], c), max_y[i] = std::max(max_y[i], r);
    }
  for (std::size_t i = 0; i < shown; ++i)
    if (max_x[i] >= 0)
      where[i] = {x0 + min_x[i], y0 + min_y[i], max_x[i] - min_x[i] + 1, max_y[i] - min_y[i] + 1};
  return where;
}

}  // namespace screener::preview
