// -log q(y | c) per voxel (SPEC §5): descriptor and condition maps are
// average-pooled (3×3×2 by default), then scored by a Gaussian, a conditional
// Gaussian, Glow or a conditional Glow. The small NLL map goes back to the
// host for the aggregator.
#include "density_models.h"
#include "torch_bridge.h"

#include <c10/core/InferenceMode.h>

using namespace screener;
using namespace screener::torch_support;

class DensityStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("descriptors", payload_type::patch, "Descriptor maps {D, roi}");
    spec.input("conditions", payload_type::patch, "Condition maps {Dc, roi} ({0, roi} from condition_none)");
    spec.output("nll", payload_type::patch, "Negative log-likelihood in nats {1, roi / pool}, on the host");
    spec.text("checkpoint", "", "state_dict of the density model (torch.save) or a Lightning .ckpt of the authors' Glow; required");
    spec.choice("model", {"auto", "gaussian", "conditional_gaussian", "glow", "conditional_glow"}, "auto",
                "Density model; auto tells them apart by the checkpoint's keys");
    spec.param("pool", ParamType::integer_list, Json{3, 3, 2}, "Average-pooling kernel = stride (H, W, S)")
        .length(3)
        .range(1, 64);
    declare_device_params(spec, {"fp32", "tf32"});  // the flows lose too much in half precision
    spec.batches(4, 5.0);
    spec.concurrency(Concurrency::device());
  }

  explicit DensityStage(const StageContext& ctx)
      : device_(read_device_params(ctx)), tf32_claim_(claim_tf32_switch(device_)) {
    const auto pool = ctx.params.get<std::vector<int64_t>>("pool");
    pool_ = pool;
    const std::string checkpoint = ctx.params.get<std::string>("checkpoint");
    if (checkpoint.empty()) throw Error("density: no checkpoint given (parameter 'checkpoint')");
    density::DensityCheckpoint loaded;
    try {
      loaded = density::load_density_checkpoint(checkpoint, ctx.params.get<std::string>("model"));
    } catch (const Error& e) {
      throw Error("density: " + std::string(e.what()));
    }
    // The pooling the flow was trained with, when its checkpoint says: a
    // different `pool` would score maps it never saw.
    if (loaded.pool && *loaded.pool != pool_)
      throw Error("density: " + checkpoint + " was trained on maps pooled " + Json(*loaded.pool).dump() +
                  " (its hyper_parameters avg_pool*), but pool is " + Json(pool_).dump() + ": set pool to " +
                  Json(*loaded.pool).dump());
    model_ = std::move(loaded.model);
    model_->to(device_.device);
    ctx.log(model_->name() + (loaded.layout == "authors" ? " (the authors' glow_blocks layout)" : "") + " (D = " + std::to_string(model_->descriptor_channels()) +
            ", Dc = " + std::to_string(model_->condition_channels()) + ") on " + device_name(device_.device));
  }

  void process(const Inputs& in, Emitter& out) override { process_batch({&in}, {&out}); }

  void process_batch(const std::vector<const Inputs*>& batch, const std::vector<Emitter*>& out) override {
    c10::InferenceMode inference;
    std::vector<const Patch*> descriptors, conditions;
    for (const Inputs* in : batch) {
      descriptors.push_back(&in->payload<Patch>("descriptors"));
      conditions.push_back(&in->payload<Patch>("conditions"));
    }
    const auto nll = forward_items(device_, int64_t(batch.size()), [&](const std::vector<int64_t>& indices) {
      const auto items = [&](const std::vector<const Patch*>& all) { return pick(all, indices); };
      // Pooled first, in the descriptors' precision, then widened: no full-size float copy.
      const auto y = density::pool_maps(stack_patches(items(descriptors), device_.device), pool_).to(at::kFloat);
      const auto c = density::pool_maps(stack_patches(items(conditions), device_.device), pool_).to(at::kFloat);
      check_channels(y.size(1), c.size(1));
      return model_->nll(y, c).to(at::kCPU);
    });
    for (std::size_t i = 0; i < batch.size(); ++i) out[i]->emit("nll", patch_like(*descriptors[i], nll[i]));
  }

 private:

  void check_channels(int64_t D, int64_t Dc) const {
    if (D != model_->descriptor_channels())
      throw Error("density: the descriptors have " + std::to_string(D) + " channels, the " + model_->name() +
                  " model expects " + std::to_string(model_->descriptor_channels()));
    if (Dc != model_->condition_channels())
      throw Error("density: the conditions have " + std::to_string(Dc) + " channels, the " + model_->name() +
                  " model expects " + std::to_string(model_->condition_channels()) +
                  (model_->condition_channels() == 0 ? " (an unconditional model: connect condition_none)" : ""));
  }

  DeviceOptions device_;
  std::shared_ptr<void> tf32_claim_;
  std::vector<int64_t> pool_;
  std::unique_ptr<density::DensityModel> model_;
};

SCREENER_PLUGIN(DensityStage, "density", "1.0.0",
                "Anomaly score -log q(y | c) per pooled voxel: Gaussian, conditional Gaussian, Glow, conditional Glow")
