#include "phantom.h"
#include "round_half_away.h"
#include "synthesis.h"

#include <algorithm>
#include <array>
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
// Box-Muller over a row of voxels v0, v0 + 1, ...: the draws first, then the
// cos and the log each in a loop of its own (the same calls on the same
// arguments as one voxel at a time, so the same bits).
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The cos calls go in order of their angle's bucket: libm's cos branches on
// the range of its argument, and random angles mispredict those branches
// (a cos in random order cost twice as much as in sorted order here).
struct RowNormals {
  static constexpr int buckets = 64;
  static std::size_t bucket(double angle) { return std::size_t(angle * buckets); }  // angle in [0, 1)
  std::vector<double> angle;
  std::vector<uint32_t> order;

  void operator()(uint64_t seed, uint64_t v0, std::size_t n, double* out) {
    angle.resize(n);
    order.resize(n);
    std::array<uint32_t, buckets + 1> start{};
    for (std::size_t i = 0; i < n; ++i) {
      const uint64_t voxel = v0 + i;
      out[i] = std::max(double(splitmix64(seed ^ (2 * voxel)) >> 11) * 0x1.0p-53, 1e-300);
      angle[i] = double(splitmix64(seed ^ (2 * voxel + 1)) >> 11) * 0x1.0p-53;
      ++start[bucket(angle[i]) + 1];
    }
    for (int k = 0; k < buckets; ++k) start[std::size_t(k) + 1] += start[std::size_t(k)];
    for (std::size_t i = 0; i < n; ++i) order[start[bucket(angle[i])]++] = uint32_t(i);
    for (const uint32_t i : order) angle[i] = std::cos(2.0 * M_PI * angle[i]);
    for (std::size_t i = 0; i < n; ++i) out[i] = std::log(out[i]);
    for (std::size_t i = 0; i < n; ++i) out[i] = std::sqrt(-2.0 * out[i]) * angle[i];
  }
};

struct Ellipsoid {
  Vec3 c, r;
  bool contains(const Vec3& p) const {
    double s = 0;
    for (int k = 0; k < 3; ++k) s += (p[k] - c[k]) * (p[k] - c[k]) / (r[k] * r[k]);
    return s <= 1.0;
  }
};


// The sum of Ellipsoid::contains split where it is evaluated: ((0 + x) + y)
// once per row, + z per slice, in the same order.
double in_plane(const Ellipsoid& e, const Vec3& p) {
  double s = 0;
  for (int k = 0; k < 2; ++k) s += (p[k] - e.c[k]) * (p[k] - e.c[k]) / (e.r[k] * e.r[k]);
  return s;
}

struct SliceTerms {
  std::vector<double> z;
  SliceTerms(const Ellipsoid& e, const std::vector<double>& zs) : z(zs.size()) {
    for (std::size_t i = 0; i < zs.size(); ++i) z[i] = (zs[i] - e.c[2]) * (zs[i] - e.c[2]) / (e.r[2] * e.r[2]);
  }
  bool contains(double in_plane_sum, std::size_t slice) const { return in_plane_sum + z[slice] <= 1.0; }
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
  // Everything below gives the bytes of the straightforward per-voxel loop
  // (PhantomBytes tests): each term is hoisted to the row (a, b) or the slice
  // c it depends on and the sums keep their order, so no value changes.
  // The grid's direction is the identity, so x depends on a alone, y on b,
  // z on c, exactly as index_to_physical computes them.
  const int64_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
  std::vector<double> xs(static_cast<std::size_t>(nx)), ys(static_cast<std::size_t>(ny)),
      zs(static_cast<std::size_t>(nz));
  for (int64_t i = 0; i < nx; ++i) xs[std::size_t(i)] = g.index_to_physical({double(i), 0, 0})[0];
  for (int64_t i = 0; i < ny; ++i) ys[std::size_t(i)] = g.index_to_physical({0, double(i), 0})[1];
  for (int64_t i = 0; i < nz; ++i) zs[std::size_t(i)] = g.index_to_physical({0, 0, double(i)})[2];

  // Organs in the order they overwrite each other: liver, kidneys, heart, lungs.
  enum class Organ { liver, kidney, heart, lung };
  std::vector<std::pair<Ellipsoid, Organ>> organs{{liver, Organ::liver}};
  for (const auto& k : kidneys) organs.push_back({k, Organ::kidney});
  organs.push_back({heart, Organ::heart});
  for (const auto& l : lungs) organs.push_back({l, Organ::lung});
  const SliceTerms body_z(body, zs), inner_z(inner, zs);
  std::vector<SliceTerms> organ_z;
  for (const auto& o : organs) organ_z.emplace_back(o.first, zs);
  std::vector<double> lung_sin_z(zs.size());
  for (int64_t c = 0; c < nz; ++c) lung_sin_z[std::size_t(c)] = std::sin(zs[std::size_t(c)] * 0.2);
  std::vector<std::vector<double>> lesion_dz2(ct.lesions.size(), std::vector<double>(zs.size()));
  for (std::size_t i = 0; i < ct.lesions.size(); ++i)
    for (int64_t c = 0; c < nz; ++c) {
      const double dz = zs[std::size_t(c)] - ct.lesions[i].centre_mm[2];
      lesion_dz2[i][std::size_t(c)] = dz * dz;
    }

