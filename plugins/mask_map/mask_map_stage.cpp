// Sets a map to its minimum outside a mask (SPEC §1.5, §6: the score outside
// the body). The mask may be on another grid of the same patient space (the
// body mask comes on the cropped grid): it is taken to the map's grid through
// physical points, and a map voxel is inside where the interpolated mask is
// at least one half.
#include <algorithm>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include "regrid.h"
#include "screener/screener.h"

using namespace screener;

class MaskMap final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("map", payload_type::volume, "Map, float32, one channel");
    spec.input("mask", payload_type::volume, "Mask (uint8: 1 inside), any grid of the same patient space");
    spec.output("map", payload_type::volume, "The map, at its minimum outside the mask");
    spec.concurrency(Concurrency::unlimited());
  }
  explicit MaskMap(const StageContext& ctx) : stage_id_(ctx.stage_id) {}

  void process(const Inputs& in, Emitter& out) override {
    const auto& map = in.payload<Volume>("map");
    const auto& mask = in.payload<Volume>("mask");
    if (map.voxels.ndim() != 3 || map.voxels.dtype() != DType::float32)
      throw Error("mask_map: the map must be a one-channel float32 volume");
    if (mask.voxels.ndim() != 3 || mask.voxels.dtype() != DType::uint8)
      throw Error("mask_map: the mask must be a one-channel uint8 volume");
    const int64_t n = mask.voxels.numel();
    std::vector<float> mask_values(mask.voxels.data<uint8_t>(), mask.voxels.data<uint8_t>() + n);
    const auto inside = aggregator::regrid_linear(mask_values.data(), mask.geometry, map.geometry, 0.0f);
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
    Tensor masked = Tensor::zeros(map.voxels.shape(), DType::float32);
    float* dst = masked.data<float>();
    tbb::parallel_for(Range(0, m), [&](const Range& r) {
      for (int64_t i = r.begin(); i < r.end(); ++i) dst[i] = inside[std::size_t(i)] >= 0.5f ? values[i] : lowest;
    });
    out.emit("map", map.derive(stage_id_, "mask", map.geometry, std::move(masked)));
  }

 private:
  std::string stage_id_;
};

SCREENER_PLUGIN(MaskMap, "mask_map", "1.0.0", "Sets a map to its minimum outside a mask (e.g. the body)")
