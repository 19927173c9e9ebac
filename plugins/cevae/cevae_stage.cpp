// ceVAE voxel scores per patch (the thesis §3.1.3 / §3.2.3): the
// reconstruction error, the smoothed KL gradient, or their product, emitted
// at full patch resolution on the `nll` port so that the aggregator, writers
// and evaluator take it as they take the density's score.
#include "cevae_model.h"
#include "torch_bridge.h"

using namespace screener;
using namespace screener::torch_support;

class CeVaeStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("patches", payload_type::patch, "Preprocessed CT patches {1, roi}, intensities in [0, 1] (the patcher's)");
    spec.output("nll", payload_type::patch, "Anomaly score per voxel {1, roi}, on the host (the port name the aggregator takes)");
    spec.text("checkpoint", "", "state_dict of the ceVAE (screener train cevae: cevae.pt); required");
    spec.param("widths", ParamType::integer_list, Json{16, 32, 64, 128},
               "Feature maps of each stride-2 level, as trained (cevae_training.json: widths)")
        .range(1, 4096);
    spec.integer("latent", 128, "Latent channels z, as trained (cevae_training.json: latent)").range(1, 65536);
    spec.choice("score", {"combi", "rec", "kl_grad"}, "combi",
                "rec: |x - g(mu(x))|; kl_grad: |dKL/dx| smoothed (the thesis' KL-grad); combi: their product (eq. 3.16)");
    spec.number("smoothing", 3.0, "Sigma in voxels of the Gaussian smoothing of the KL gradient (kernel 2*ceil(sigma)+1); 0: none")
        .range(0, 16);
    declare_device_params(spec, {"fp32"});
    spec.batches(8, 5.0);
    spec.concurrency(Concurrency::device());
  }

  explicit CeVaeStage(const StageContext& ctx) : device_(read_device_params(ctx)), tf32_claim_(claim_tf32_switch(device_)) {
    const std::string checkpoint = ctx.params.get<std::string>("checkpoint");
    if (checkpoint.empty()) throw Error("cevae: no checkpoint given (parameter 'checkpoint')");
    shape_.widths = ctx.params.get<std::vector<int64_t>>("widths");
    shape_.latent = ctx.params.get<int64_t>("latent");
    which_ = cevae::parse_score(ctx.params.get<std::string>("score"));
    sigma_ = ctx.params.get<double>("smoothing");
    WeightReader weights(load_state_dict(checkpoint), checkpoint);
    // The patch size the model was built for is in its enc_out kernel; the
    // patches must have it (checked as they come).
    const auto out = weights.shape_of("enc_out.weight");
    const int64_t f = int64_t(1) << std::min<std::size_t>(shape_.widths.size(), 30);
    if (out.size() == 5)
      for (std::size_t a = 0; a < 3; ++a) shape_.roi[a] = out[2 + a] * f;
    else
      shape_.roi = {f, f, f};  // no enc_out: the reader lists it as missing below
    try {
      model_ = std::make_unique<cevae::CeVae>(weights, shape_);
      weights.finish("a ceVAE with widths " + Json(shape_.widths).dump() + " and latent " + std::to_string(shape_.latent) +
                     " (set cevae.widths / cevae.latent as in the checkpoint's cevae_training.json)");
    } catch (const Error& e) {
      throw Error("cevae: " + std::string(e.what()));
    }
    model_->to(device_.device);
    ctx.log("ceVAE (widths " + Json(shape_.widths).dump() + ", latent " + std::to_string(shape_.latent) + ", patches " +
            Json(shape_.roi).dump() + ", score " + ctx.params.get<std::string>("score") + ", " +
            std::to_string(model_->flops_per_patch() / 1e9).substr(0, 5) + " GFLOP per patch and pass) on " +
            device_name(device_.device));
  }

  void process(const Inputs& in, Emitter& out) override { process_batch({&in}, {&out}); }

  void process_batch(const std::vector<const Inputs*>& batch, const std::vector<Emitter*>& out) override {
    std::vector<const Patch*> patches;
    for (const Inputs* in : batch) {
      const Patch& p = in->payload<Patch>("patches");
      if (p.data.shape().size() != 4 || p.data.shape()[0] != 1 || p.data.shape()[1] != shape_.roi[0] ||
          p.data.shape()[2] != shape_.roi[1] || p.data.shape()[3] != shape_.roi[2])
        throw Error("cevae: a patch of shape " + Json(p.data.shape()).dump() + " in " + in->study().id +
                    "; the model takes {1, " + Json(shape_.roi).dump() + "} (set patcher.roi to " + Json(shape_.roi).dump() + ")");
      patches.push_back(&p);
    }
    const auto scores = forward_items(device_, int64_t(patches.size()), [&](const std::vector<int64_t>& indices) {
      return cevae::score(*model_, stack_patches(pick(patches, indices), device_.device, at::kFloat), which_, sigma_)
          .to(at::kCPU);
    });
    for (std::size_t i = 0; i < batch.size(); ++i) out[i]->emit("nll", patch_like(*patches[i], scores[i]));
  }

 private:
  DeviceOptions device_;
  std::shared_ptr<void> tf32_claim_;
  cevae::CeVaeShape shape_;
  cevae::Score which_ = cevae::Score::combi;
  double sigma_ = 3;
  std::unique_ptr<cevae::CeVae> model_;
};

SCREENER_PLUGIN(CeVaeStage, "cevae", "1.0.0",
                "ceVAE anomaly score per voxel: reconstruction error, KL gradient, or their product (combi)")