  tbb::parallel_for(int64_t{0}, nx, [&](int64_t a) {
    const auto row_length = static_cast<std::size_t>(nz);
    std::vector<double> row(row_length), noise(row_length);
    RowNormals row_normals;
    std::vector<std::size_t> active_organs, active_lesions;
    std::vector<double> lesion_dxy;
    for (int64_t b = 0; b < ny; ++b) {
      const std::size_t v0 = std::size_t((a * ny + b) * nz);
      const Vec3 p{xs[std::size_t(a)], ys[std::size_t(b)], 0};
      const double rx = p[0] - g.origin[0] - extent[0] / 2, ry = p[1] - g.origin[1] - extent[1] / 2;
      if (rx * rx + ry * ry > fov * fov) {
        std::fill_n(ct.hu.begin() + std::ptrdiff_t(v0), nz, int16_t(-2048));  // outside the reconstruction circle
        continue;
      }
      double outside_body = air_hu;
      if (couch) couch_hu(p, outside_body);
      const double body_xy = in_plane(body, p), inner_xy = in_plane(inner, p);
      const bool skin = skin_mm > 0 && skin_depth(p) < skin_mm;
      auto in_disc = [&](const Vec3& q, double r) {
        return (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) <= r * r;
      };
      const bool aorta_here = in_disc(aorta, 12 * scale), spine_here = in_disc(spine, 18 * scale);
      const double spine_hu = in_disc(spine, 14 * scale) ? 250 : 700;
      const double lung_xy = 30 * std::sin(p[0] * 0.3) * std::sin(p[1] * 0.25);
      // An ellipsoid whose in-plane part alone exceeds 1 misses the whole row.
      active_organs.clear();
      std::vector<double> organ_xy(organs.size());
      for (std::size_t i = 0; i < organs.size(); ++i) {
        organ_xy[i] = in_plane(organs[i].first, p);
        if (organ_xy[i] <= 1.0) active_organs.push_back(i);
      }
      active_lesions.clear();
      lesion_dxy.assign(ct.lesions.size(), 0);
      for (std::size_t i = 0; i < ct.lesions.size(); ++i) {
        const auto& l = ct.lesions[i];
        const double dx = p[0] - l.centre_mm[0], dy = p[1] - l.centre_mm[1];
        lesion_dxy[i] = dx * dx + dy * dy;
        if (l.radius_mm - std::sqrt(lesion_dxy[i]) >= 0) active_lesions.push_back(i);
      }
      uint8_t* body_mask = ct.body_mask.data() + v0;
      uint8_t* lesion_mask = ct.lesion_mask.data() + v0;
      for (int64_t c = 0; c < nz; ++c) {
        const std::size_t z = std::size_t(c);
        if (!body_z.contains(body_xy, z)) {
          row[z] = outside_body;
          continue;
        }
        body_mask[c] = 1;
        double hu = inner_z.contains(inner_xy, z) ? tissue_hu : -100;
        if (skin) hu = skin_hu;
        for (const std::size_t i : active_organs) {
          if (!organ_z[i].contains(organ_xy[i], z)) continue;
          switch (organs[i].second) {
            case Organ::liver: hu = 60; break;
            case Organ::kidney: hu = 30; break;
            case Organ::heart: hu = 45; break;
            case Organ::lung: hu = -850 + lung_xy * lung_sin_z[z]; break;
          }
        }
        if (aorta_here) hu = 150;
        if (spine_here) hu = spine_hu;
        for (const std::size_t i : active_lesions) {
          const auto& l = ct.lesions[i];
          const double depth = l.radius_mm - std::sqrt(lesion_dxy[i] + lesion_dz2[i][z]);
          if (depth < 0) continue;
          const double w = l.soft_edge_mm > 0 ? std::min(1.0, depth / l.soft_edge_mm) : 1.0;
          hu = (1 - w) * hu + w * l.hu;
          if (w >= 0.5) lesion_mask[c] = 1;
        }
        row[z] = hu;
      }
      // noise_hu * n is a signed zero when there is no noise: adding it changes no rounded value.
      if (noise_hu != 0) {
        row_normals(noise_seed, v0, row_length, noise.data());
        for (std::size_t z = 0; z < std::size_t(nz); ++z) row[z] += noise_hu * noise[z];
      }
      int16_t* hu_out = ct.hu.data() + v0;
      for (std::size_t z = 0; z < std::size_t(nz); ++z)
        hu_out[z] = int16_t(std::clamp(round_half_away(row[z]), int64_t{-1024}, int64_t{3071}));
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
