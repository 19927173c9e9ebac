// What the trainers share: fresh parameters made by a model's own loading
// code, AdamW, the learning-rate schedule, gradient clipping, checkpoints a
// run can resume from, and the loss log.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "screener/screener.h"
#include "state_dict.h"

namespace screener::torch_support {

// PyTorch's default initialisation, by key: weights of convolutions and
// linear layers U(±1/√fan_in), and their biases likewise; norm weights 1 and
// biases 0; LayerScale gammas `layer_scale`. `special` may claim a key first
// (returns an undefined tensor to decline).
struct Initialisation {
  uint64_t seed = 0;
  double layer_scale = 0.1;
  WeightReader::Maker special;
};
// Runs `build` (a model's constructor taking a WeightReader) on a reader that
// creates every key; returns the parameters, leaves that require gradients.
StateDict initial_parameters(const std::function<void(WeightReader&)>& build, const Initialisation& init);

// torch.save-compatible (zip + pickle) file of a state_dict, readable by
// load_state_dict and by PyTorch's torch.load; written atomically. Floating
// tensors are stored as `dtype`.
void save_state_dict(const StateDict& weights, const std::filesystem::path& file, at::ScalarType dtype = at::kFloat);

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-6;
};

// torch.optim.AdamW, step for step (decoupled weight decay, bias correction).
class AdamW {
 public:
  AdamW(StateDict params, AdamWOptions options);
  void zero_grad();
  void step(double lr);
  // The moments and step count, under "exp_avg.<key>", "exp_avg_sq.<key>", "step".
  StateDict state() const;
  void load_state(const StateDict& state);
  const StateDict& params() const { return params_; }

 private:
  StateDict params_, exp_avg_, exp_avg_sq_;
  AdamWOptions opt_;
  int64_t steps_ = 0;
};

// Linear warm-up from 0 to `peak` over `warmup` steps, then a cosine decay
// to 0 at `total`.
double learning_rate(int64_t step, int64_t total, int64_t warmup, double peak);

// torch.nn.utils.clip_grad_norm_: scales the gradients so that their global
// L2 norm is at most `max_norm`; returns the norm before clipping.
double clip_grad_norm(const StateDict& params, double max_norm);

// One CSV row per step. Resuming at step k keeps the rows of steps < k (and
// drops a row a crash cut short), so that the log of an interrupted and
// resumed run equals an uninterrupted one's.
class LossLog {
 public:
  LossLog(std::filesystem::path file, std::vector<std::string> columns, int64_t resume_step);
  void append(int64_t step, const std::vector<double>& values);

 private:
  std::filesystem::path file_;
  std::size_t columns_;
  std::ofstream out_;
};

// The whole state of a training run at a step, in one file: the model's
// parameters under "model.", the extra trained modules (an expander) under
// "extra.", the optimiser's moments under "adamw." and "step".
struct TrainingState {
  StateDict model, extra, optimiser;
  int64_t step = 0;
};
void save_training_state(const TrainingState& state, const std::filesystem::path& file);
TrainingState load_training_state(const std::filesystem::path& file);

// Deterministic per-step randomness: the same (seed, step) gives the same
// draws whatever happened before (what makes a resumed run identical).
at::Generator step_generator(uint64_t seed, int64_t step);
// SplitMix64's finaliser: unrelated outputs for neighbouring inputs.
uint64_t mix64(uint64_t z);

// The patches a trainer keeps, at most `capacity`: beyond, a reservoir sample
// keyed by the patch (its study's serial and index), not by arrival order, so
// that which patches are kept does not depend on timing. Not thread-safe.
template <class T>
class PatchReservoir {
 public:
  explicit PatchReservoir(int64_t capacity = 0) : capacity_(capacity) {}
  static uint64_t key(const Inputs& in) { return in.study().serial << 20 | uint64_t(in.first().index & 0xFFFFF); }
  // Keeps make()'s value for the patch `key` if the sample takes it (make()
  // is not called otherwise).
  template <class Make>
  void offer(uint64_t key, Make&& make) {
    ++seen_;
    if (int64_t(kept_.size()) >= capacity_) {
      auto worst = std::prev(order_.end());
      if (mix64(key) >= worst->first) return;
      kept_.erase(worst->second);
      order_.erase(worst);
    }
    kept_[key] = make();
    order_.emplace(mix64(key), key);
  }
  const std::map<uint64_t, T>& kept() const { return kept_; }
  bool empty() const { return kept_.empty(); }
  std::size_t size() const { return kept_.size(); }
  int64_t seen() const { return seen_; }

 private:
  int64_t capacity_;
  int64_t seen_ = 0;
  std::map<uint64_t, T> kept_;
  std::multimap<uint64_t, uint64_t> order_;  // reservoir rank → key
};

}  // namespace screener::torch_support

namespace screener::torch_support {

struct TrainerOptions {
  std::filesystem::path output_dir;
  std::string name;  // files: <name>.pt, <name>_training_state.pt, <name>_loss.csv
  int64_t steps = 1000, warmup_steps = 0, save_every = 1000, log_every = 10;
  int64_t max_steps_this_run = 0;  // 0: no limit (a time-limited job stops early, resumes later)
  double lr = 1e-3, clip = 1.0;
  AdamWOptions adam;
  at::ScalarType save_dtype = at::kFloat;
  bool resume = false;
  std::vector<std::string> loss_terms;  // extra loss-log columns
};
// The parameters every trainer stage declares (steps, schedule, AdamW,
// clipping, seed, checkpoints, resume), and reading them back.
struct TrainingDefaults {
  int64_t steps, warmup_steps;
  double lr, weight_decay;
};
void declare_training_params(StageSpec& spec, const TrainingDefaults& defaults);
TrainerOptions read_training_params(const StageContext& ctx, const std::string& name);

// The optimisation loop's bookkeeping: AdamW with the schedule and clipping,
// the loss log, progress lines, periodic checkpoints, resuming. It trains
// `model` (saved in the official layout as <name>.pt) and `extra` (trained
// alongside, kept in the training state only: VICReg's expander).
class Trainer {
 public:
  Trainer(TrainerOptions options, StateDict model, StateDict extra, std::function<void(const std::string&)> log);
  int64_t step() const { return step_; }
  // True while `step()` < min(until, steps) and the run's step limit allows.
  bool wants_step(int64_t until) const;
  // Backpropagates `loss`, clips, steps the optimiser; logs, saves when due.
  void update(const at::Tensor& loss, const std::vector<double>& terms);
  void save();
  const StateDict& model() const { return model_; }
  const StateDict& extra() const { return extra_; }
  // Writes <name>_training.json (with `about`) and returns every file written.
  std::vector<std::filesystem::path> finish(Json about);
  std::filesystem::path file(const std::string& suffix) const { return opt_.output_dir / (opt_.name + suffix); }

 private:
  void resume_from(const std::filesystem::path& state_file);

  TrainerOptions opt_;
  StateDict model_, extra_;
  std::function<void(const std::string&)> log_;
  std::unique_ptr<AdamW> optimiser_;
  std::unique_ptr<LossLog> log_file_;
  int64_t step_ = 0, first_step_ = 0;
  double recent_loss_ = 0, last_mean_loss_ = 0;
  int64_t recent_count_ = 0;
  double started_ = 0;
};

}  // namespace screener::torch_support
