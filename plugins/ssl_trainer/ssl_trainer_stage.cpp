// Dense self-supervised training of the descriptor or the condition UNet
// (SPEC §3-4), fed by the same preprocessing stages as inference. Each
// preprocessed study is kept (in memory, or memory-mapped from a cache
// folder); `steps_per_study` steps are taken as the studies arrive, while
// the next ones are being preprocessed, the rest after the last one
// (Stage::finish). Every step draws its crops from its own generator
// (seed, step) out of the studies arrived in order so far: a resumed run is
// identical to an uninterrupted one.
#include <map>
#include <mutex>

#include "screener/files.h"
#include "ssl_losses.h"
#include "torch_bridge.h"
#include "training.h"
#include "unet.h"
#include "views.h"

using namespace screener;
using namespace screener::torch_support;
namespace fs = std::filesystem;

namespace {

// VICReg's expander: GroupNorm layers "1." and "4." start as identity.
at::Tensor expander_norms(const std::string& key, at::IntArrayRef shape) {
  if (key[0] == '1' || key[0] == '4') return key.find("weight") != std::string::npos ? at::ones(shape) : at::zeros(shape);
  return {};
}

}  // namespace

class SslTrainerStage final : public Stage {
 public:
  static void setup(StageSpec& spec) {
    spec.input("image", payload_type::volume, "Preprocessed CT, intensities in [0, 1] (the CLAHE output)");
    spec.choice("trains", {"descriptor", "condition"}, "descriptor",
                "The model trained: the descriptor, or the condition (block masking, an extra mask channel)");
    spec.choice("size", {"micro", "tiny", "small", "base"}, "base", "UNet size (micro: ours, not official)");
    spec.integer("channels", 32, "Output channels (d_desc or d_cond)").range(1, 1024);
    spec.param("roi", ParamType::integer_list, Json{96, 96, 64}, "Side of the views the crops are resized to (H, W, S)")
        .length(3)
        .range(32, 1024);
    spec.param("crop_scale", ParamType::number_list, Json{0.8, 1.25}, "Crop side / roi side, drawn in this range")
        .length(2)
        .range(0.1, 8);
    spec.integer("crop_pairs", 8, "m: pairs of overlapping crops per step").range(1, 1024);
    spec.integer("positives", 8192, "N: positive voxel pairs per step, over all crop pairs").range(2, 1 << 22);
    spec.choice("loss", {"vicreg", "infonce"}, "vicreg", "VICReg with an expander, or InfoNCE");
    spec.integer("expander_width", 8192, "VICReg's expander width").range(8, 1 << 16);
    spec.param("vicreg_weights", ParamType::number_list, Json{25, 25, 1}, "Invariance, variance, covariance weights")
        .length(3)
        .range(0, 1e6);
    spec.number("temperature", 0.1, "InfoNCE temperature").range(1e-4, 100);
    spec.number("mask_ratio", 0.6, "Condition only: fraction of masked blocks").range(0, 0.95);
    spec.param("mask_block", ParamType::integer_list, Json{16, 16, 8}, "Condition only: masked block size (voxels)")
        .length(3)
        .range(1, 1024);
    spec.integer("steps_per_study", 1, "Steps taken as each study arrives, overlapping the next studies' preprocessing")
        .range(0, 1e9);
    spec.text("cache", "", "Folder for the preprocessed studies (memory-mapped float16); empty: kept in memory");
    declare_training_params(spec, {300000, 10000, 3e-4, 1e-6});
    declare_device_params(spec, {"fp32"});
    spec.concurrency(Concurrency::serial());
  }

