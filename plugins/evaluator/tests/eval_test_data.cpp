#include "eval_test_data.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace eval_test {

StudyData random_study(const std::string& id, const screener::eval::Shape3& shape, int regions, Scores scores,
                       uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  StudyData s;
  s.id = id;
  s.shape = shape;
  const int64_t n0 = shape[0], n1 = shape[1], n2 = shape[2];
  const auto at = [&](int64_t a, int64_t b, int64_t c) { return std::size_t((a * n1 + b) * n2 + c); };
  s.mask.assign(std::size_t(n0 * n1 * n2), 0);
  for (int r = 0; r < regions; ++r) {
    const int64_t a = int64_t(unit(rng) * n0), b = int64_t(unit(rng) * n1), c = int64_t(unit(rng) * n2);
    switch (r % 4) {
      case 0: {  // a ball, radius 1.5 .. 4
        const double radius = 1.5 + 2.5 * unit(rng);
        for (int64_t i = 0; i < n0; ++i)
          for (int64_t j = 0; j < n1; ++j)
            for (int64_t k = 0; k < n2; ++k)
              if ((i - a) * (i - a) + (j - b) * (j - b) + (k - c) * (k - c) <= radius * radius) s.mask[at(i, j, k)] = 1;
        break;
      }
      case 1:  // a single voxel
        s.mask[at(a, b, c)] = 1;
        break;
      case 2:  // two voxels touching by a corner (one region in 26, two in 6)
        s.mask[at(a, b, c)] = 1;
        if (a + 1 < n0 && b + 1 < n1 && c + 1 < n2) s.mask[at(a + 1, b + 1, c + 1)] = 1;
        break;
      default:  // a short bar along axis 2 and one voxel touching its end by an edge
        for (int64_t k = c; k < std::min(n2, c + 4); ++k) s.mask[at(a, b, k)] = 1;
        if (a + 1 < n0 && b + 1 < n1) s.mask[at(a + 1, b + 1, c)] = 1;
        break;
    }
  }
  std::normal_distribution<double> noise(0.0, 1.0);
  s.map.resize(s.mask.size());
  for (std::size_t i = 0; i < s.map.size(); ++i) {
    const double v = noise(rng) + (s.mask[i] ? 1.2 : 0.0);
    switch (scores) {
      case Scores::continuous: s.map[i] = float(std::clamp(v, -3.0, 5.0)); break;
      case Scores::ties: s.map[i] = float(std::round(std::clamp(v, -2.0, 4.0) * 16.0) / 16.0); break;
      case Scores::wide: s.map[i] = float((v >= 0 ? 1 : -1) * std::pow(10.0, 3.0 * std::abs(v) - 2.0)); break;
    }
  }
  return s;
}

}  // namespace eval_test
