// Whether two grids are the same within the evaluation's tolerance: equal
// size; spacing within 1e-3 relative; direction cosines within 1e-3; origin
// within 1e-3 of the smallest spacing (a thousandth of a voxel).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "screener/geometry.h"

namespace screener::eval {

inline std::string grid_text(const Geometry& g) {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "size %lldx%lldx%lld, spacing (%.6g, %.6g, %.6g), origin (%.6g, %.6g, %.6g), direction "
                "(%.4g %.4g %.4g; %.4g %.4g %.4g; %.4g %.4g %.4g)",
                (long long)g.size[0], (long long)g.size[1], (long long)g.size[2], g.spacing[0], g.spacing[1],
                g.spacing[2], g.origin[0], g.origin[1], g.origin[2], g.direction[0][0], g.direction[0][1],
                g.direction[0][2], g.direction[1][0], g.direction[1][1], g.direction[1][2], g.direction[2][0],
                g.direction[2][1], g.direction[2][2]);
  return buf;
}

// Empty when the grids match; otherwise what differs.
inline std::string grid_mismatch(const Geometry& a, const Geometry& b, double tolerance = 1e-3) {
  if (a.size != b.size) return "the shapes differ";
  for (int d = 0; d < 3; ++d)
    if (std::abs(a.spacing[d] - b.spacing[d]) > tolerance * std::max(std::abs(a.spacing[d]), std::abs(b.spacing[d])))
      return "the spacings differ";
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      if (std::abs(a.direction[r][c] - b.direction[r][c]) > tolerance) return "the directions differ";
  const double smallest = std::min({a.spacing[0], a.spacing[1], a.spacing[2]});
  for (int d = 0; d < 3; ++d)
    if (std::abs(a.origin[d] - b.origin[d]) > tolerance * smallest) return "the origins differ";
  return {};
}

}  // namespace screener::eval
