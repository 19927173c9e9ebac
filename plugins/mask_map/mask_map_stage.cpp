// Sets a map to its minimum outside a mask (SPEC §1.5, §6: the score outside
// the body). The mask may be on another grid of the same patient space (the
// body mask comes on the cropped grid): it is taken to the map's grid through
// physical points, and a map voxel is inside where the interpolated mask is
// at least one half.
#include "mask_outside.h"
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
    Tensor masked = mask_map::mask_outside(map, in.payload<Volume>("mask"));
    out.emit("map", map.derive(stage_id_, "mask", map.geometry, std::move(masked)));
  }

 private:
  std::string stage_id_;
};

SCREENER_PLUGIN(MaskMap, "mask_map", "1.0.0", "Sets a map to its minimum outside a mask (e.g. the body)")