  explicit SslTrainerStage(const StageContext& ctx) : SslTrainerStage(ctx, read_device_params(ctx)) {}
  SslTrainerStage(const StageContext& ctx, const DeviceOptions& device)
      : tf32_claim_(claim_tf32_switch(device)), device_(device.device) {
    const auto& p = ctx.params;
    what_ = p.get<std::string>("trains");
    size_ = p.get<std::string>("size");
    out_channels_ = p.get<int64_t>("channels");
    in_channels_ = what_ == "condition" ? 2 : 1;
    const auto roi = p.get<std::vector<int64_t>>("roi");
    for (std::size_t a = 0; a < 3; ++a) {
      views_.roi[a] = roi[a];
      if (roi[a] % kUNetSideMultiple) throw Error("roi sides must be multiples of 32");
    }
    const auto scale = p.get<std::vector<double>>("crop_scale");
    views_.scale_min = scale[0], views_.scale_max = scale[1];
    crop_pairs_ = p.get<int64_t>("crop_pairs");
    views_.positives = std::max<int64_t>(1, p.get<int64_t>("positives") / crop_pairs_);
    if (what_ == "condition") {
      views_.mask_ratio = p.get<double>("mask_ratio");
      const auto block = p.get<std::vector<int64_t>>("mask_block");
      for (std::size_t a = 0; a < 3; ++a) views_.mask_block[a] = block[a];
    }
    loss_ = p.get<std::string>("loss");
    const auto w = p.get<std::vector<double>>("vicreg_weights");
    weights_ = {w[0], w[1], w[2]};
    temperature_ = p.get<double>("temperature");
    steps_per_study_ = p.get<int64_t>("steps_per_study");
    seed_ = uint64_t(p.get<int64_t>("seed"));
    cache_ = p.get<std::string>("cache");
    if (!cache_.empty()) fs::create_directories(cache_);

    Initialisation init;
    init.seed = seed_;
    StateDict model = initial_parameters([&](WeightReader& r) { UNet(size_, in_channels_, out_channels_, r); }, init);
    StateDict expander;
    if (loss_ == "vicreg") {
      expander_width_ = p.get<int64_t>("expander_width");
      init.seed = seed_ + 1;
      init.special = expander_norms;
      expander = initial_parameters([&](WeightReader& r) { ssl::Expander(r, out_channels_, expander_width_); }, init);
    }
    for (auto* params : {&model, &expander})
      for (auto& [key, t] : *params) t = t.detach().to(device_).requires_grad_(true);
    TrainerOptions options = read_training_params(ctx, what_);
    options.loss_terms = loss_ == "vicreg" ? std::vector<std::string>{"invariance", "variance", "covariance"}
                                           : std::vector<std::string>{"infonce", "top1"};
    ctx.log(what_ + ": " + size_ + " UNet, " + loss_ + ", " + std::to_string(crop_pairs_) + " crop pairs and " +
            std::to_string(views_.positives * crop_pairs_) + " positives per step, on " + device_name(device_));
    trainer_ = std::make_unique<Trainer>(std::move(options), std::move(model), std::move(expander), ctx.log);
  }

  void process(const Inputs& in, Emitter&) override {
    const auto& volume = in.payload<Volume>("image");
    at::Tensor voxels = to_aten(volume.voxels, at::kCPU).to(at::kFloat);
    if (voxels.dim() == 4) voxels = voxels.select(0, 0);
    std::lock_guard lock(mu_);
    studies_[in.study().serial] = keep(in.study().id, voxels);
    while (studies_.count(next_serial_)) ++next_serial_;  // arrived in order so far
    train_until(int64_t(next_serial_) * steps_per_study_);
  }

  std::vector<fs::path> finish(const RunCompletion&) override {
    std::lock_guard lock(mu_);
    if (studies_.empty()) throw Error("no study reached the trainer: nothing to train on");
    train_until(INT64_MAX);
    return trainer_->finish({{"trains", what_},
                             {"size", size_},
                             {"channels", out_channels_},
                             {"in_channels", in_channels_},
                             {"loss", loss_},
                             {"crop_pairs", crop_pairs_},
                             {"positives_per_step", views_.positives * crop_pairs_},
                             {"studies", studies_.size()},
                             {"device", device_name(device_)}});
  }

