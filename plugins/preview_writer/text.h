// Labels on the preview, rendered with FreeType from a TrueType font (by
// default Debian's DejaVu Sans, package fonts-dejavu-core), anti-aliased.
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "rgb_image.h"

namespace screener::preview {

class TextPainter {
 public:
  // Throws Error naming the file when FreeType cannot load it.
  explicit TextPainter(const std::filesystem::path& font_file);
  ~TextPainter();
  TextPainter(const TextPainter&) = delete;
  TextPainter& operator=(const TextPainter&) = delete;

  // Pixel size of the text (the font's em height); the line's height is ~1.2 x.
  void set_size(int pixels);
  int size() const { return size_; }
  int ascent() const;  // pixels above the baseline of the tallest glyphs
  int64_t width(const std::string& text) const;
  // Draws ASCII `text` with its baseline at `baseline_y`, starting at `x`; a
  // one-pixel dark shadow keeps it legible over any image. Returns its width.
  int64_t draw(RgbImage& image, int64_t x, int64_t baseline_y, const std::string& text, const Rgb& colour,
               bool shadow = true) const;

 private:
  struct FreeType;
  std::unique_ptr<FreeType> ft_;
  int size_ = 16;
};

}  // namespace screener::preview
