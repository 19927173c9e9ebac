// No condition: the density model is then the marginal q(y). Emits a map with
// zero channels, so that swapping the condition plugin is the only change a
// pipeline needs to compare conditions (the density checks the channels).
#include "screener/screener.h"

using namespace screener;

class ConditionNoneStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("patches", payload_type::patch, "Image patches {1, roi}");
    spec.output("conditions", payload_type::patch, "Empty condition maps {0, roi}");
    spec.concurrency(Concurrency::unlimited());
  }
  explicit ConditionNoneStage(const StageContext&) {}

  void process(const Inputs& in, Emitter& out) override {
    const auto& patch = in.payload<Patch>("patches");
    auto none = std::make_shared<Patch>();
    none->start = patch.start;
    none->roi = patch.roi;
    none->source = patch.source;
    none->data = Tensor::zeros({0, patch.roi[0], patch.roi[1], patch.roi[2]}, DType::float32);
    out.emit("conditions", none);
  }
};

SCREENER_PLUGIN(ConditionNoneStage, "condition_none", "1.0.0",
                "No condition (zero channels): the density model scores the marginal q(y)")
