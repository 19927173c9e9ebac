// The legend of the map's colours: a vertical bar from the lowest coloured
// score (bottom) to the highest (top), tick values printed beside it, and a
// mark where the regions' threshold sits.
#pragma once
#include <string>

#include "rgb_image.h"
#include "text.h"

namespace screener::preview {

struct ColourScale {
  double low = 0, high = 1;     // the colours' range
  double region_threshold = 0;  // marked on the bar in the outline colour (when inside the range)
  std::string title = "score";
};

constexpr int colour_bar_ticks = 5;

// The width the bar with its labels needs at the painter's size.
int64_t colour_bar_width(const ColourScale& scale, const TextPainter& text);
// Draws the bar itself in `bar`; labels go to its right, the title above it.
void draw_colour_bar(RgbImage& canvas, const Rect& bar, const ColourScale& scale, const TextPainter& text);
std::string tick_label(double value);

}  // namespace screener::preview
