// An RGB picture being drawn: pixels, rectangles, and colours blended over it.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace screener::preview {

using Rgb = std::array<double, 3>;  // 0..1 a channel

struct Rect {
  int64_t x = 0, y = 0, width = 0, height = 0;
  bool contains(int64_t px, int64_t py) const { return px >= x && px < x + width && py >= y && py < y + height; }
};

struct RgbImage {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes a pixel

  RgbImage() = default;
  RgbImage(int64_t w, int64_t h, uint8_t fill = 0) : width(w), height(h), rgb(std::size_t(w * h * 3), fill) {}

  bool inside(int64_t x, int64_t y) const { return x >= 0 && y >= 0 && x < width && y < height; }
  uint8_t* at(int64_t x, int64_t y) { return &rgb[std::size_t((y * width + x) * 3)]; }
  const uint8_t* at(int64_t x, int64_t y) const { return &rgb[std::size_t((y * width + x) * 3)]; }

  // `colour` over the pixel with opacity `alpha`; outside the picture, nothing.
  void blend(int64_t x, int64_t y, const Rgb& colour, double alpha = 1.0) {
    if (!inside(x, y)) return;
    uint8_t* p = at(x, y);
    for (int c = 0; c < 3; ++c)
      p[c] = uint8_t(std::clamp((1 - alpha) * p[c] + alpha * 255.0 * colour[std::size_t(c)] + 0.5, 0.0, 255.0));
  }
  void fill(const Rect& r, const Rgb& colour) {
    for (int64_t y = r.y; y < r.y + r.height; ++y)
      for (int64_t x = r.x; x < r.x + r.width; ++x) blend(x, y, colour);
  }
};

}  // namespace screener::preview
