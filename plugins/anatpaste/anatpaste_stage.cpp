// The AnatPaste voxel classifier (plugins/anatpaste_trainer) as a scoring
// stage: each voxel of a patch gets the logit (or probability) that it was
// pasted, in the payload the density stage gives its NLL, so the aggregator,
// writers and evaluator take it unchanged.
#include "network.h"

using namespace screener;
using namespace screener::torch_support;

class AnatPasteStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("patches", payload_type::patch, "Image patches {1, roi}, roi sides multiples of 32");
    spec.output("scores", payload_type::patch,
                "Per-voxel anomaly score {1, roi}, float32 on the host: the logit (or probability) of 'pasted'");
    spec.text("checkpoint", "",
              "state_dict of the classifier (what `screener train anatpaste` writes: the official UNet layout with one "
              "output channel) or a TorchScript module; required");
    spec.choice("format", {"auto", "state_dict", "torchscript"}, "auto", "Checkpoint kind; auto looks inside the file");
    spec.choice("size", {"micro", "tiny", "small", "base"}, "micro",
                "UNet size of a state_dict checkpoint (what it was trained with)");
    spec.choice("output", {"logit", "probability"}, "logit",
                "The logit (no saturation: the ranking survives far from the boundary) or its sigmoid in [0, 1] "
                "(what MOOD submissions report; the same ranking up to float32 saturation)");
    declare_device_params(spec);
    spec.batches(4, 5.0);
    spec.concurrency(Concurrency::device());
  }

  explicit AnatPasteStage(const StageContext& ctx) {
    options_.checkpoint = ctx.params.get<std::string>("checkpoint");
    options_.format = ctx.params.get<std::string>("format");
    options_.size = ctx.params.get<std::string>("size");
    options_.in_channels = 1;
    options_.out_channels = 1;
    options_.device = read_device_params(ctx);
    probability_ = ctx.params.get<std::string>("output") == "probability";
    try {
      network_ = load_network(options_);
    } catch (const Error& e) {
      throw Error("anatpaste: " + std::string(e.what()));
    }
    ctx.log(network_->describe() + " on " + device_name(options_.device.device));
  }

  void process(const Inputs& in, Emitter& out) override { process_batch({&in}, {&out}); }

  void process_batch(const std::vector<const Inputs*>& batch, const std::vector<Emitter*>& out) override {
    std::vector<const Patch*> patches;
    for (const Inputs* in : batch) patches.push_back(&in->payload<Patch>("patches"));
    const auto y = forward_items(options_.device, int64_t(patches.size()), [&](const std::vector<int64_t>& indices) {
      at::Tensor logits = (*network_)(stack_patches(pick(patches, indices), options_.device.device, options_.device.dtype));
      return (probability_ ? logits.sigmoid() : logits).to(at::kCPU).to(at::kFloat);
    });
    for (std::size_t i = 0; i < batch.size(); ++i) out[i]->emit("scores", patch_like(*patches[i], y[i]));
  }

 private:
  NetworkOptions options_;
  bool probability_ = false;
  std::unique_ptr<Network> network_;
};

SCREENER_PLUGIN(AnatPasteStage, "anatpaste", "1.0.0",
                "Anomaly score per voxel from the AnatPaste voxel classifier (a UNet trained on synthetic pasted "
                "anomalies)")
