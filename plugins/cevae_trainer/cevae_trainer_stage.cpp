// Trains a ceVAE (plugins/cevae) on the patches of the inference pipeline's
// patcher, so that training sees exactly what scoring will. Patches are kept
// (float16, on the host) as they arrive, a seeded reservoir sample beyond
// max_patches; the optimisation runs after the last study (Stage::finish),
// `batch` patches per step, with context-encoding boxes for the CE branch.
// Every step draws from its own generator (seed, step): a resumed run is
// identical to an uninterrupted one.
#include <map>
#include <mutex>

#include "cevae_model.h"
#include "torch_bridge.h"
#include "training.h"

using namespace screener;
using namespace screener::torch_support;
namespace fs = std::filesystem;

class CeVaeTrainerStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("patches", payload_type::patch, "Preprocessed CT patches {1, roi}, intensities in [0, 1] (the patcher's)");
    spec.choice("trains", {"cevae"}, "cevae", "What this stage trains");
    spec.param("widths", ParamType::integer_list, Json{16, 32, 64, 128}, "Feature maps of each stride-2 level")
        .range(1, 4096);
    spec.integer("latent", 128, "Latent channels z (a 1x1x1 latent)").range(1, 65536);
    spec.number("beta", 0.01, "Weight of the KL term in the VAE loss (the MOOD code's beta)").range(0, 1e6);
    spec.number("ce_factor", 0.5, "Weight of the context-encoding loss; the VAE loss gets 1 - ce_factor").range(0, 1);
    spec.param("boxes", ParamType::integer_list, Json{1, 3}, "Context-encoding boxes per patch: min, max").length(2).range(0, 64);
    spec.number("box_side", 0.5, "Largest box side, as a fraction of the largest patch side").range(0.01, 1);
    spec.integer("batch", 8, "Patches per step").range(1, 4096);
    spec.integer("max_patches", 20000, "Patches kept; beyond, a seeded reservoir sample of them").range(1, 1e9);
    declare_training_params(spec, {4000, 100, 1e-4, 0});
    declare_device_params(spec, {"fp32"});
    spec.concurrency(Concurrency::serial());
  }

  explicit CeVaeTrainerStage(const StageContext& ctx) : CeVaeTrainerStage(ctx, read_device_params(ctx)) {}
  CeVaeTrainerStage(const StageContext& ctx, const DeviceOptions& device)
      : ctx_(ctx), options_(read_training_params(ctx, "cevae")), tf32_claim_(claim_tf32_switch(device)),
        device_(device.device) {
    const auto& p = ctx.params;
    shape_.widths = p.get<std::vector<int64_t>>("widths");
    shape_.latent = p.get<int64_t>("latent");
    beta_ = p.get<double>("beta");
    ce_factor_ = p.get<double>("ce_factor");
    const auto boxes = p.get<std::vector<int64_t>>("boxes");
    if (boxes[0] > boxes[1]) throw Error("boxes: the minimum " + std::to_string(boxes[0]) + " exceeds the maximum " + std::to_string(boxes[1]));
    noise_.min_boxes = boxes[0], noise_.max_boxes = boxes[1];
    noise_.max_side = p.get<double>("box_side");
    batch_ = p.get<int64_t>("batch");
    kept_ = PatchReservoir<at::Tensor>(p.get<int64_t>("max_patches"));
    seed_ = uint64_t(p.get<int64_t>("seed"));
    options_.loss_terms = {"kl", "rec_vae", "rec_ce"};
  }

  void process(const Inputs& in, Emitter&) override {
    const Patch& patch = in.payload<Patch>("patches");
    const auto& s = patch.data.shape();
    if (s.size() != 4 || s[0] != 1) throw Error("cevae_trainer: patches must have one channel, got " + Json(s).dump());
    at::Tensor data = to_aten(patch.data, at::kCPU).to(at::kHalf).clone();
    std::lock_guard lock(mu_);
    if (!kept_.empty() && kept_.kept().begin()->second.sizes() != data.sizes())
      throw Error("cevae_trainer: patches of different shapes (" + Json(s).dump() + " in " + in.study().id + ")");
    kept_.offer(PatchReservoir<at::Tensor>::key(in), [&] { return std::move(data); });
  }

  std::vector<fs::path> finish(const RunCompletion&) override {
    std::lock_guard lock(mu_);
    if (kept_.empty()) throw Error("no patch reached the trainer: nothing to train on");
    std::vector<const at::Tensor*> bank;
    for (const auto& [key, t] : kept_.kept()) bank.push_back(&t);
    for (std::size_t a = 0; a < 3; ++a) shape_.roi[a] = bank[0]->size(int64_t(a) + 1);
    cevae::check_shape(shape_);

    Initialisation init;
    init.seed = seed_;
    const cevae::CeVaeShape shape = shape_;
    StateDict model = initial_parameters([&](WeightReader& r) { cevae::CeVae(r, shape); }, init);
    for (auto& [key, t] : model) t = t.detach().to(device_).requires_grad_(true);
    Trainer trainer(options_, std::move(model), {}, ctx_.log);
    ctx_.log("ceVAE: widths " + Json(shape_.widths).dump() + ", latent " + std::to_string(shape_.latent) + ", patches " +
             Json(shape_.roi).dump() + ", " + std::to_string(bank.size()) + " kept of " + std::to_string(kept_.seen()) + ", on " +
             device_name(device_));

    while (trainer.wants_step(INT64_MAX)) {
      at::Generator gen = step_generator(seed_, trainer.step());
      const auto picks = at::randint(int64_t(bank.size()), {batch_}, gen);
      std::vector<at::Tensor> xs;
      for (int64_t i = 0; i < batch_; ++i) xs.push_back(*bank[std::size_t(picks[i].item<int64_t>())]);
      const at::Tensor x = cevae::to_model_range(at::stack(xs).to(at::kFloat));
      const at::Tensor noisy = cevae::context_noise(x, noise_, gen);
      const at::Tensor eps = at::randn({batch_, shape_.latent, 1, 1, 1}, gen);
      WeightReader r(trainer.model(), "(training)");
      const cevae::CeVae net(r, shape_);
      const auto loss = cevae::training_loss(net, x.to(device_), noisy.to(device_), eps.to(device_), beta_, ce_factor_);
      trainer.update(loss.total, {loss.kl, loss.rec_vae, loss.rec_ce});
    }
    return trainer.finish({{"trains", "cevae"},
                           {"widths", shape_.widths},
                           {"latent", shape_.latent},
                           {"roi", shape_.roi},
                           {"beta", beta_},
                           {"ce_factor", ce_factor_},
                           {"boxes", {noise_.min_boxes, noise_.max_boxes}},
                           {"box_side", noise_.max_side},
                           {"batch", batch_},
                           {"patches_seen", kept_.seen()},
                           {"patches_kept", kept_.size()},
                           {"device", device_name(device_)}});
  }

 private:
  StageContext ctx_;
  TrainerOptions options_;
  std::shared_ptr<void> tf32_claim_;
  c10::Device device_;
  cevae::CeVaeShape shape_;
  cevae::BoxNoise noise_;
  double beta_ = 0.01, ce_factor_ = 0.5;
  int64_t batch_ = 8;
  uint64_t seed_ = 0;

  std::mutex mu_;
  PatchReservoir<at::Tensor> kept_;  // {1, roi}, float16 on the host
};

SCREENER_PLUGIN(CeVaeTrainerStage, "cevae_trainer", "1.0.0",
                "Trains a ceVAE (VAE + context-encoding objective) on the patcher's patches")
