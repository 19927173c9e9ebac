#include "distance_transform.h"

#include <tbb/parallel_for.h>

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
  for (std::size_t i = 0; i < from.size(); ++i) d[i] = from[i] ? 0.f : kInf;
  // One pass per axis, the fastest first; lines of an axis are independent.
  for (int axis = 2; axis >= 0; --axis) {
    const int64_t n = size[axis];
    const int a = axis == 0 ? 1 : 0, b = axis == 2 ? 1 : 2;  // the other two axes
    tbb::parallel_for(int64_t{0}, size[a], [&](int64_t i) {
      const auto len = static_cast<std::size_t>(n);
      std::vector<int64_t> v(len);
      std::vector<double> z(len + 1);
      std::vector<float> line(len), out(len);
      for (int64_t j = 0; j < size[b]; ++j) {
        float* first = d.data() + i * stride[a] + j * stride[b];
        for (int64_t p = 0; p < n; ++p) line[std::size_t(p)] = first[p * stride[axis]];
        transform_line(line.data(), n, spacing[axis], v, z, out);
        for (int64_t p = 0; p < n; ++p) first[p * stride[axis]] = line[std::size_t(p)];
      }
    });
  }
  return d;
}

}  // namespace screener::foreground_crop
