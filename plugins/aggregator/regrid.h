// Taking a map from the grid it was computed on back to another grid of the
// same patient space (the study's original grid), through physical points.
#pragma once
#include <cstdint>
#include <vector>

#include "screener/geometry.h"

namespace screener::aggregator {

// For every voxel of `to`: its physical point, that point's continuous index
// in `from`, trilinear interpolation of `values` there. Points more than half
// a voxel outside `from` get `fill` (the map's minimum, for the parts of the
// original image that were cropped away).
// `out` holds to.voxel_count() values.
void regrid_linear(const float* values, const Geometry& from, const Geometry& to, float fill, float* out);
// The same from 0/1 (or any uint8) values, e.g. a mask.
void regrid_linear(const uint8_t* values, const Geometry& from, const Geometry& to, float fill, float* out);
std::vector<float> regrid_linear(const float* values, const Geometry& from, const Geometry& to, float fill);

}  // namespace screener::aggregator
