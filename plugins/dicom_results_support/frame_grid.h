// A volume grid seen as a stack of DICOM frames: axis 0 runs along a row
// (columns), axis 1 down the columns (rows), axis 2 from frame to frame.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "screener/geometry.h"

namespace screener::dicom_results {

class FrameGrid {
 public:
  // Throws Error when the grid cannot be a DICOM frame stack (too large,
  // in-plane axes not orthonormal).
  explicit FrameGrid(const Geometry& grid);

  uint16_t rows() const { return uint16_t(grid_.size[1]); }
  uint16_t columns() const { return uint16_t(grid_.size[0]); }
  std::size_t frames() const { return std::size_t(grid_.size[2]); }
  std::size_t pixels_per_frame() const { return std::size_t(grid_.size[0] * grid_.size[1]); }

  Vec3 position(std::size_t frame) const;  // ImagePositionPatient
  Vec3 normal() const;                     // row direction x column direction
  double slice_spacing() const { return grid_.spacing[2]; }

  // DICOM decimal strings (at most 16 characters each).
  std::array<std::string, 6> image_orientation() const;  // row direction, column direction
  std::string pixel_spacing() const;      // row spacing \ column spacing
  static std::string decimal(double value);

  // Frame `frame` of voxels laid out like the grid (axis 2 fastest), copied
  // row by row into `out` (pixels_per_frame() values).
  template <class In, class Out> void copy_frame(const In* voxels, std::size_t frame, Out* out) const {
    const int64_t n0 = grid_.size[0], n1 = grid_.size[1], n2 = grid_.size[2];
    for (int64_t r = 0; r < n1; ++r)
      for (int64_t c = 0; c < n0; ++c) out[r * n0 + c] = static_cast<Out>(voxels[(c * n1 + r) * n2 + int64_t(frame)]);
  }

 private:
  Geometry grid_;
};

}  // namespace screener::dicom_results
