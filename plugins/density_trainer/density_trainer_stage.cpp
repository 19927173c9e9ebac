// Trains a density model (SPEC §5) on the pooled maps of the frozen
// descriptor and condition: the inference pipeline up to the density stage
// feeds it, so training sees exactly what inference will. Pooled maps are
// kept (float16, on the host) as the patches arrive; the optimisation runs
// after the last study (Stage::finish), `batch` patches per step with
// Gaussian noise σ added to both maps. Every step draws from its own
// generator (seed, step): a resumed run is identical to an uninterrupted one.
#include <map>
#include <mutex>

#include "density_models.h"
#include "torch_bridge.h"
#include "training.h"

using namespace screener;
using namespace screener::torch_support;
namespace fs = std::filesystem;

class DensityTrainerStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("descriptors", payload_type::patch, "Descriptor maps {D, roi}");
    spec.input("conditions", payload_type::patch, "Condition maps {Dc, roi} ({0, roi} from condition_none)");
    spec.choice("trains", {"density"}, "density", "What this stage trains");
    spec.choice("model", {"gaussian", "conditional_gaussian", "glow", "conditional_glow"}, "conditional_gaussian",
                "Density model");
    spec.integer("hidden", 64, "Hidden width: conditional Gaussian heads, coupling networks (official Glow: 512)")
        .range(1, 8192);
    spec.integer("blocks", 64, "Glow blocks").range(1, 1024);
    spec.param("pool", ParamType::integer_list, Json{3, 3, 2}, "Average-pooling kernel = stride (H, W, S)")
        .length(3)
        .range(1, 64);
    spec.number("noise", 0.1, "σ of the Gaussian noise added to the pooled maps while training").range(0, 10);
    spec.integer("batch", 4, "m: patches per step").range(1, 4096);
    spec.integer("max_patches", 20000, "Patches kept; beyond, a seeded reservoir sample of them").range(1, 1e9);
    declare_training_params(spec, {20000, 500, 1e-3, 1e-6});
    declare_device_params(spec, {"fp32"});
    spec.concurrency(Concurrency::serial());
  }

  explicit DensityTrainerStage(const StageContext& ctx) : DensityTrainerStage(ctx, read_device_params(ctx)) {}
  DensityTrainerStage(const StageContext& ctx, const DeviceOptions& device)
      : ctx_(ctx), options_(read_training_params(ctx, "density")), tf32_claim_(claim_tf32_switch(device)),
        device_(device.device) {
    const auto& p = ctx.params;
    kind_ = p.get<std::string>("model");
    shape_.hidden = p.get<int64_t>("hidden");
    shape_.blocks = p.get<int64_t>("blocks");
    pool_ = p.get<std::vector<int64_t>>("pool");
    noise_ = p.get<double>("noise");
    batch_ = p.get<int64_t>("batch");
    kept_ = PatchReservoir<Features>(p.get<int64_t>("max_patches"));
    seed_ = uint64_t(p.get<int64_t>("seed"));
  }

  void process(const Inputs& in, Emitter&) override {
    const auto pool_of = [&](const char* port) {
      return density::pool_maps(to_aten(in.payload<Patch>(port).data, device_).unsqueeze(0), pool_).to(at::kFloat);
    };
    const at::Tensor y = pool_of("descriptors"), c = pool_of("conditions");
    std::lock_guard lock(mu_);
    kept_.offer(PatchReservoir<Features>::key(in), [&] {
      return Features{y.squeeze(0).to(at::kCPU, at::kHalf), c.squeeze(0).to(at::kCPU, at::kHalf)};
    });
  }

  std::vector<fs::path> finish(const RunCompletion&) override {
    std::lock_guard lock(mu_);
    if (kept_.empty()) throw Error("no patch reached the trainer: nothing to train on");
    std::vector<const Features*> bank;
    for (const auto& [key, f] : kept_.kept()) bank.push_back(&f);
    shape_.descriptor = bank[0]->y.size(0);
    shape_.condition = bank[0]->c.size(0);
    if (kind_.find("conditional") == 0 && shape_.condition == 0)
      throw Error(kind_ + " needs conditions: connect condition_learned or condition_sincos, not condition_none");
    if (kind_.find("conditional") != 0 && shape_.condition != 0)
      ctx_.log("the conditions are ignored by an unconditional " + kind_ + " model");
    if (kind_.find("conditional") != 0) shape_.condition = 0;

    Initialisation init;
    init.seed = seed_;
    init.special = [seed = seed_](const std::string& key, at::IntArrayRef shape) -> at::Tensor {
      if (key == "mean" || key == "log_var") return at::zeros(shape);
      if (key.find("actnorm.initialized") != std::string::npos) return at::ones(shape);
      if (key.find("actnorm.loc") != std::string::npos || key.find("actnorm.log_scale") != std::string::npos ||
          key.find("actnorm.cond") != std::string::npos || key.find("coupling.net.4") != std::string::npos)
        return at::zeros(shape);  // data-initialised, or zero-initialised as in Glow
      if (key.find("invconv.weight") != std::string::npos) {
        auto g = step_generator(seed + 1, int64_t(std::hash<std::string>()(key) >> 1));
        return std::get<0>(at::linalg_qr(at::randn(shape, g)));  // a random rotation, as Glow
      }
      return {};
    };
    const std::string kind = kind_;
    const density::DensityShape shape = shape_;
    StateDict model = initial_parameters([&](WeightReader& r) { density::make_density_model(r, kind, shape); }, init);
    for (auto& [key, t] : model) t = t.detach().to(device_).requires_grad_(true);
    Trainer trainer(options_, std::move(model), {}, ctx_.log);

    if (trainer.step() == 0 && (kind_ == "glow" || kind_ == "conditional_glow")) {
      auto [y, c] = sample(bank, 0, std::max<int64_t>(batch_, 16));
      WeightReader r(trainer.model(), "(training)");
      density::make_density_model(r, kind_, shape_)->initialize_from_data(y, c);
    }
    while (trainer.wants_step(INT64_MAX)) {
      auto [y, c] = sample(bank, trainer.step(), batch_);
      WeightReader r(trainer.model(), "(training)");
      const auto model = density::make_density_model(r, kind_, shape_);
      trainer.update(model->nll(y, c).mean(), {});
    }
    return trainer.finish({{"trains", "density"},
                           {"model", kind_},
                           {"descriptor_channels", shape_.descriptor},
                           {"condition_channels", shape_.condition},
                           {"hidden", shape_.hidden},
                           {"blocks", shape_.blocks},
                           {"noise", noise_},
                           {"patches_seen", kept_.seen()},
                           {"patches_kept", kept_.size()},
                           {"device", device_name(device_)}});
  }

 private:
  struct Features {
    at::Tensor y, c;  // pooled, float16 on the host
  };

  // `count` patches drawn by step `step`'s generator, with the training noise.
  std::pair<at::Tensor, at::Tensor> sample(const std::vector<const Features*>& bank, int64_t step, int64_t count) {
    at::Generator gen = step_generator(seed_, step);
    const auto picks = at::randint(int64_t(bank.size()), {count}, gen);
    std::vector<at::Tensor> ys, cs;
    for (int64_t i = 0; i < count; ++i) {
      const auto* f = bank[std::size_t(picks[i].item<int64_t>())];
      ys.push_back(f->y), cs.push_back(f->c);
    }
    at::Tensor y = at::stack(ys).to(at::kFloat), c = at::stack(cs).to(at::kFloat);
    if (noise_ > 0) {
      y = y + noise_ * at::randn(y.sizes(), gen);
      if (c.size(1) > 0) c = c + noise_ * at::randn(c.sizes(), gen);
    }
    if (shape_.condition == 0) c = c.narrow(1, 0, 0);
    return {y.to(device_), c.to(device_)};
  }

  StageContext ctx_;
  TrainerOptions options_;
  std::shared_ptr<void> tf32_claim_;
  c10::Device device_;
  std::string kind_;
  density::DensityShape shape_;
  std::vector<int64_t> pool_;
  double noise_ = 0.1;
  int64_t batch_ = 4;
  uint64_t seed_ = 0;

  std::mutex mu_;
  PatchReservoir<Features> kept_;
};

SCREENER_PLUGIN(DensityTrainerStage, "density_trainer", "1.0.0",
                "Trains a density model (Gaussian, conditional Gaussian, Glow, conditional Glow) on pooled maps")
