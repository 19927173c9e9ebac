// Exact squared Euclidean distance transform on an anisotropic grid
// (Felzenszwalb & Huttenlocher's separable lower envelope of parabolas).
#pragma once
#include <cstdint>
#include <vector>

#include "screener/geometry.h"

namespace screener::foreground_crop {

// For every voxel of a C-order {n0, n1, n2} grid with `spacing` (mm): the
// squared distance in mm² to the nearest voxel where `from` is nonzero, or
// +infinity when there is none. Only voxels of the grid count: outside it
// there is nothing to be near to (scipy.ndimage.distance_transform_edt on
// the complement, with `sampling`, gives the same).
std::vector<float> squared_distance_to(const std::vector<uint8_t>& from, const Index3& size, const Vec3& spacing);

}  // namespace screener::foreground_crop
