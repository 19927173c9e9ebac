#include "phantom.h"
#include "synthesis.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <tbb/parallel_for.h>

namespace screener::phantom {

namespace {

// Portable draws: std::*_distribution differ between standard libraries.
class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  double uniform() { return double(rng_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {
    const double u = std::max(uniform(), 1e-300), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
  }

 private:
  std::mt19937_64 rng_;
};

// Noise from the voxel's own counter, not a running generator: the same
// values whatever the order or the number of threads that compute them.
double voxel_normal(uint64_t seed, uint64_t voxel) {
  auto mix = [](uint64_t x) {  // splitmix64
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  };
  const double u = std::max(double(mix(seed ^ (2 * voxel)) >> 11) * 0x1.0p-53, 1e-300);
  const double v = double(mix(seed ^ (2 * voxel + 1)) >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
}

struct Ellipsoid {
  Vec3 c, r;
  bool contains(const Vec3& p) const {
    double s = 0;
    for (int k = 0; k < 3; ++k) s += (p[k] - c[k]) * (p[k] - c[k]) / (r[k] * r[k]);
    return s <= 1.0;
  }
};

}  // namespace

PhantomCT make_phantom(const PhantomOptions& o) {
  Draw d(o.seed);
  PhantomCT ct;
  auto& g = ct.geometry;
  g.size = o.size;
  for (int k = 0; k < 3; ++k) g.spacing[k] = o.spacing[k] * (k < 2 ? d.uniform(0.9, 1.1) : 1.0);
  const Vec3 extent{g.size[0] * g.spacing[0], g.size[1] * g.spacing[1], g.size[2] * g.spacing[2]};
  g.origin = {-extent[0] / 2, -extent[1] / 2, d.uniform(-400, -300)};

  // Patient: size, position in the field of view, organ placement.
  const double scale = d.uniform(0.85, 1.1);
  const Vec3 centre{d.uniform(-10, 10), d.uniform(-10, 10), g.origin[2] + extent[2] * d.uniform(0.45, 0.55)};
  const double zc = centre[2], half_z = extent[2] / 2;
  Ellipsoid body{centre, {150 * scale, 105 * scale, 1e9}};
  Ellipsoid inner{centre, {135 * scale, 92 * scale, 1e9}};
  const double lung_z = zc + 0.45 * half_z;
  const Ellipsoid lungs[2] = {
      {{centre[0] - 70 * scale, centre[1] - 5, lung_z}, {48 * scale, 62 * scale, 0.7 * half_z * d.uniform(0.9, 1.1)}},
      {{centre[0] + 70 * scale, centre[1] - 5, lung_z}, {45 * scale, 60 * scale, 0.7 * half_z * d.uniform(0.9, 1.1)}}};
  const Ellipsoid heart{{centre[0] + 10, centre[1] - 20, lung_z - 0.2 * half_z}, {45 * scale, 40 * scale, 0.35 * half_z}};
  const Ellipsoid liver{{centre[0] - 55 * scale, centre[1] - 5, zc - 0.45 * half_z},
                        {70 * scale, 60 * scale, 0.5 * half_z * d.uniform(0.8, 1.1)}};
  const Ellipsoid kidneys[2] = {{{centre[0] - 60 * scale, centre[1] + 50 * scale, zc - 0.6 * half_z}, {22, 30, 45}},
                                {{centre[0] + 60 * scale, centre[1] + 50 * scale, zc - 0.55 * half_z}, {22, 30, 45}}};
  const Vec3 aorta{centre[0] + 15, centre[1] + 40 * scale, 0}, spine{centre[0], centre[1] + 75 * scale, 0};
  const double fov = std::min(extent[0], extent[1]) / 2;

  auto inside = [&](const Ellipsoid& e, double fraction) {
    return Vec3{e.c[0] + d.uniform(-fraction, fraction) * e.r[0], e.c[1] + d.uniform(-fraction, fraction) * e.r[1],
                e.c[2] + d.uniform(-fraction, fraction) * e.r[2]};
  };
  for (int i = 0; i < o.lesions; ++i) {
    Lesion l;
    const auto& lung = lungs[std::size_t(i / 4) % 2];
    switch (i % 4) {
      case 0:
        l = {"liver_hypodense", inside(liver, 0.3), d.uniform(6, 15), d.uniform(-10, 20)};
        break;
      case 1:
        l = {"lung_nodule", inside(lung, 0.4), d.uniform(4, 10), d.uniform(20, 60)};
        break;
      case 2:
        l = {"ground_glass", inside(lung, 0.35), d.uniform(10, 20), d.uniform(-650, -500), 4.0};
        break;
      default: {
        // MOOD "toy" anomaly: clearly off its surroundings, either way.
        const double hu = d.uniform() < 0.5 ? d.uniform(-300, -100) : d.uniform(150, 300);
        l = {"sphere", inside(Ellipsoid{centre, {100 * scale, 60 * scale, 0.6 * half_z}}, 1.0), d.uniform(5, 15), hu};
      }
    }
    ct.lesions.push_back(l);
  }

  const std::size_t n = std::size_t(g.voxel_count());
  ct.hu.resize(n);
  ct.lesion_mask.assign(n, 0);
  ct.body_mask.assign(n, 0);
  const uint64_t noise_seed = uint64_t(d.uniform() * 0x1.0p53);
  // Drawn last, so that the same seed gives the same patient with or without them.
  double skin_mm = 0, skin_hu = 0, tissue_hu = 40, noise_hu = o.noise_hu, air_hu = o.air_hu;
  bool couch = o.couch;
  if (o.variety) {
    body.r[0] *= d.uniform(1.0, 1.08);
    body.r[1] *= d.uniform(1.0, 1.08);
    const double fat = o.fat_mm >= 0 ? o.fat_mm : d.uniform(0, 22);
    inner.r = {body.r[0] - fat, body.r[1] - fat, 1e9};
    skin_mm = d.uniform(0, 2.5);
    skin_hu = d.uniform(10, 60);
    tissue_hu = d.uniform(15, 60);
    noise_hu *= d.uniform(0, 1.8);
    air_hu = d.uniform(-1024, -985);
    couch = couch || d.uniform() < 0.5;
  } else if (o.fat_mm >= 0) {
    inner.r = {body.r[0] - o.fat_mm, body.r[1] - o.fat_mm, 1e9};
  }
  // The table: its top surface curves up towards the sides (radius 600 mm),
  // carbon-fibre skins around a foam core, 2 to 10 mm of pad (as air) under the back.
  const double couch_gap = couch ? d.uniform(2, 10) : 0, couch_skin = 5, couch_depth = 50;
  const double couch_top = centre[1] + body.r[1] + couch_gap;
  auto couch_hu = [&](const Vec3& p, double& hu) {
    const double dx = p[0] - centre[0];
    const double depth = p[1] - (couch_top - dx * dx / 1200.0);  // below the top surface
    if (depth < 0 || depth > couch_depth || std::abs(dx) > 230) return;
    hu = depth < couch_skin || depth > couch_depth - couch_skin || std::abs(dx) > 215 ? 250 : -900;
  };
  // Depth below the body's surface, mm (exact on the axes, close elsewhere).
  auto skin_depth = [&](const Vec3& p) {
    const double u = (p[0] - body.c[0]) / body.r[0], w = (p[1] - body.c[1]) / body.r[1];
    return (1 - std::sqrt(u * u + w * w)) * std::min(body.r[0], body.r[1]);
  };
  tbb::parallel_for(int64_t{0}, g.size[0], [&](int64_t a) {
  for (int64_t b = 0; b < g.size[1]; ++b)
      for (int64_t c = 0; c < g.size[2]; ++c) {
        const std::size_t v = std::size_t((a * g.size[1] + b) * g.size[2] + c);
        const Vec3 p = g.index_to_physical({double(a), double(b), double(c)});
        const double rx = p[0] - g.origin[0] - extent[0] / 2, ry = p[1] - g.origin[1] - extent[1] / 2;
        if (rx * rx + ry * ry > fov * fov) {
          ct.hu[v] = -2048;  // outside the reconstruction circle
          continue;
        }
        double hu = air_hu;
        if (body.contains(p)) {
          ct.body_mask[v] = 1;
          hu = inner.contains(p) ? tissue_hu : -100;
          if (skin_mm > 0 && skin_depth(p) < skin_mm) hu = skin_hu;
          auto in_disc = [&](const Vec3& q, double r) {
            return (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) <= r * r;
          };
          if (liver.contains(p)) hu = 60;
          for (const auto& k : kidneys)
            if (k.contains(p)) hu = 30;
          if (heart.contains(p)) hu = 45;
          for (const auto& l : lungs)
            if (l.contains(p)) hu = -850 + 30 * std::sin(p[0] * 0.3) * std::sin(p[1] * 0.25) * std::sin(p[2] * 0.2);
          if (in_disc(aorta, 12 * scale)) hu = 150;
          if (in_disc(spine, 18 * scale)) hu = in_disc(spine, 14 * scale) ? 250 : 700;
          for (const auto& l : ct.lesions) {
            const double dx = p[0] - l.centre_mm[0], dy = p[1] - l.centre_mm[1], dz = p[2] - l.centre_mm[2];
            const double depth = l.radius_mm - std::sqrt(dx * dx + dy * dy + dz * dz);
            if (depth < 0) continue;
            const double w = l.soft_edge_mm > 0 ? std::min(1.0, depth / l.soft_edge_mm) : 1.0;
            hu = (1 - w) * hu + w * l.hu;
            if (w >= 0.5) ct.lesion_mask[v] = 1;
          }
        } else if (couch) {
          couch_hu(p, hu);
        }
        hu += noise_hu * voxel_normal(noise_seed, v);
        ct.hu[v] = int16_t(std::clamp(std::lround(hu), -1024L, 3071L));
      }
  });
  return ct;
}

void paste_anomalies(PhantomCT& ct, int count, uint64_t seed) {
  // Its own stream: the phantom's organs and lesions stay what the seed gives without it.
  auto pasted = anatpaste::synthesise_hu(ct.hu, ct.body_mask, ct.geometry.size, ct.geometry.spacing,
                                         anatpaste::study_options(count), seed * 0x9E3779B97F4A7C15ull + 0x7061);
  ct.hu = std::move(pasted.hu);
  for (std::size_t i = 0; i < ct.lesion_mask.size(); ++i) ct.lesion_mask[i] |= pasted.mask[i];
}

}  // namespace screener::phantom
