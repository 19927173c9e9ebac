#include "regrid.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace screener::aggregator {

namespace {

// Where a point of `to` falls in `from` along one axis: the two neighbours
// and the weight of the upper one; `inside` is false more than half a voxel
// outside.
struct Tap {
  int64_t lo = 0, hi = 0;
  double w = 0;
  bool inside = true;
};

Tap tap_at(double q, int64_t n) {
  Tap t;
  t.inside = q >= -0.5 && q <= double(n) - 0.5;
  q = std::clamp(q, 0.0, double(n - 1));
  t.lo = std::min(int64_t(q), n - 1);
  t.hi = std::min(t.lo + 1, n - 1);
  t.w = q - double(t.lo);
  return t;
}

template <class T> double trilinear(const T* values, const Index3& n, const Tap (&t)[3]) {
  double v = 0;
  for (int c = 0; c < 8; ++c) {
    const int64_t x = (c & 4) ? t[0].hi : t[0].lo, y = (c & 2) ? t[1].hi : t[1].lo, z = (c & 1) ? t[2].hi : t[2].lo;
    const double wx = (c & 4) ? t[0].w : 1 - t[0].w, wy = (c & 2) ? t[1].w : 1 - t[1].w,
                 wz = (c & 1) ? t[2].w : 1 - t[2].w;
    v += wx * wy * wz * double(values[(x * n[1] + y) * n[2] + z]);
  }
  return v;
}

template <class T> void regrid(const T* values, const Geometry& from, const Geometry& to, float fill, float* out) {
  // index_from = A * index_to + b: affine, so one matrix for the whole grid.
  const Vec3 b = from.physical_to_index(to.origin);
  Mat3 a;
  for (int k = 0; k < 3; ++k) {
    Vec3 unit{0, 0, 0};
    unit[k] = 1;
    const Vec3 q = from.physical_to_index(to.index_to_physical(unit));
    for (int r = 0; r < 3; ++r) a[r][k] = q[r] - b[r];
  }
  const auto& n = from.size;
  const auto& m = to.size;
  // Grids that are not rotated against each other (crop and resampling keep
  // the direction): each axis of `to` maps to one axis of `from`, so the taps
  // are computed once per axis (the map back onto the original grid is
  // ~60 M voxels per study, on the GPU path's critical CPU stages).
  bool axis_aligned = true;
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k)
      if (r != k && std::abs(a[r][k]) > 1e-12 * std::abs(a[r][r])) axis_aligned = false;
  if (axis_aligned) {
    std::vector<Tap> taps[3];
    for (int r = 0; r < 3; ++r)
      for (int64_t i = 0; i < m[r]; ++i) taps[r].push_back(tap_at(a[r][r] * double(i) + b[r], n[r]));
    // Per row of `to`, the four lines of `from` it reads and their weights
    // in x and y: the same products, in the same order, as trilinear().
    tbb::parallel_for(int64_t{0}, m[0], [&](int64_t i) {
      const Tap& x = taps[0][std::size_t(i)];
      for (int64_t j = 0; j < m[1]; ++j) {
        const Tap& y = taps[1][std::size_t(j)];
        float* row = out + (i * m[1] + j) * m[2];
        if (!x.inside || !y.inside) {
          std::fill(row, row + m[2], fill);
          continue;
        }
        const T* line[4];
        double wxy[4];
        for (int c = 0; c < 4; ++c) {
          line[c] = values + (((c & 2) ? x.hi : x.lo) * n[1] + ((c & 1) ? y.hi : y.lo)) * n[2];
          wxy[c] = ((c & 2) ? x.w : 1 - x.w) * ((c & 1) ? y.w : 1 - y.w);
        }
        for (int64_t k = 0; k < m[2]; ++k) {
          const Tap& z = taps[2][std::size_t(k)];
          if (!z.inside) {
            row[k] = fill;
            continue;
          }
          double v = 0;
          for (int c = 0; c < 4; ++c) {
            v += wxy[c] * (1 - z.w) * double(line[c][z.lo]);
            v += wxy[c] * z.w * double(line[c][z.hi]);
          }
          row[k] = float(v);
        }
      }
    });
    return;
  }
  tbb::parallel_for(int64_t{0}, m[0], [&](int64_t i) {
    for (int64_t j = 0; j < m[1]; ++j)
      for (int64_t k = 0; k < m[2]; ++k) {
        Tap t[3];
        for (int r = 0; r < 3; ++r)
          t[r] = tap_at(a[r][0] * double(i) + a[r][1] * double(j) + a[r][2] * double(k) + b[r], n[r]);
        out[(i * m[1] + j) * m[2] + k] =
            t[0].inside && t[1].inside && t[2].inside ? float(trilinear(values, n, t)) : fill;
      }
  });
}

}  // namespace

void regrid_linear(const float* values, const Geometry& from, const Geometry& to, float fill, float* out) {
  regrid(values, from, to, fill, out);
}
void regrid_linear(const uint8_t* values, const Geometry& from, const Geometry& to, float fill, float* out) {
  regrid(values, from, to, fill, out);
}
std::vector<float> regrid_linear(const float* values, const Geometry& from, const Geometry& to, float fill) {
  std::vector<float> out(std::size_t(to.voxel_count()));
  regrid_linear(values, from, to, fill, out.data());
  return out;
}

}  // namespace screener::aggregator
