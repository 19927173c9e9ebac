#include "blend.h"

#include <algorithm>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "screener/error.h"

namespace screener::aggregator {

std::vector<float> importance_map(const Index3& roi, BlendMode mode, double sigma_scale) {
  const std::size_t n = std::size_t(roi[0] * roi[1] * roi[2]);
  if (mode == BlendMode::constant) return std::vector<float>(n, 1.0f);
  std::array<std::vector<float>, 3> axis;
  for (int k = 0; k < 3; ++k) {
    const double sigma = sigma_scale * double(roi[k]);
    for (int64_t i = 0; i < roi[k]; ++i) {
      const float x = float(-(double(roi[k]) - 1) / 2.0 + double(i));
      axis[k].push_back(std::exp(x * x / float(-2 * sigma * sigma)));
    }
  }
  std::vector<float> w(n);
  for (int64_t a = 0; a < roi[0]; ++a)
    for (int64_t b = 0; b < roi[1]; ++b)
      for (int64_t c = 0; c < roi[2]; ++c) w[std::size_t((a * roi[1] + b) * roi[2] + c)] = axis[0][a] * axis[1][b] * axis[2][c];
  const float floor = std::max(*std::min_element(w.begin(), w.end()), 1e-3f);
  for (auto& v : w) v = std::max(v, floor);
  return w;
}

namespace {
struct Tap {
  int64_t i0, i1;
  float l0, l1;
};

// area_pixel_compute_source_index with align_corners=False.
std::vector<Tap> taps(int64_t in, int64_t out) {
  std::vector<Tap> t(static_cast<std::size_t>(out));
  const float scale = float(in) / float(out);
  for (int64_t o = 0; o < out; ++o) {
    float src = scale * (float(o) + 0.5f) - 0.5f;
    if (src < 0) src = 0;
    const int64_t i0 = std::min(int64_t(src), in - 1);
    const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
    const float l1 = src - float(i0);
    t[std::size_t(o)] = {i0, i1, 1.0f - l1, l1};
  }
  return t;
}

// One voxel of PyTorch's trilinear upsampling; upsample_trilinear and the
// fused path of Accumulator::add share it, so both give the same floats.
inline float upsampled(const float* src, const Index3& n, const Tap& x, const Tap& y, const Tap& z) {
  auto at = [&](int64_t a, int64_t b, int64_t c) { return src[(a * n[1] + b) * n[2] + c]; };
  return x.l0 * (y.l0 * (z.l0 * at(x.i0, y.i0, z.i0) + z.l1 * at(x.i0, y.i0, z.i1)) +
                 y.l1 * (z.l0 * at(x.i0, y.i1, z.i0) + z.l1 * at(x.i0, y.i1, z.i1))) +
         x.l1 * (y.l0 * (z.l0 * at(x.i1, y.i0, z.i0) + z.l1 * at(x.i1, y.i0, z.i1)) +
                 y.l1 * (z.l0 * at(x.i1, y.i1, z.i0) + z.l1 * at(x.i1, y.i1, z.i1)));
}
}  // namespace

std::vector<float> upsample_trilinear(const float* in, int64_t channels, const Index3& n, const Index3& m) {
  const auto ta = taps(n[0], m[0]), tb = taps(n[1], m[1]), tc = taps(n[2], m[2]);
  std::vector<float> out(std::size_t(channels * m[0] * m[1] * m[2]));
  for (int64_t ch = 0; ch < channels; ++ch) {
    const float* src = in + ch * n[0] * n[1] * n[2];
    float* dst = out.data() + ch * m[0] * m[1] * m[2];
    for (int64_t a = 0; a < m[0]; ++a)
      for (int64_t b = 0; b < m[1]; ++b)
        for (int64_t c = 0; c < m[2]; ++c) dst[(a * m[1] + b) * m[2] + c] = upsampled(src, n, ta[a], tb[b], tc[c]);
  }
  return out;
}

Accumulator::Accumulator(const Index3& volume_size, int64_t channels)
    : size_(volume_size),
      channels_(channels),
      weighted_(std::size_t(channels * volume_size[0] * volume_size[1] * volume_size[2]), 0.0f),
      weight_(std::size_t(volume_size[0] * volume_size[1] * volume_size[2]), 0.0f) {}

void Accumulator::add(const float* pred, const Index3& start, const Index3& roi, const std::vector<float>& weights) {
  add(std::vector<Window>{{pred, roi, start, roi, &weights}});
}

void Accumulator::add(const std::vector<Window>& windows) {
  if (windows.empty()) return;
  const int64_t voxels = size_[0] * size_[1] * size_[2];
  int64_t lo = size_[0], hi = 0;  // the rows of axis 0 any window reaches
  for (const auto& w : windows) lo = std::min(lo, std::max<int64_t>(0, w.start[0])), hi = std::max(hi, std::min(size_[0], w.start[0] + w.roi[0]));
  if (lo >= hi) return;
  // The upsampling taps of each window (windows of one shape share them).
  struct Taps {
    std::vector<Tap> a, b, c;
  };
  std::vector<Taps> taps_of(windows.size());
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const auto& w = windows[i];
    if (w.res == w.roi) continue;
    if (i > 0 && windows[i - 1].res == w.res && windows[i - 1].roi == w.roi) {
      taps_of[i] = taps_of[i - 1];
      continue;
    }
    taps_of[i] = {taps(w.res[0], w.roi[0]), taps(w.res[1], w.roi[1]), taps(w.res[2], w.roi[2])};
  }
  // Each row of axis 0 belongs to one task, which adds the windows in order.
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(tbb::blocked_range<int64_t>(lo, hi), [&](const tbb::blocked_range<int64_t>& rows) {
      std::vector<float> line;
      for (std::size_t k = 0; k < windows.size(); ++k) {
        const Window& win = windows[k];
        const Index3 &start = win.start, &roi = win.roi, &res = win.res;
        const bool upsample = res != roi;
        const int64_t window = roi[0] * roi[1] * roi[2], low = res[0] * res[1] * res[2];
        const int64_t i0 = std::max(rows.begin(), start[0]), i1 = std::min(rows.end(), start[0] + roi[0]);
        const int64_t c0 = std::max<int64_t>(0, -start[2]), c1 = std::min(roi[2], size_[2] - start[2]);
        if (c0 >= c1) continue;
        line.resize(std::size_t(roi[2]));
        for (int64_t i = i0; i < i1; ++i) {
          const int64_t a = i - start[0];
          for (int64_t b = 0; b < roi[1]; ++b) {
            const int64_t j = start[1] + b;
            if (j < 0 || j >= size_[1]) continue;
            const float* w = win.weights->data() + (a * roi[1] + b) * roi[2];
            float* weight = weight_.data() + (i * size_[1] + j) * size_[2] + start[2];
            for (int64_t c = c0; c < c1; ++c) weight[c] += w[c];
            for (int64_t ch = 0; ch < channels_; ++ch) {
              const float* pred = line.data();
              if (upsample) {
                const Taps& t = taps_of[k];
                for (int64_t c = c0; c < c1; ++c)
                  line[std::size_t(c)] = upsampled(win.pred + ch * low, res, t.a[std::size_t(a)], t.b[std::size_t(b)], t.c[std::size_t(c)]);
              } else {
                pred = win.pred + ch * window + (a * roi[1] + b) * roi[2];
              }
              float* sum = weighted_.data() + ch * voxels + (i * size_[1] + j) * size_[2] + start[2];
              for (int64_t c = c0; c < c1; ++c) sum[c] += w[c] * pred[c];
            }
          }
        }
      }
    });
  });
}

std::vector<float> Accumulator::result() const {
  const std::size_t voxels = weight_.size();
  std::vector<float> out(weighted_.size(), 0.0f);
  using Range = tbb::blocked_range<std::size_t>;
  for (int64_t ch = 0; ch < channels_; ++ch)
    tbb::parallel_for(Range(0, voxels), [&](const Range& r) {
      for (std::size_t v = r.begin(); v < r.end(); ++v)
        if (weight_[v] > 0) out[ch * voxels + v] = weighted_[ch * voxels + v] / weight_[v];
    });
  return out;
}

}  // namespace screener::aggregator
