#include "distance_transform.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <limits>

namespace screener::foreground_crop {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// One line: out[p] = min_q f[q] + (step·(p − q))², in place. `v` and `z`
// are scratch of size n and n + 1 (parabola apexes and their boundaries).
void transform_line(float* f, int64_t n, double step, std::vector<int64_t>& v, std::vector<double>& z,
                    std::vector<float>& out) {
  const double w = step * step;
  int64_t k = -1;
  for (int64_t q = 0; q < n; ++q) {
    if (f[q] == kInf) continue;
    for (;;) {
      if (k < 0) {
        v[0] = q, z[0] = -std::numeric_limits<double>::infinity(), k = 0;
        break;
      }
      const int64_t p = v[std::size_t(k)];
      // Where the parabola of q starts to lie below that of p.
      const double s = ((double(f[q]) + w * double(q) * double(q)) - (double(f[p]) + w * double(p) * double(p))) /
                       (2.0 * w * double(q - p));
      if (s <= z[std::size_t(k)]) {
        --k;
        continue;
      }
      ++k;
      v[std::size_t(k)] = q, z[std::size_t(k)] = s;
      break;
    }
  }
  if (k < 0) return;  // nothing on this line: it stays +infinity
  z[std::size_t(k) + 1] = std::numeric_limits<double>::infinity();
  int64_t j = 0;
  for (int64_t p = 0; p < n; ++p) {
    while (z[std::size_t(j) + 1] < double(p)) ++j;
    const int64_t q = v[std::size_t(j)];
    out[std::size_t(p)] = float(w * double(p - q) * double(p - q) + double(f[q]));
  }
  std::copy(out.begin(), out.begin() + n, f);
}

}  // namespace

std::vector<float> squared_distance_to(const std::vector<uint8_t>& from, const Index3& size, const Vec3& spacing) {
  const int64_t stride[3] = {size[1] * size[2], size[2], 1};
  std::vector<float> d(from.size());
  // Along axis 2 (the first pass, contiguous) the input is 0 or +infinity:
  // the lower envelope's minimum is the parabola of the nearest `from` voxel,
  // w·(p − q)² + 0, written here directly with the same arithmetic.
  const double w2 = spacing[2] * spacing[2];
  tbb::parallel_for(int64_t{0}, size[0] * size[1], [&](int64_t line) {
    const uint8_t* f = from.data() + line * size[2];
    float* out = d.data() + line * size[2];
    const int64_t n = size[2];
    int64_t last = -1;  // the nearest `from` voxel at or before p
    for (int64_t p = 0; p < n; ++p) {
      if (f[p]) last = p;
      out[p] = last < 0 ? kInf : float(w2 * double(p - last) * double(p - last) + 0.0);
    }
    last = -1;  // now at or after p
    for (int64_t p = n - 1; p >= 0; --p) {
      if (f[p]) last = p;
      if (last >= 0) out[p] = std::min(out[p], float(w2 * double(last - p) * double(last - p) + 0.0));
    }
  });
  // Axes 1 and 0: lines of an axis are independent. They are strided: `kLanes`
  // neighbouring lines (consecutive along axis 2) are copied out and back
  // together, a cache line at a time instead of one float of each. Lines all
  // 0 or all +infinity are left as they are (the envelope gives them back).
  constexpr int64_t kLanes = 16;
  for (int axis = 1; axis >= 0; --axis) {
    const int64_t n = size[axis];
    const int a = axis == 0 ? 1 : 0, b = axis == 2 ? 1 : 2;  // the other two axes
    const int64_t lanes = kLanes;
    tbb::parallel_for(int64_t{0}, size[a], [&](int64_t i) {
      const auto len = static_cast<std::size_t>(n);
      std::vector<int64_t> v(len);
      std::vector<double> z(len + 1);
      std::vector<float> lines(len * std::size_t(lanes)), out(len);
      for (int64_t j0 = 0; j0 < size[b]; j0 += lanes) {
        const int64_t count = std::min(lanes, size[b] - j0);
        float* first = d.data() + i * stride[a] + j0 * stride[b];
        for (int64_t p = 0; p < n; ++p)
          for (int64_t l = 0; l < count; ++l) lines[std::size_t(l * n + p)] = first[p * stride[axis] + l * stride[b]];
        for (int64_t l = 0; l < count; ++l) {
          float* line = lines.data() + l * n;
          const bool trivial = std::all_of(line, line + n, [&](float x) { return x == line[0]; }) &&
                               (line[0] == 0.f || line[0] == kInf);
          if (!trivial) transform_line(line, n, spacing[axis], v, z, out);
        }
        for (int64_t p = 0; p < n; ++p)
          for (int64_t l = 0; l < count; ++l) first[p * stride[axis] + l * stride[b]] = lines[std::size_t(l * n + p)];
      }
    });
  }
  return d;
}

}  // namespace screener::foreground_crop
