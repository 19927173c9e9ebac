// The masking-invariant condition (SPEC §4): the descriptor's UNet trained
// with random block masking, the mask given as an extra input channel. At
// inference nothing is masked, so the mask channel is all ones.
#include "network.h"

using namespace screener;
using namespace screener::torch_support;

class ConditionLearnedStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("patches", payload_type::patch, "Image patches {1, roi}, roi sides multiples of 32");
    spec.output("conditions", payload_type::patch, "Condition maps {d_cond, roi}, on the model's device");
    declare_network_params(spec, "d_cond", 32);
    spec.flag("mask_channel", true, "The network takes [image, mask] (2 channels); false: the image only");
    spec.batches(4, 5.0);
    spec.concurrency(Concurrency::device());
  }

  explicit ConditionLearnedStage(const StageContext& ctx)
      : mask_channel_(ctx.params.get<bool>("mask_channel")),
        options_(read_network_params(ctx, "d_cond", mask_channel_ ? 2 : 1)) {
    try {
      network_ = load_network(options_);
    } catch (const Error& e) {
      throw Error("condition_learned: " + std::string(e.what()));
    }
    ctx.log(network_->describe() + " on " + device_name(options_.device.device));
  }

  void process(const Inputs& in, Emitter& out) override { process_batch({&in}, {&out}); }

  void process_batch(const std::vector<const Inputs*>& batch, const std::vector<Emitter*>& out) override {
    std::vector<const Patch*> patches;
    for (const Inputs* in : batch) patches.push_back(&in->payload<Patch>("patches"));
    const auto c = forward_items(options_.device, int64_t(patches.size()), [&](const std::vector<int64_t>& indices) {
      at::Tensor x = stack_patches(pick(patches, indices), options_.device.device, options_.device.dtype);
      if (mask_channel_) x = at::cat({x, at::ones_like(x)}, 1);
      return (*network_)(x);
    });
    for (std::size_t i = 0; i < batch.size(); ++i) out[i]->emit("conditions", patch_like(*patches[i], c[i]));
  }

 private:
  bool mask_channel_;
  NetworkOptions options_;
  std::unique_ptr<Network> network_;
};

SCREENER_PLUGIN(ConditionLearnedStage, "condition_learned", "1.0.0",
                "Masking-invariant context maps from a UNet with a mask channel (state_dict or TorchScript)")
