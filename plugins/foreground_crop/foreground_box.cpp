#include "foreground_box.h"

#include <algorithm>
#include <cmath>
#include <cstring>

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
  const int64_t n = size[0] * size[1] * size[2];
  const int64_t stride[3] = {size[1] * size[2], size[2], 1};
  std::vector<uint8_t> body(std::size_t(n), 1);
  // Breadth-first, one wavefront at a time: memory follows the front, not the volume.
  std::vector<int64_t> front, next;
  auto visit = [&](int64_t v) {
    if (body[std::size_t(v)] && double(hu[v]) < threshold) {
      body[std::size_t(v)] = 0;
      next.push_back(v);
    }
  };
  for (int64_t i = 0; i < size[0]; ++i)
    for (int64_t j = 0; j < size[1]; ++j) {
      const bool side = i == 0 || i == size[0] - 1 || j == 0 || j == size[1] - 1;
      const int64_t row = i * stride[0] + j * stride[1];
      if (side) {
        for (int64_t k = 0; k < size[2]; ++k) visit(row + k);
      } else if (border == BodyBorder::volume) {
        visit(row);
        visit(row + size[2] - 1);
      }
    }
  while (!next.empty()) {
    front.swap(next);
    next.clear();
    for (const int64_t v : front) {
      int64_t rest = v;
      for (int d = 0; d < 3; ++d) {
        const int64_t at = rest / stride[d];
        rest %= stride[d];
        if (at > 0) visit(v - stride[d]);
        if (at < size[d] - 1) visit(v + stride[d]);
      }
    }
  }
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
