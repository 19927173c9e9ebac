// The patient's outline as radiotherapy "External" contouring draws it: the
// body mask without the table (couch), pads and other thin objects outside
// the patient that are as dense as tissue.
#pragma once
#include <cstdint>
#include <vector>

#include "screener/geometry.h"

namespace screener::foreground_crop {

struct OutlineOptions {
  // Morphological opening with a ball of this radius in mm (0: none): removes
  // whatever is thinner than its diameter (a table's carbon-fibre skins, its
  // rails' joints to the patient) and keeps the body's smooth outline as it is.
  double opening_mm = 0;
  // Keep only the largest 6-connected component (after the opening).
  bool largest_only = false;
};

// Applies `options` to a body mask (1 inside) on a C-order grid, in place.
// Outside the grid there is neither body nor air: the opening does not eat
// into a body that the grid cuts (the first and last slices of a scan).
void outline_body(std::vector<uint8_t>& mask, const Index3& size, const Vec3& spacing, const OutlineOptions& options);

}  // namespace screener::foreground_crop
