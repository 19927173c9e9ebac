#include "synthesis.h"

#include <algorithm>
#include <cmath>

#include "screener/error.h"

namespace screener::anatpaste {

namespace {

// SplitMix64: portable draws (std::*_distribution differ between standard libraries).
class Draws {
 public:
  explicit Draws(uint64_t seed) : state_(seed ^ 0x616E617470617374ull) {}  // "anatpast"
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int64_t below(int64_t n) { return std::min<int64_t>(n - 1, int64_t(uniform() * double(n))); }

 private:
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

void check_options(const SynthesisOptions& o) {
  auto ordered = [](const std::array<double, 2>& r, double lo, double hi, const char* what) {
    if (!(r[0] >= lo && r[0] <= r[1] && r[1] <= hi))
      throw Error(std::string("anatpaste: ") + what + " must be a range [a, b] with " + std::to_string(lo) +
                  " <= a <= b <= " + std::to_string(hi));
  };
  if (o.patches < 0 || o.patches > 1000) throw Error("anatpaste: patches must be in [0, 1000]");
  ordered(o.side_mm, 0.01, 1e4, "side_mm");
  ordered(o.opacity, 0, 1, "opacity");
  ordered(o.blur, 0, 1, "blur");
  if (!(o.aspect > 0 && o.aspect <= 1)) throw Error("anatpaste: aspect must be in (0, 1]");
  if (!(o.jitter >= 0 && o.jitter < 1)) throw Error("anatpaste: jitter must be in [0, 1)");
  if (!(o.intensity_range[1] > o.intensity_range[0])) throw Error("anatpaste: intensity_range must be increasing");
}

// In place along one axis of an (n0, n1, n2) box; zero outside the box.
void blur_axis(std::vector<double>& box, const Index3& n, int axis, double sigma) {
  if (sigma <= 0) return;
  const int64_t radius = int64_t(std::ceil(3 * sigma));
  std::vector<double> kernel(std::size_t(2 * radius + 1));
  double sum = 0;
  for (int64_t k = -radius; k <= radius; ++k) sum += kernel[std::size_t(k + radius)] = std::exp(-0.5 * double(k * k) / (sigma * sigma));
  for (auto& w : kernel) w /= sum;
  const Index3 stride{n[1] * n[2], n[2], 1};
  const int64_t len = n[std::size_t(axis)], step = stride[std::size_t(axis)];
  std::vector<double> line(static_cast<std::size_t>(len));
  for (int64_t a = 0; a < n[0]; ++a)
    for (int64_t b = 0; b < n[1]; ++b)
      for (int64_t c = 0; c < n[2]; ++c) {
        const Index3 at{a, b, c};
        if (at[std::size_t(axis)] != 0) continue;  // one line per start
        const int64_t start = a * stride[0] + b * stride[1] + c;
        for (int64_t i = 0; i < len; ++i) line[std::size_t(i)] = box[std::size_t(start + i * step)];
        for (int64_t i = 0; i < len; ++i) {
          double v = 0;
          for (int64_t k = std::max(-radius, -i); k <= std::min(radius, len - 1 - i); ++k)
            v += kernel[std::size_t(k + radius)] * line[std::size_t(i + k)];
          box[std::size_t(start + i * step)] = v;
        }
      }
}

void paste_one(std::vector<float>& v, const std::vector<uint8_t>& body, const std::vector<int64_t>& body_voxels,
               const Index3& size, const Vec3& spacing, const SynthesisOptions& o, Draws& d,
               std::vector<PastedAnomaly>& log) {
  PastedAnomaly a;
  // The box: size and aspect, then where it is cut from (anywhere in the volume, as the authors' code).
  const double side = d.uniform(o.side_mm[0], o.side_mm[1]);
  std::array<double, 3> e{};
  for (auto& x : e) x = d.uniform(std::log(o.aspect) / 2, -std::log(o.aspect) / 2);
  const double mean = (e[0] + e[1] + e[2]) / 3;
  Index3 n{};
  for (std::size_t k = 0; k < 3; ++k)
    n[k] = std::clamp<int64_t>(std::llround(side * std::exp(e[k] - mean) / spacing[k]), 1, size[k]);
  for (std::size_t k = 0; k < 3; ++k) a.source[k] = d.below(size[k] - n[k] + 1);
  a.brightness = d.uniform(1 - o.jitter, 1 + o.jitter);
  a.contrast = d.uniform(1 - o.jitter, 1 + o.jitter);
  // Where it goes: centred on a voxel of the body (the paper: of the lungs).
  const int64_t centre = body_voxels[std::size_t(d.below(int64_t(body_voxels.size())))];
  a.centre = {centre / (size[1] * size[2]), (centre / size[2]) % size[1], centre % size[2]};
  a.shape = d.uniform() < 0.5 ? "ellipsoid" : "box";
  a.opacity = d.uniform(o.opacity[0], o.opacity[1]);
  a.blur = d.uniform(o.blur[0], o.blur[1]);
  a.extent = n;
  log.push_back(a);

  const std::size_t box_voxels = std::size_t(n[0] * n[1] * n[2]);
  // The patch, jittered: brightness, then contrast around the patch's mean.
  const double lo = o.intensity_range[0], span = o.intensity_range[1] - o.intensity_range[0];
  std::vector<double> patch(box_voxels);
  std::size_t i = 0;
  for (int64_t x = 0; x < n[0]; ++x)
    for (int64_t y = 0; y < n[1]; ++y)
      for (int64_t z = 0; z < n[2]; ++z, ++i) {
        const double t = (double(v[std::size_t(((a.source[0] + x) * size[1] + a.source[1] + y) * size[2] + a.source[2] + z)]) - lo) / span;
        patch[i] = std::clamp(t * a.brightness, 0.0, 1.0);
      }
  double patch_mean = 0;
  for (double t : patch) patch_mean += t;
  patch_mean /= double(box_voxels);
  for (double& t : patch) t = lo + span * std::clamp((t - patch_mean) * a.contrast + patch_mean, 0.0, 1.0);

  // The shape in the box, shrunk so that its blurred edge mostly stays inside (the paper's margin), then blurred.
  std::array<double, 3> sigma{}, radius{};
  for (std::size_t k = 0; k < 3; ++k) {
    sigma[k] = a.blur * double(n[k]);
    radius[k] = std::max(0.5, double(n[k]) / 2 - std::min(2 * sigma[k], double(n[k]) / 4));
  }
  std::vector<double> alpha(box_voxels);
  i = 0;
  for (int64_t x = 0; x < n[0]; ++x)
    for (int64_t y = 0; y < n[1]; ++y)
      for (int64_t z = 0; z < n[2]; ++z, ++i) {
        const std::array<double, 3> p{(double(x) + 0.5 - double(n[0]) / 2) / radius[0],
                                      (double(y) + 0.5 - double(n[1]) / 2) / radius[1],
                                      (double(z) + 0.5 - double(n[2]) / 2) / radius[2]};
        const bool inside = a.shape == "ellipsoid" ? p[0] * p[0] + p[1] * p[1] + p[2] * p[2] <= 1
                                                   : std::abs(p[0]) <= 1 && std::abs(p[1]) <= 1 && std::abs(p[2]) <= 1;
        alpha[i] = inside ? 1.0 : 0.0;
      }
  for (int axis = 0; axis < 3; ++axis) blur_axis(alpha, n, axis, sigma[std::size_t(axis)]);

  // X = X·(1 − mask) + patch·mask, mask = opacity · blurred shape · body.
  i = 0;
  for (int64_t x = 0; x < n[0]; ++x)
    for (int64_t y = 0; y < n[1]; ++y)
      for (int64_t z = 0; z < n[2]; ++z, ++i) {
        const int64_t tx = a.centre[0] - n[0] / 2 + x, ty = a.centre[1] - n[1] / 2 + y, tz = a.centre[2] - n[2] / 2 + z;
        if (tx < 0 || ty < 0 || tz < 0 || tx >= size[0] || ty >= size[1] || tz >= size[2]) continue;
        const std::size_t t = std::size_t((tx * size[1] + ty) * size[2] + tz);
        const double w = a.opacity * alpha[i];
        if (!body[t] || w <= 0) continue;
        v[t] = float(double(v[t]) * (1 - w) + patch[i] * w);
      }
}

}  // namespace

SynthesisResult synthesise(const std::vector<float>& volume, const std::vector<uint8_t>& body, const Index3& size,
                           const Vec3& spacing, const SynthesisOptions& options, uint64_t seed) {
  check_options(options);
  for (std::size_t k = 0; k < 3; ++k) {
    if (size[k] < 1 || size[k] > (1 << 16)) throw Error("anatpaste: grid size out of [1, 65536]");
    if (!(spacing[k] > 0) || !std::isfinite(spacing[k])) throw Error("anatpaste: spacing must be finite and positive");
  }
  const auto voxels = std::size_t(size[0] * size[1] * size[2]);
  if (volume.size() != voxels || body.size() != voxels)
    throw Error("anatpaste: the volume (" + std::to_string(volume.size()) + " voxels) and the body mask (" +
                std::to_string(body.size()) + ") must both have " + std::to_string(voxels) + " voxels");
  SynthesisResult r;
  r.volume = volume;
  std::vector<int64_t> body_voxels;
  for (std::size_t i = 0; i < voxels; ++i)
    if (body[i]) body_voxels.push_back(int64_t(i));
  Draws d(seed);
  if (!body_voxels.empty())
    for (int p = 0; p < options.patches; ++p) paste_one(r.volume, body, body_voxels, size, spacing, options, d, r.anomalies);
  r.mask.resize(voxels);
  for (std::size_t i = 0; i < voxels; ++i) r.mask[i] = r.volume[i] != volume[i];
  return r;
}

SynthesisOptions study_options(int patches) {
  SynthesisOptions o;
  o.patches = patches;
  o.side_mm = {10, 40};
  o.intensity_range = {-1000, 300};
  return o;
}

SynthesisHU synthesise_hu(const std::vector<int16_t>& hu, const std::vector<uint8_t>& body, const Index3& size,
                          const Vec3& spacing, const SynthesisOptions& options, uint64_t seed) {
  const std::vector<float> values(hu.begin(), hu.end());
  auto r = synthesise(values, body, size, spacing, options, seed);
  SynthesisHU out{std::vector<int16_t>(hu.size()), std::vector<uint8_t>(hu.size()), std::move(r.anomalies)};
  for (std::size_t i = 0; i < hu.size(); ++i) {
    out.hu[i] = int16_t(std::clamp(std::lround(r.volume[i]), -32768L, 32767L));
    out.mask[i] = out.hu[i] != hu[i];
  }
  return out;
}

}  // namespace screener::anatpaste
