#include "montage.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "colour_bar.h"
#include "screener/error.h"
#include "text.h"

namespace screener::preview {

namespace {

const Rgb background{0.08, 0.08, 0.08}, text_white{0.95, 0.95, 0.95}, text_grey{0.7, 0.7, 0.7};
constexpr std::array<ViewAxes, 3> view_axes{axial_view, coronal_view, sagittal_view};
constexpr std::array<const char*, 3> view_names{"axial", "coronal", "sagittal"};
// Screen edges' patient directions by view: left, right, top, bottom.
constexpr std::array<std::array<const char*, 4>, 3> edge_letters{{{"R", "L", "A", "P"}, {"R", "L", "S", "I"},
                                                                  {"A", "P", "S", "I"}}};

std::string format(const char* pattern, double a, double b = 0, double c = 0, double d = 0) {
  char text[256];
  std::snprintf(text, sizeof text, pattern, a, b, c, d);
  return text;
}

// The rows: one per region, or one through the highest voxel when there is none.
std::vector<MontageRow> plan_rows(const VoxelReader& image, const float* map, float map_minimum, const Geometry& g,
                                  const HotRegions& found, const MontageOptions& o) {
  std::vector<MontageRow> rows;
  for (const auto& region : found.regions) rows.push_back({region, region.peak_index, {}, 0, {}});
  if (rows.empty()) {
    const int64_t top = std::max_element(map, map + g.voxel_count()) - map;
    const Index3 focus{top / (g.size[1] * g.size[2]), (top / g.size[2]) % g.size[1], top % g.size[2]};
    rows.push_back({std::nullopt, focus, {}, 0, {}});
  }
  for (auto& row : rows) {
    HotRegion around;  // the region, or the focus voxel alone
    if (row.region) around = *row.region;
    else around.lo = around.hi = row.focus;
    row.median_hu = neighbourhood_median_hu(image, map, map_minimum, g, around, o.neighbourhood_mm);
    row.window = o.window ? *o.window : window_for_median(row.median_hu);
  }
  return rows;
}

std::string row_title(const MontageRow& row, const Geometry& g, int regions_asked) {
  const Vec3 p = g.index_to_physical({double(row.focus[0]), double(row.focus[1]), double(row.focus[2])});
  const double voxel_ml = g.spacing[0] * g.spacing[1] * g.spacing[2] / 1000.0;
  std::string title;
  if (row.region)
    title = std::to_string(row.region->rank) + "   peak " + tick_label(row.region->peak) +
            format(" at x %.1f, y %.1f, z %.1f mm (LPS)   ", p[0], p[1], p[2]) +
            format("%.3g ml (%.0f voxels)   ", double(row.region->voxels) * voxel_ml, double(row.region->voxels));
  else
    title = "No hot region (of " + std::to_string(regions_asked) + " asked): views through the highest voxel" +
            format(" at x %.1f, y %.1f, z %.1f mm   ", p[0], p[1], p[2]);
  return title + row.window.name + format(" window (L %.0f, W %.0f)", row.window.center, row.window.width) +
         format(", median %.0f HU around", row.median_hu);
}

void draw_edge_letters(RgbImage& canvas, const Rect& view, int which, const TextPainter& text) {
  const auto& letters = edge_letters[std::size_t(which)];
  const int64_t mid_y = view.y + view.height / 2 + text.ascent() / 2, pad = 3;
  text.draw(canvas, view.x + pad, mid_y, letters[0], text_grey);
  text.draw(canvas, view.x + view.width - text.width(letters[1]) - pad, mid_y, letters[1], text_grey);
  const int64_t mid_x = view.x + view.width / 2;
  text.draw(canvas, mid_x - text.width(letters[2]) / 2, view.y + text.ascent() + pad, letters[2], text_grey);
  text.draw(canvas, mid_x - text.width(letters[3]) / 2, view.y + view.height - pad - 1, letters[3], text_grey);
  text.draw(canvas, view.x + pad, view.y + text.ascent() + pad, view_names[std::size_t(which)], text_grey);
}

// Each shown region's number beside its outline in the view.
void draw_region_numbers(RgbImage& canvas, const Rect& view, const std::vector<Rect>& where, const TextPainter& text) {
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (where[i].width == 0) continue;
    const std::string number = std::to_string(i + 1);
    const int64_t x = std::min(where[i].x + where[i].width + 3, view.x + view.width - text.width(number) - 2);
    const int64_t y = std::max(where[i].y + text.ascent(), view.y + text.ascent() + 2);
    text.draw(canvas, x, y, number, outline_colour);
  }
}

}  // namespace

