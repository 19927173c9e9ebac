#include "views.h"

#include <algorithm>
#include <cmath>

namespace screener::ssl {

namespace {

double uniform(at::Generator& gen, double lo, double hi) {
  return lo + (hi - lo) * at::rand({1}, gen, at::kDouble).item<double>();
}

struct Box {
  std::array<int64_t, 3> start, size;
};

// A separable Gaussian blur of a (1, 1, roi) tensor (zero padding).
at::Tensor blur(const at::Tensor& x, double sigma) {
  const int64_t radius = std::max<int64_t>(1, int64_t(std::ceil(2 * sigma)));
  auto k = at::arange(-radius, radius + 1, at::kFloat);
  k = at::exp(-k * k / (2 * sigma * sigma));
  k = k / k.sum();
  at::Tensor y = x;
  for (int axis = 0; axis < 3; ++axis) {
    std::vector<int64_t> shape{1, 1, 1, 1, 1};
    shape[std::size_t(2 + axis)] = k.size(0);
    std::vector<int64_t> padding{0, 0, 0};
    padding[std::size_t(axis)] = radius;
    y = at::conv3d(y, k.view(shape), {}, 1, padding);
  }
  return y;
}

// The crop, resized to roi by trilinear interpolation (align_corners=False).
at::Tensor resized_crop(const at::Tensor& volume, const Box& box, const std::array<int64_t, 3>& roi) {
  at::Tensor c = volume;
  for (int64_t a = 0; a < 3; ++a) c = c.narrow(a, box.start[std::size_t(a)], box.size[std::size_t(a)]);
  // Widened after cropping: a cached float16 study is never converted whole.
  return at::upsample_trilinear3d(c.to(at::kFloat).unsqueeze(0).unsqueeze(0), {roi[0], roi[1], roi[2]}, false).squeeze(0);
}

at::Tensor block_mask(const ViewOptions& o, at::Generator& gen) {
  std::vector<int64_t> blocks(3);
  for (std::size_t a = 0; a < 3; ++a) blocks[a] = (o.roi[a] + o.mask_block[a] - 1) / o.mask_block[a];
  const auto visible = (at::rand(blocks, gen) >= o.mask_ratio).to(at::kFloat);
  at::Tensor m = visible;
  for (int64_t a = 0; a < 3; ++a) m = m.repeat_interleave(o.mask_block[std::size_t(a)], a);
  for (int64_t a = 0; a < 3; ++a) m = m.narrow(a, 0, o.roi[std::size_t(a)]);
  return m.unsqueeze(0);
}

// Flat roi indices of the points `p` (n, 3; volume index space, voxel edges
// at integers) in the view of `box`.
at::Tensor view_index(const at::Tensor& p, const Box& box, const std::array<int64_t, 3>& roi) {
  at::Tensor flat = at::zeros({p.size(0)}, at::kLong);
  for (int64_t a = 0; a < 3; ++a) {
    const double scale = double(roi[std::size_t(a)]) / double(box.size[std::size_t(a)]);
    auto j = at::floor((p.select(1, a) - double(box.start[std::size_t(a)])) * scale).to(at::kLong);
    j = j.clamp(0, roi[std::size_t(a)] - 1);
    flat = flat * roi[std::size_t(a)] + j;
  }
  return flat;
}

}  // namespace

at::Tensor jitter(const at::Tensor& view, const ViewOptions& o, at::Generator& gen) {
  at::Tensor x = view * uniform(gen, 1 - o.brightness, 1 + o.brightness);
  const double mean = x.mean().item<double>();
  x = (x - mean) * uniform(gen, 1 - o.contrast, 1 + o.contrast) + mean;
  x = x.clamp(0, 1).pow(uniform(gen, o.gamma_min, o.gamma_max));
  if (uniform(gen, 0, 1) < o.blur_probability) {
    const auto blurred = blur(x.unsqueeze(0), uniform(gen, 0.5, 1.0)).squeeze(0);
    x = uniform(gen, 0, 1) < 0.5 ? blurred : x + uniform(gen, 0.5, 1.5) * (x - blurred);  // blur or unsharp mask
  }
  return x + at::randn(x.sizes(), gen) * uniform(gen, 0, o.noise_max);
}

ViewPair sample_view_pair(const at::Tensor& volume, const ViewOptions& o, at::Generator& gen) {
  Box a, b;
  for (std::size_t i = 0; i < 3; ++i) {
    const int64_t n = volume.size(int64_t(i)), roi = o.roi[i];
    auto side = [&] { return std::clamp<int64_t>(std::llround(roi * uniform(gen, o.scale_min, o.scale_max)), 1, n); };
    a.size[i] = side();
    b.size[i] = side();
    a.start[i] = std::min<int64_t>(int64_t(uniform(gen, 0, double(n - a.size[i] + 1))), n - a.size[i]);
    const double shift = uniform(gen, -0.5, 0.5) * double(a.size[i]);
    b.start[i] = std::clamp<int64_t>(a.start[i] + std::llround(shift), 0, n - b.size[i]);
  }
  // Points of the overlap, continuous, drawn uniformly.
  at::Tensor points = at::rand({o.positives, 3}, gen, at::kDouble);
  for (std::size_t i = 0; i < 3; ++i) {
    const double lo = double(std::max(a.start[i], b.start[i]));
    const double hi = double(std::min(a.start[i] + a.size[i], b.start[i] + b.size[i]));
    points.select(1, int64_t(i)).mul_(hi - lo).add_(lo);
  }
  ViewPair pair;
  pair.first_index = view_index(points, a, o.roi);
  pair.second_index = view_index(points, b, o.roi);
  pair.first = jitter(resized_crop(volume, a, o.roi), o, gen);
  pair.second = jitter(resized_crop(volume, b, o.roi), o, gen);
  if (o.mask_ratio > 0) {
    for (at::Tensor* v : {&pair.first, &pair.second}) {
      const auto mask = block_mask(o, gen);
      *v = at::cat({*v * mask, mask}, 0);
    }
  }
  return pair;
}

}  // namespace screener::ssl
