#include "frame_grid.h"

#include <cmath>
#include <cstdio>

#include "screener/error.h"

namespace screener::dicom_results {

namespace {
Vec3 column(const Mat3& m, int k) { return {m[0][k], m[1][k], m[2][k]}; }
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
}  // namespace

FrameGrid::FrameGrid(const Geometry& grid) : grid_(grid) {
  for (int k = 0; k < 2; ++k)
    if (grid.size[k] < 1 || grid.size[k] > 65535)
      throw Error("a DICOM frame has 1 to 65535 rows and columns; the map grid is " + std::to_string(grid.size[0]) +
                  " x " + std::to_string(grid.size[1]));
  if (grid.size[2] < 1) throw Error("the map grid has no slices");
  const Vec3 u = column(grid.direction, 0), v = column(grid.direction, 1);
  if (std::abs(dot(u, u) - 1) > 1e-4 || std::abs(dot(v, v) - 1) > 1e-4 || std::abs(dot(u, v)) > 1e-4)
    throw Error("the map grid's in-plane axes are not orthonormal, which DICOM's ImageOrientationPatient requires");
}

Vec3 FrameGrid::position(std::size_t frame) const {
  return grid_.index_to_physical({0, 0, double(frame)});
}

Vec3 FrameGrid::normal() const {
  const Vec3 u = column(grid_.direction, 0), v = column(grid_.direction, 1);
  return {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
}

std::string FrameGrid::decimal(double value) {
  if (std::abs(value) < 1e-12) value = 0;  // no "-0" or "1e-17" from rounding noise
  char text[32];
  for (int digits = 10; digits > 1; --digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::string(text).size() <= 16) break;
  }
  return text;
}

std::array<std::string, 6> FrameGrid::image_orientation() const {
  std::array<std::string, 6> values;
  for (int k = 0; k < 2; ++k)
    for (int r = 0; r < 3; ++r) values[std::size_t(k * 3 + r)] = decimal(grid_.direction[r][k]);
  return values;
}

std::string FrameGrid::pixel_spacing() const { return decimal(grid_.spacing[1]) + "\\" + decimal(grid_.spacing[0]); }

}  // namespace screener::dicom_results