Montage make_montage(const VoxelReader& image, const float* map, const Geometry& g, const MontageOptions& o) {
  if (g.voxel_count() <= 0) throw Error("preview: the grid is empty");
  if (o.width < 256) throw Error("preview: a montage is at least 256 pixels wide");
  TextPainter text(o.font);
  Montage m;
  const int64_t count = g.voxel_count();
  const float map_minimum = *std::min_element(map, map + count);
  const auto levels = percentiles_above_minimum(map, count, {o.region_percentile, o.colour_percentile});
  m.region_threshold = levels[0];
  m.colour_low = levels[1];
  m.colour_high = *std::max_element(map, map + count);
  const double voxel_ml = g.spacing[0] * g.spacing[1] * g.spacing[2] / 1000.0;
  const auto core_voxels = std::max<int64_t>(1, std::llround(o.core_ml / voxel_ml));
  const HotRegions found = find_hot_regions(map, g.size, m.region_threshold, o.max_regions, core_voxels);
  m.rows = plan_rows(image, map, map_minimum, g, found, o);
  m.box = patient_box(g);

  // Sizes follow the width: text, margins, the colour bar's column, then the
  // views' common pixel, the largest that puts three views side by side in
  // the rest and keeps a row at most 0.6 times as high as it is wide.
  const int font = int(std::clamp<int64_t>(o.width / 100, 13, 32));
  text.set_size(font);
  const int64_t margin = font, gap = font / 2, header = font * 2;
  const ColourScale scale{m.colour_low, m.colour_high, m.region_threshold, "score"};
  const int64_t column = colour_bar_width(scale, text) + 2 * margin;
  const int64_t views_width = o.width - 2 * margin - column - 2 * gap - 3;  // 3: each view's extra last pixel
  const double across = m.box.extent(0) * 2 + m.box.extent(1), down = std::max(m.box.extent(1), m.box.extent(2));
  const double finest = std::min({g.spacing[0], g.spacing[1], g.spacing[2]});
  m.pixel_mm = std::max({across / double(views_width), down / (0.6 * double(views_width)), finest / 64});

  std::array<int64_t, 3> w{}, h{};
  for (std::size_t v = 0; v < 3; ++v) {
    w[v] = view_pixels(m.box, view_axes[v].across, m.pixel_mm);
    h[v] = view_pixels(m.box, view_axes[v].down, m.pixel_mm);
  }
  const int64_t row_height = header + *std::max_element(h.begin(), h.end());
  const int64_t footer = font * 3;  // two lines of the smaller text
  const int64_t bar_height = std::clamp<int64_t>(row_height - header, 160, 480);
  const int64_t rows_height = int64_t(m.rows.size()) * row_height + int64_t(m.rows.size() - 1) * gap;
  const int64_t height = 2 * margin + std::max(rows_height, header + bar_height + font) + footer;
  m.image = RgbImage(o.width, height);
  m.image.fill({0, 0, o.width, height}, background);

  Scene scene{image, map, g, &found, m.colour_low, m.colour_high, o.overlay_alpha};
  int64_t y = margin;
  for (auto& row : m.rows) {
    text.set_size(font);
    text.draw(m.image, margin, y + text.ascent() + (header - font) / 2 - 2, row_title(row, g, o.max_regions),
              text_white);
    const Vec3 centre = g.index_to_physical({double(row.focus[0]), double(row.focus[1]), double(row.focus[2])});
    int64_t x = margin;
    for (std::size_t v = 0; v < 3; ++v) {
      row.views[v] = {x, y + header, w[v], h[v]};
      m.image.fill(row.views[v], {0, 0, 0});
      const auto where = draw_view(m.image, x, y + header, scene, m.box, centre, view_axes[v], m.pixel_mm, row.window);
      text.set_size(std::max(11, font * 4 / 5));
      draw_edge_letters(m.image, row.views[v], int(v), text);
      text.set_size(font);
      draw_region_numbers(m.image, row.views[v], where, text);
      x += w[v] + gap;
    }
    y += row_height + gap;
  }

  text.set_size(font);
  m.colour_bar = {o.width - column + margin, margin + header, 22, bar_height};
  draw_colour_bar(m.image, m.colour_bar, scale, text);
  text.set_size(std::max(11, font * 4 / 5));
  const std::string colours = "Colour: score from its " + tick_label(o.colour_percentile) + "th percentile (" +
                              tick_label(m.colour_low) + ") to its maximum (" + tick_label(m.colour_high) +
                              "), red to yellow.";
  const std::string outlines = "Cyan outlines: regions of score >= " + tick_label(m.region_threshold) + " (" +
                               tick_label(o.region_percentile) +
                               "th percentile, 26-connected), numbered by their mean score over their hottest " +
                               tick_label(o.core_ml) + " ml.";
  text.draw(m.image, margin, height - margin - footer / 2 - 2, colours, text_grey);
  text.draw(m.image, margin, height - margin - 2, outlines, text_grey);
  return m;
}

}  // namespace screener::preview
