#include "foreground_box.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <tbb/parallel_for.h>

#include "run_components.h"
#include "screener/error.h"

namespace screener::foreground_crop {

Index3 block_size(const Vec3& spacing, double block_mm) {
  Index3 b{};
  for (int i = 0; i < 3; ++i) {
    if (!(spacing[i] > 0)) throw Error("foreground_crop: spacing must be positive");
    b[i] = std::max<int64_t>(1, int64_t(std::ceil(block_mm / spacing[i])));
  }
  return b;
}

namespace {
template <class T>
bool block_is_foreground(const T* hu, const Index3& size, const Index3& first, const Index3& block, double threshold) {
  for (int64_t a = first[0]; a < first[0] + block[0]; ++a)
    for (int64_t b = first[1]; b < first[1] + block[1]; ++b) {
      const T* line = hu + (a * size[1] + b) * size[2];
      for (int64_t c = first[2]; c < first[2] + block[2]; ++c)
        if (!(double(line[c]) >= threshold)) return false;
    }
  return true;
}
}  // namespace

template <class T>
std::optional<Box> foreground_box(const T* hu, const Index3& size, const Index3& block, double threshold) {
  // Only whole blocks can be foreground: the padding of a partial one is false.
  const Index3 whole{size[0] / block[0], size[1] / block[1], size[2] / block[2]};
  Index3 lo{whole[0], whole[1], whole[2]}, hi{-1, -1, -1};
  for (int64_t i = 0; i < whole[0]; ++i)
    for (int64_t j = 0; j < whole[1]; ++j)
      for (int64_t k = 0; k < whole[2]; ++k) {
        const Index3 idx{i, j, k};
        // A block inside the box found so far cannot change it.
        bool inside = true;
        for (int d = 0; d < 3; ++d) inside = inside && idx[d] >= lo[d] && idx[d] <= hi[d];
        if (inside) continue;
        if (!block_is_foreground(hu, size, {i * block[0], j * block[1], k * block[2]}, block, threshold)) continue;
        for (int d = 0; d < 3; ++d) lo[d] = std::min(lo[d], idx[d]), hi[d] = std::max(hi[d], idx[d]);
      }
  if (hi[0] < 0) return std::nullopt;
  Box box;
  for (int d = 0; d < 3; ++d) {
    box.start[d] = lo[d] * block[d];
    box.size[d] = std::min((hi[d] + 1) * block[d], size[d]) - box.start[d];
  }
  return box;
}

template <class T>
std::vector<uint8_t> body_mask(const T* hu, const Index3& size, double threshold, BodyBorder border) {
  // The air's 6-connected components (on runs along axis 2, in parallel);
  // those touching the border are outside the body.
  const auto air = run_components(size, [&](int64_t v) { return double(hu[v]) < threshold; });
  std::vector<uint8_t> outside(std::size_t(air.runs()), 0);
  for (int64_t i = 0; i < size[0]; ++i)
    for (int64_t j = 0; j < size[1]; ++j) {
      const bool side = i == 0 || i == size[0] - 1 || j == 0 || j == size[1] - 1;
      const int64_t line = i * size[1] + j;
      for (int64_t r = air.line_start[std::size_t(line)]; r < air.line_start[std::size_t(line) + 1]; ++r) {
        const auto sr = std::size_t(r);
        if (side || (border == BodyBorder::volume && (air.begin[sr] == 0 || air.end[sr] == size[2])))
          outside[std::size_t(air.component[sr])] = 1;
      }
    }
  std::vector<uint8_t> body(std::size_t(size[0] * size[1] * size[2]));
  tbb::parallel_for(int64_t{0}, size[0] * size[1], [&](int64_t line) {
    uint8_t* row = body.data() + line * size[2];
    std::fill(row, row + size[2], uint8_t{1});
    for (int64_t r = air.line_start[std::size_t(line)]; r < air.line_start[std::size_t(line) + 1]; ++r)
      if (outside[std::size_t(air.component[std::size_t(r)])])
        std::fill(row + air.begin[std::size_t(r)], row + air.end[std::size_t(r)], uint8_t{0});
  });
  return body;
}

void copy_box(const void* volume, const Index3& size, const Box& box, std::size_t element_size, void* out) {
  const auto* src = static_cast<const char*>(volume);
  auto* dst = static_cast<char*>(out);
  const std::size_t line = std::size_t(box.size[2]) * element_size;
  for (int64_t a = 0; a < box.size[0]; ++a)
    for (int64_t b = 0; b < box.size[1]; ++b) {
      const int64_t from = ((box.start[0] + a) * size[1] + box.start[1] + b) * size[2] + box.start[2];
      std::memcpy(dst, src + std::size_t(from) * element_size, line);
      dst += line;
    }
}

template std::optional<Box> foreground_box<float>(const float*, const Index3&, const Index3&, double);
template std::optional<Box> foreground_box<int16_t>(const int16_t*, const Index3&, const Index3&, double);
template std::vector<uint8_t> body_mask<float>(const float*, const Index3&, double, BodyBorder);
template std::vector<uint8_t> body_mask<int16_t>(const int16_t*, const Index3&, double, BodyBorder);

}  // namespace screener::foreground_crop
