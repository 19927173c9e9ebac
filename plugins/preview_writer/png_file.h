#pragma once
#include <filesystem>

#include "rgb_image.h"

namespace screener::preview {

// Writes an RGB PNG atomically (temporary file beside it, then a rename).
void write_png(const RgbImage& image, const std::filesystem::path& file);

}  // namespace screener::preview
