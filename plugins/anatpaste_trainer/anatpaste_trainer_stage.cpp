// Trains the AnatPaste voxel classifier (plugins/anatpaste): a UNet scoring
// each voxel "pasted or not" on crops of normal studies and their copies with
// pasted anomalies, fed by the same preprocessing as inference. Each study is
// kept in memory with its body mask; `steps_per_study` steps are taken as the
// studies arrive, the rest after the last one. Every step draws from its own
// generator (seed, step) out of the studies arrived in order so far: a
// resumed run is identical to an uninterrupted one.
#include <map>
#include <mutex>

#include "classifier_training.h"
#include "regrid.h"
#include "torch_bridge.h"
#include "training.h"
#include "unet.h"

using namespace screener;
using namespace screener::torch_support;
using namespace screener::anatpaste;

namespace {
std::array<double, 2> range_of(const Params& p, const std::string& key) {
  const auto v = p.get<std::vector<double>>(key);
  return {v[0], v[1]};
}
}  // namespace

class AnatPasteTrainerStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("image", payload_type::volume, "Preprocessed CT, intensities in [0, 1] (the CLAHE output)");
    spec.input("body_mask", payload_type::volume,
               "Body mask (uint8, 1 inside; foreground_crop's body_mask), any grid of the same patient space: "
               "anomalies are pasted only inside it");
    spec.choice("trains", {"anatpaste"}, "anatpaste", "The model trained: the AnatPaste voxel classifier");
    spec.choice("size", {"micro", "tiny", "small", "base"}, "micro", "UNet size (micro: ours, not official)");
    spec.param("roi", ParamType::integer_list, Json{32, 32, 32}, "Side of the training crops (H, W, S), multiples of 32")
        .length(3)
        .range(32, 1024);
    spec.integer("crops", 4, "Crops per step; each also enters pasted, so the batch is twice this").range(1, 1024);
    spec.integer("patches", 1, "Anomalies pasted into each crop").range(1, 50);
    spec.param("side_mm", ParamType::number_list, Json{7, 19},
               "Side of a pasted box in mm, drawn uniformly (the cube root of its volume)")
        .length(2)
        .range(0.1, 1000);
    spec.number("aspect", 0.3, "The boxes' side ratios lie in [aspect, 1/aspect] (the paper's aspect_ratio)").range(0.01, 1);
    spec.param("opacity", ParamType::number_list, Json{150.0 / 255.0, 1.0}, "Peak opacity of a paste, uniform")
        .length(2)
        .range(0, 1);
    spec.param("blur", ParamType::number_list, Json{0.0, 0.15},
               "Gaussian blur of the shape's edge, sigma as a fraction of the box side, uniform")
        .length(2)
        .range(0, 1);
    spec.number("jitter", 0.1, "Brightness and contrast jitter of the pasted patch (factors in 1 ± jitter)").range(0, 0.99);
    spec.integer("steps_per_study", 1, "Steps taken as each study arrives, overlapping the next studies' preprocessing")
        .range(0, 1e9);
    declare_training_params(spec, {20000, 500, 1e-3, 1e-4});
    declare_device_params(spec, {"fp32"});
    spec.concurrency(Concurrency::serial());
  }

  explicit AnatPasteTrainerStage(const StageContext& ctx) : AnatPasteTrainerStage(ctx, read_device_params(ctx)) {}
  AnatPasteTrainerStage(const StageContext& ctx, const DeviceOptions& device)
      : tf32_claim_(claim_tf32_switch(device)), device_(device.device) {
    const auto& p = ctx.params;
    size_ = p.get<std::string>("size");
    const auto roi = p.get<std::vector<int64_t>>("roi");
    for (std::size_t a = 0; a < 3; ++a) {
      batch_.roi[a] = roi[a];
      if (roi[a] % kUNetSideMultiple) throw Error("anatpaste_trainer: roi sides must be multiples of 32");
    }
    batch_.crops = p.get<int64_t>("crops");
    batch_.paste.patches = int(p.get<int64_t>("patches"));
    batch_.paste.side_mm = range_of(p, "side_mm");
    batch_.paste.aspect = p.get<double>("aspect");
    batch_.paste.opacity = range_of(p, "opacity");
    batch_.paste.blur = range_of(p, "blur");
    batch_.paste.jitter = p.get<double>("jitter");
    batch_.paste.intensity_range = {0, 1};
    for (const auto* key : {"side_mm", "opacity", "blur"}) {
      const auto r = range_of(p, key);
      if (r[0] > r[1]) throw Error(std::string("anatpaste_trainer: ") + key + " must be [low, high] with low <= high");
    }
    steps_per_study_ = p.get<int64_t>("steps_per_study");
    seed_ = uint64_t(p.get<int64_t>("seed"));

    Initialisation init;
    init.seed = seed_;
    StateDict model = initial_parameters([&](WeightReader& r) { UNet(size_, 1, 1, r); }, init);
    for (auto& [key, t] : model) t = t.detach().to(device_).requires_grad_(true);
    TrainerOptions options = read_training_params(ctx, "anatpaste");
    options.loss_terms = {"pasted_fraction"};
    ctx.log("anatpaste: " + size_ + " UNet, " + std::to_string(batch_.crops) + " crops (and their pasted copies) of " +
            Json(roi).dump() + " per step, on " + device_name(device_));
    trainer_ = std::make_unique<Trainer>(std::move(options), std::move(model), StateDict{}, ctx.log);
  }

  void process(const Inputs& in, Emitter&) override {
    const auto& volume = in.payload<Volume>("image");
    const auto& mask = in.payload<Volume>("body_mask");
    if (mask.voxels.ndim() != 3 || mask.voxels.dtype() != DType::uint8)
      throw Error("anatpaste_trainer: the body mask of " + in.study().id + " must be a one-channel uint8 volume");
    at::Tensor voxels = to_aten(volume.voxels, at::kCPU).to(at::kFloat);
    if (voxels.dim() == 4) voxels = voxels.select(0, 0);
    StudyForTraining study;
    study.image = voxels.contiguous().clone();
    study.spacing = volume.geometry.spacing;
    const int64_t n = mask.voxels.numel();
    const std::vector<float> mask_values(mask.voxels.data<uint8_t>(), mask.voxels.data<uint8_t>() + n);
    const auto inside = aggregator::regrid_linear(mask_values.data(), mask.geometry, volume.geometry, 0.0f);
    study.body.resize(inside.size());
    for (std::size_t i = 0; i < inside.size(); ++i) study.body[i] = inside[i] >= 0.5f;
    if (int64_t(study.body.size()) != study.image.numel())
      throw Error("anatpaste_trainer: the image of " + in.study().id + " is not one channel on its own grid");
    std::lock_guard lock(mu_);
    studies_[in.study().serial] = std::move(study);
    while (studies_.count(next_serial_)) ++next_serial_;  // arrived in order so far
    train_until(int64_t(next_serial_) * steps_per_study_);
  }

  std::vector<std::filesystem::path> finish(const RunCompletion&) override {
    std::lock_guard lock(mu_);
    if (studies_.empty()) throw Error("no study reached the trainer: nothing to train on");
    train_until(INT64_MAX);
    return trainer_->finish({{"trains", "anatpaste"},
                             {"size", size_},
                             {"in_channels", 1},
                             {"out_channels", 1},
                             {"roi", batch_.roi},
                             {"crops_per_step", batch_.crops},
                             {"patches_per_crop", batch_.paste.patches},
                             {"side_mm", batch_.paste.side_mm},
                             {"studies", studies_.size()},
                             {"device", device_name(device_)}});
  }

 private:
  // As ssl_trainer: while the studies arrive, step k draws from the first
  // k / steps_per_study + 1 of them in serial order; afterwards from all.
  std::vector<const StudyForTraining*> pool(int64_t step) const {
    const bool arriving = step < int64_t(next_serial_) * steps_per_study_;
    const uint64_t limit = arriving ? uint64_t(step / steps_per_study_ + 1) : UINT64_MAX;
    std::vector<const StudyForTraining*> out;
    for (const auto& [serial, s] : studies_)
      if (serial < limit) out.push_back(&s);
    return out;
  }

  void train_until(int64_t until) {
    while (trainer_->wants_step(until)) step(pool(trainer_->step()));
  }

  void step(const std::vector<const StudyForTraining*>& pool) {
    at::Generator gen = step_generator(seed_, trainer_->step());
    const TrainingBatch batch = draw_batch(pool, batch_, gen);
    WeightReader reader(trainer_->model(), "(training)");
    const UNet net(size_, 1, 1, reader);
    const at::Tensor targets = batch.targets.to(device_);
    const at::Tensor loss = classifier_loss(net.forward(batch.inputs.to(device_)), targets);
    trainer_->update(loss, {targets.mean().item<double>()});
  }

  std::shared_ptr<void> tf32_claim_;
  c10::Device device_;
  std::string size_;
  BatchOptions batch_;
  int64_t steps_per_study_ = 1;
  uint64_t seed_ = 0;
  std::unique_ptr<Trainer> trainer_;

  std::mutex mu_;
  std::map<uint64_t, StudyForTraining> studies_;
  uint64_t next_serial_ = 0;
};

SCREENER_PLUGIN(AnatPasteTrainerStage, "anatpaste_trainer", "1.0.0",
                "Trains the AnatPaste voxel classifier: a UNet scoring voxels pasted-or-not on normal studies with "
                "synthetic AnatPaste-style anomalies")
