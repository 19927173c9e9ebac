#include "colour_bar.h"

#include <algorithm>
#include <cstdio>

#include "view.h"

namespace screener::preview {

namespace {
constexpr int64_t bar_pixels = 22, tick_pixels = 5, label_gap = 4;
const Rgb frame_grey{0.6, 0.6, 0.6}, label_white{0.95, 0.95, 0.95};

double tick_value(const ColourScale& s, int i) { return s.low + (s.high - s.low) * i / (colour_bar_ticks - 1); }
}  // namespace

std::string tick_label(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

int64_t colour_bar_width(const ColourScale& scale, const TextPainter& text) {
  int64_t widest = text.width(scale.title) - bar_pixels;
  for (int i = 0; i < colour_bar_ticks; ++i) widest = std::max(widest, text.width(tick_label(tick_value(scale, i))));
  return bar_pixels + tick_pixels + label_gap + widest;
}

void draw_colour_bar(RgbImage& canvas, const Rect& bar, const ColourScale& scale, const TextPainter& text) {
  const int64_t x = bar.x, w = std::min(bar.width, bar_pixels);
  for (int64_t y = 0; y < bar.height; ++y) {
    const double t = bar.height > 1 ? 1.0 - double(y) / double(bar.height - 1) : 1.0;  // top: the highest score
    canvas.fill({x, bar.y + y, w, 1}, hot_colour(t));
  }
  for (int64_t y = bar.y - 1; y <= bar.y + bar.height; ++y)
    canvas.blend(x - 1, y, frame_grey), canvas.blend(x + w, y, frame_grey);
  canvas.fill({x - 1, bar.y - 1, w + 2, 1}, frame_grey);
  canvas.fill({x - 1, bar.y + bar.height, w + 2, 1}, frame_grey);

  const auto row_of = [&](double value) {
    const double t = (value - scale.low) / std::max(scale.high - scale.low, 1e-300);
    return bar.y + int64_t((1.0 - std::clamp(t, 0.0, 1.0)) * double(bar.height - 1) + 0.5);
  };
  for (int i = 0; i < colour_bar_ticks; ++i) {
    const double value = tick_value(scale, i);
    const int64_t y = row_of(value);
    canvas.fill({x + w, y, tick_pixels, 1}, frame_grey);
    text.draw(canvas, x + w + tick_pixels + label_gap, y + text.ascent() / 2 - 1, tick_label(value), label_white);
  }
  if (scale.region_threshold >= scale.low && scale.region_threshold <= scale.high) {
    const int64_t y = row_of(scale.region_threshold);
    canvas.fill({x - 8, y - 1, 8, 3}, outline_colour);  // a notch left of the bar
  }
  text.draw(canvas, x, bar.y - text.size() / 2 - 2, scale.title, label_white);
}

}  // namespace screener::preview