 private:
  at::Tensor keep(const std::string& id, const at::Tensor& voxels) {
    if (cache_.empty()) return voxels.clone();
    const fs::path path = fs::path(cache_) / (sanitize_filename(id) + ".f16");
    const at::Tensor half = voxels.to(at::kHalf).contiguous();
    write_file_atomic(path, std::string_view(static_cast<const char*>(half.data_ptr()), half.nbytes()));
    return at::from_file(path.string(), /*shared=*/false, half.numel(), at::kHalf).view(half.sizes());
  }

  // What step `step` draws from, in serial order: while the studies arrive,
  // the first step / steps_per_study + 1 of them (whatever else has arrived
  // by then: arrival order must not matter), afterwards all of them.
  std::vector<at::Tensor> pool(int64_t step) const {
    const bool arriving = step < int64_t(next_serial_) * steps_per_study_;
    const uint64_t limit = arriving ? uint64_t(step / steps_per_study_ + 1) : UINT64_MAX;
    std::vector<at::Tensor> out;
    for (const auto& [serial, v] : studies_)
      if (serial < limit) out.push_back(v);
    return out;
  }

  void train_until(int64_t until) {
    while (trainer_->wants_step(until)) step(pool(trainer_->step()));
  }

  void step(const std::vector<at::Tensor>& pool) {
    at::Generator gen = step_generator(seed_, trainer_->step());
    std::vector<at::Tensor> views, second, first_index, second_index;
    for (int64_t k = 0; k < crop_pairs_; ++k) {
      const int64_t pick = at::randint(int64_t(pool.size()), {1}, gen).item<int64_t>();
      auto pair = ssl::sample_view_pair(pool[std::size_t(pick)], views_, gen);
      views.push_back(pair.first), second.push_back(pair.second);
      first_index.push_back(pair.first_index.to(device_)), second_index.push_back(pair.second_index.to(device_));
    }
    views.insert(views.end(), second.begin(), second.end());
    WeightReader reader(trainer_->model(), "(training)");
    const UNet net(size_, in_channels_, out_channels_, reader);
    const at::Tensor y = net.forward(at::stack(views).to(device_));
    std::vector<at::Tensor> z1, z2;
    for (int64_t k = 0; k < crop_pairs_; ++k) {
      z1.push_back(y[k].reshape({out_channels_, -1}).index_select(1, first_index[std::size_t(k)]).t());
      z2.push_back(y[crop_pairs_ + k].reshape({out_channels_, -1}).index_select(1, second_index[std::size_t(k)]).t());
    }
    ssl::Loss loss;
    if (loss_ == "vicreg") {
      WeightReader er(trainer_->extra(), "(training)");
      const ssl::Expander expander(er, out_channels_, expander_width_);
      loss = ssl::vicreg(expander(at::cat(z1)), expander(at::cat(z2)), weights_);
    } else {
      loss = ssl::infonce(at::cat(z1), at::cat(z2), temperature_);
    }
    std::vector<double> terms;
    for (const auto& [name, v] : loss.terms) terms.push_back(v);
    trainer_->update(loss.total, terms);
  }

  std::shared_ptr<void> tf32_claim_;
  c10::Device device_;
  std::string what_, size_, loss_, cache_;
  int64_t in_channels_ = 1, out_channels_ = 32, crop_pairs_ = 8, expander_width_ = 0, steps_per_study_ = 1;
  ssl::ViewOptions views_;
  ssl::VICRegWeights weights_;
  double temperature_ = 0.1;
  uint64_t seed_ = 0;
  std::unique_ptr<Trainer> trainer_;

  std::mutex mu_;
  std::map<uint64_t, at::Tensor> studies_;
  uint64_t next_serial_ = 0;
};

SCREENER_PLUGIN(SslTrainerStage, "ssl_trainer", "1.0.0",
                "Trains the descriptor or the condition UNet by dense self-supervision (VICReg or InfoNCE)")
