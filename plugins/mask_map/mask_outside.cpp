#include "mask_outside.h"

#include <algorithm>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include "regrid.h"
#include "screener/error.h"

namespace screener::mask_map {

Tensor mask_outside(const Volume& map, const Volume& mask) {
  if (map.voxels.ndim() != 3 || map.voxels.dtype() != DType::float32)
    throw Error("mask_map: the map must be a one-channel float32 volume");
  if (mask.voxels.ndim() != 3 || mask.voxels.dtype() != DType::uint8)
    throw Error("mask_map: the mask must be a one-channel uint8 volume");
  Tensor masked = Tensor::zeros(map.voxels.shape(), DType::float32);
  float* dst = masked.data<float>();
  // The mask on the map's grid, straight into the result, which then takes the map's values.
  aggregator::regrid_linear(mask.voxels.data<uint8_t>(), mask.geometry, map.geometry, 0.0f, dst);
  const float* values = map.voxels.data<float>();
  const int64_t m = map.voxels.numel();
  // Maps on the original grid are ~60 M voxels: both passes in parallel.
  using Range = tbb::blocked_range<int64_t>;
  const float lowest = tbb::parallel_reduce(
      Range(0, m), m ? values[0] : 0.0f,
      [&](const Range& r, float low) {
        for (int64_t i = r.begin(); i < r.end(); ++i) low = std::min(low, values[i]);
        return low;
      },
      [](float a, float b) { return std::min(a, b); });
  tbb::parallel_for(Range(0, m), [&](const Range& r) {
    for (int64_t i = r.begin(); i < r.end(); ++i) dst[i] = dst[i] >= 0.5f ? values[i] : lowest;
  });
  return masked;
}

}  // namespace screener::mask_map
