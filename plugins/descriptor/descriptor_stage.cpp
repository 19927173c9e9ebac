// Every voxel of a patch to a d_desc-dimensional descriptor (SPEC §3): the
// official UNet from the authors' state_dict, or a TorchScript module. The
// descriptors stay on the model's device for the condition and density stages.
#include "network.h"

using namespace screener;
using namespace screener::torch_support;

class DescriptorStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("patches", payload_type::patch, "Image patches {1, roi}, roi sides multiples of 32");
    spec.output("descriptors", payload_type::patch, "Descriptor maps {d_desc, roi}, on the model's device");
    declare_network_params(spec, "d_desc", 32);
    spec.batches(4, 5.0);
    spec.concurrency(Concurrency::device());
  }

  explicit DescriptorStage(const StageContext& ctx) : options_(read_network_params(ctx, "d_desc", 1)) {
    options_.module_prefix = "descriptor_model.";  // the authors' Lightning checkpoints (docs/model_checkpoints.md)
    try {
      network_ = load_network(options_);
    } catch (const Error& e) {
      throw Error("descriptor: " + std::string(e.what()));
    }
    ctx.log(network_->describe() + " on " + device_name(options_.device.device));
  }

  void process(const Inputs& in, Emitter& out) override { process_batch({&in}, {&out}); }

  void process_batch(const std::vector<const Inputs*>& batch, const std::vector<Emitter*>& out) override {
    std::vector<const Patch*> patches;
    for (const Inputs* in : batch) patches.push_back(&in->payload<Patch>("patches"));
    const auto y = forward_items(options_.device, int64_t(patches.size()), [&](const std::vector<int64_t>& indices) {
      return (*network_)(stack_patches(pick(patches, indices), options_.device.device, options_.device.dtype));
    });
    for (std::size_t i = 0; i < batch.size(); ++i) out[i]->emit("descriptors", patch_like(*patches[i], y[i]));
  }

 private:
  NetworkOptions options_;
  std::unique_ptr<Network> network_;
};

SCREENER_PLUGIN(DescriptorStage, "descriptor", "1.0.0",
                "Voxel descriptors from the official Screener UNet (state_dict) or a TorchScript module")
