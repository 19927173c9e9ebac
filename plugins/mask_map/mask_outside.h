// A map set to its minimum outside a mask that may lie on another grid of the
// same patient space (SPEC §1.5, §6): the mask is taken to the map's grid
// through physical points, and a map voxel is inside where the interpolated
// mask is at least one half.
#pragma once
#include "screener/payload.h"

namespace screener::mask_map {

// `map`: one-channel float32; `mask`: one-channel uint8 (1 inside). The
// result has the map's shape; throws Error on other dtypes or channel counts.
Tensor mask_outside(const Volume& map, const Volume& mask);

}  // namespace screener::mask_map
