#include "text.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include "screener/error.h"

namespace screener::preview {

struct TextPainter::FreeType {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  ~FreeType() {
    if (face) FT_Done_Face(face);
    if (library) FT_Done_FreeType(library);
  }
};

TextPainter::TextPainter(const std::filesystem::path& font_file) : ft_(std::make_unique<FreeType>()) {
  if (FT_Init_FreeType(&ft_->library)) throw Error("preview: FreeType did not initialise");
  if (FT_New_Face(ft_->library, font_file.c_str(), 0, &ft_->face))
    throw Error("preview: cannot load the font '" + font_file.string() +
                "' (a TrueType file; the default comes with Debian's fonts-dejavu-core)");
  set_size(size_);
}

TextPainter::~TextPainter() = default;

void TextPainter::set_size(int pixels) {
  size_ = std::max(pixels, 6);
  FT_Set_Pixel_Sizes(ft_->face, 0, FT_UInt(size_));
}

int TextPainter::ascent() const { return int(ft_->face->size->metrics.ascender >> 6); }

int64_t TextPainter::width(const std::string& text) const {
  int64_t advance = 0;
  for (unsigned char ch : text)
    if (!FT_Load_Char(ft_->face, ch, FT_LOAD_DEFAULT)) advance += ft_->face->glyph->advance.x >> 6;
  return advance;
}

int64_t TextPainter::draw(RgbImage& image, int64_t x, int64_t baseline_y, const std::string& text, const Rgb& colour,
                          bool shadow) const {
  const int64_t start = x;
  for (unsigned char ch : text) {
    if (FT_Load_Char(ft_->face, ch, FT_LOAD_RENDER)) continue;
    const FT_GlyphSlot glyph = ft_->face->glyph;
    const FT_Bitmap& bitmap = glyph->bitmap;
    const int64_t left = x + glyph->bitmap_left, top = baseline_y - glyph->bitmap_top;
    for (int pass = shadow ? 0 : 1; pass < 2; ++pass) {
      const int64_t offset = pass == 0 ? 1 : 0;
      const Rgb ink = pass == 0 ? Rgb{0, 0, 0} : colour;
      for (unsigned r = 0; r < bitmap.rows; ++r)
        for (unsigned c = 0; c < bitmap.width; ++c) {
          const double coverage = bitmap.buffer[r * unsigned(bitmap.pitch) + c] / 255.0;
          if (coverage > 0) image.blend(left + c + offset, top + r + offset, ink, coverage);
        }
    }
    x += glyph->advance.x >> 6;
  }
  return x - start;
}

}  // namespace screener::preview
