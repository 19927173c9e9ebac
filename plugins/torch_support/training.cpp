#include "training.h"

#include <c10/core/GradMode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <chrono>
#include <cmath>
#include <sstream>

#include "screener/error.h"
#include "screener/files.h"

namespace screener::torch_support {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

StateDict with_prefix(const StateDict& d, const std::string& prefix) {
  StateDict out;
  for (const auto& [k, t] : d) out[prefix + k] = t;
  return out;
}

StateDict under_prefix(const StateDict& d, const std::string& prefix) {
  StateDict out;
  for (const auto& [k, t] : d)
    if (k.rfind(prefix, 0) == 0) out[k.substr(prefix.size())] = t;
  return out;
}

}  // namespace

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

at::Generator step_generator(uint64_t seed, int64_t step) {
  return at::make_generator<at::CPUGeneratorImpl>(mix64(seed * 0x9E3779B97F4A7C15ull + uint64_t(step) + 0x632BE59BD9B4E019ull));
}

StateDict initial_parameters(const std::function<void(WeightReader&)>& build, const Initialisation& init) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(init.seed);
  std::map<std::string, int64_t> fan_in;  // of each weight, for its bias
  WeightReader reader({}, "(new parameters)");
  reader.make_missing_with([&](const std::string& key, at::IntArrayRef shape) {
    if (init.special)
      if (at::Tensor t = init.special(key, shape); t.defined()) return t;
    const std::string stem = key.substr(0, key.rfind('.'));
    if (ends_with(key, "ls.gamma")) return at::full(shape, init.layer_scale);
    if (key.find("norm") != std::string::npos) return ends_with(key, ".weight") ? at::ones(shape) : at::zeros(shape);
    if (shape.size() >= 2) {
      int64_t f = 1;
      for (std::size_t i = 1; i < shape.size(); ++i) f *= shape[i];
      fan_in[stem] = f;
      return at::empty(shape).uniform_(-1.0 / std::sqrt(double(f)), 1.0 / std::sqrt(double(f)), gen);
    }
    const auto it = fan_in.find(stem);
    const double bound = 1.0 / std::sqrt(double(it != fan_in.end() ? it->second : std::max<int64_t>(1, shape.empty() ? 1 : shape[0])));
    return at::empty(shape).uniform_(-bound, bound, gen);
  });
  build(reader);
  StateDict params = reader.weights();
  for (auto& [key, t] : params)
    if (t.is_floating_point()) t = t.detach().contiguous().requires_grad_(true);
  return params;
}

void save_state_dict(const StateDict& weights, const fs::path& file, at::ScalarType dtype) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [key, t] : weights) {
    at::Tensor c = t.detach().to(at::kCPU);
    if (c.is_floating_point()) c = c.to(dtype);
    dict.insert(key, c.contiguous().clone());
  }
  const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  write_file_atomic(file, std::string_view(bytes.data(), bytes.size()));
}

AdamW::AdamW(StateDict params, AdamWOptions options) : params_(std::move(params)), opt_(options) {
  for (const auto& [key, p] : params_) {
    if (!p.requires_grad()) continue;
    exp_avg_[key] = at::zeros_like(p).detach();
    exp_avg_sq_[key] = at::zeros_like(p).detach();
  }
}

void AdamW::zero_grad() {
  for (auto& [key, p] : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

void AdamW::step(double lr) {
  c10::NoGradGuard no_grad;
  ++steps_;
  const double c1 = 1.0 - std::pow(opt_.beta1, double(steps_));
  const double c2 = 1.0 - std::pow(opt_.beta2, double(steps_));
  for (auto& [key, p] : params_) {
    if (!p.requires_grad() || !p.grad().defined()) continue;
    const at::Tensor g = p.grad();
    p.mul_(1.0 - lr * opt_.weight_decay);
    auto& m = exp_avg_[key];
    auto& v = exp_avg_sq_[key];
    m.mul_(opt_.beta1).add_(g, 1.0 - opt_.beta1);
    v.mul_(opt_.beta2).addcmul_(g, g, 1.0 - opt_.beta2);
    const at::Tensor denom = (v.sqrt() / std::sqrt(c2)).add_(opt_.eps);
    p.addcdiv_(m, denom, -lr / c1);
  }
}

StateDict AdamW::state() const {
  StateDict s = with_prefix(exp_avg_, "exp_avg.");
  for (const auto& [k, t] : exp_avg_sq_) s["exp_avg_sq." + k] = t;
  s["step"] = at::tensor(steps_, at::kLong);
  return s;
}

void AdamW::load_state(const StateDict& state) {
  c10::NoGradGuard no_grad;
  for (auto* moments : {&exp_avg_, &exp_avg_sq_}) {
    const std::string prefix = moments == &exp_avg_ ? "exp_avg." : "exp_avg_sq.";
    for (auto& [key, t] : *moments) {
      const auto it = state.find(prefix + key);
      if (it == state.end() || it->second.sizes() != t.sizes())
        throw Error("the optimiser state has no (or a mis-shaped) '" + prefix + key + "'");
      t.copy_(it->second);
    }
  }
  const auto it = state.find("step");
  if (it == state.end()) throw Error("the optimiser state has no step count");
  steps_ = int64_t(it->second.item<double>());
}

double learning_rate(int64_t step, int64_t total, int64_t warmup, double peak) {
  if (step < warmup) return peak * double(step + 1) / double(warmup);
  if (total <= warmup) return peak;
  const double progress = double(step - warmup) / double(total - warmup);
  return peak * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

double clip_grad_norm(const StateDict& params, double max_norm) {
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& [key, p] : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0;
  std::vector<at::Tensor> norms;
  for (const auto& g : grads) norms.push_back(g.norm(2));
  const double total = at::stack(norms).norm(2).item<double>();
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1)
    for (auto& g : grads) g.mul_(coef);
  return total;
}

LossLog::LossLog(fs::path file, std::vector<std::string> columns, int64_t resume_step)
    : file_(std::move(file)), columns_(columns.size()) {
  std::string header = "step";
  for (const auto& c : columns) header += "," + c;
  std::string kept = header + "\n";
  if (resume_step > 0 && fs::exists(file_)) {
    std::ifstream in(file_);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      if (in.eof() && !line.empty()) break;  // no newline: cut short by a crash
      std::size_t commas = 0;
      for (char ch : line) commas += ch == ',';
      if (commas != columns_ || std::stoll(line.substr(0, line.find(','))) >= resume_step) continue;
      kept += line + "\n";
    }
  }
  write_file_atomic(file_, kept);
  out_.open(file_, std::ios::app);
  if (!out_) throw Error(file_.string() + ": cannot open the loss log");
}

void LossLog::append(int64_t step, const std::vector<double>& values) {
  std::ostringstream row;
  row.precision(9);
  row << step;
  for (double v : values) row << ',' << v;
  out_ << row.str() << '\n';
  out_.flush();
}

void save_training_state(const TrainingState& state, const fs::path& file) {
  StateDict all = with_prefix(state.model, "model.");
  for (const auto& [k, t] : state.extra) all["extra." + k] = t;
  for (const auto& [k, t] : state.optimiser) all["adamw." + k] = t;
  all["step"] = at::tensor(state.step, at::kLong);
  save_state_dict(all, file);
}

TrainingState load_training_state(const fs::path& file) {
  const StateDict all = load_state_dict(file);
  TrainingState s;
  s.model = under_prefix(all, "model.");
  s.extra = under_prefix(all, "extra.");
  s.optimiser = under_prefix(all, "adamw.");
  const auto it = all.find("step");
  if (it == all.end() || s.model.empty()) throw Error(file.string() + ": not a training state (no step or no model.*)");
  s.step = int64_t(it->second.item<double>());
  return s;
}

}  // namespace screener::torch_support

namespace screener::torch_support {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
int64_t parameter_count(const StateDict& d) {
  int64_t n = 0;
  for (const auto& [k, t] : d) n += t.numel();
  return n;
}
}  // namespace

void declare_training_params(StageSpec& spec, const TrainingDefaults& d) {
  spec.integer("steps", d.steps, "Optimisation steps in all").range(1, 1e12);
  spec.integer("warmup_steps", d.warmup_steps, "Linear learning-rate warm-up from 0, then cosine decay to 0").range(0, 1e12);
  spec.number("lr", d.lr, "Peak learning rate (AdamW)").range(0, 10);
  spec.number("weight_decay", d.weight_decay, "AdamW decoupled weight decay").range(0, 10);
  spec.number("clip", 1.0, "Gradient clipping: max global L2 norm (0: off)").range(0, 1e9);
  spec.integer("seed", 0, "Seed of the initialisation and of every step's draws").range(0, 2147483647);
  spec.integer("save_every", 1000, "Checkpoint every N steps (and at the end)").range(1, 1e12);
  spec.integer("log_every", 10, "Progress line every N steps").range(1, 1e12);
  spec.integer("max_steps_this_run", 0, "Stop after N steps of this run (a time-limited job), resume later; 0: no limit")
      .range(0, 1e12);
  spec.flag("resume", false, "Continue from <output>/<model>_training_state.pt (screener train --resume)");
  spec.choice("save_precision", {"fp32", "fp16"}, "fp32", "Precision of the saved model (fp16: half the file)");
}

TrainerOptions read_training_params(const StageContext& ctx, const std::string& name) {
  const auto& p = ctx.params;
  TrainerOptions o;
  o.output_dir = ctx.output_dir;
  o.name = name;
  o.steps = p.get<int64_t>("steps");
  o.warmup_steps = p.get<int64_t>("warmup_steps");
  o.lr = p.get<double>("lr");
  o.adam.weight_decay = p.get<double>("weight_decay");
  o.clip = p.get<double>("clip");
  o.save_every = p.get<int64_t>("save_every");
  o.log_every = p.get<int64_t>("log_every");
  o.max_steps_this_run = p.get<int64_t>("max_steps_this_run");
  o.resume = p.get<bool>("resume");
  o.save_dtype = p.get<std::string>("save_precision") == "fp16" ? at::kHalf : at::kFloat;
  return o;
}

Trainer::Trainer(TrainerOptions options, StateDict model, StateDict extra, std::function<void(const std::string&)> log)
    : opt_(std::move(options)), model_(std::move(model)), extra_(std::move(extra)), log_(std::move(log)) {
  StateDict all = model_;
  for (const auto& [k, t] : extra_) all["extra." + k] = t;
  optimiser_ = std::make_unique<AdamW>(all, opt_.adam);
  const fs::path state_file = file("_training_state.pt");
  if (opt_.resume) {
    if (!fs::exists(state_file)) throw Error(state_file.string() + ": nothing to resume from");
    resume_from(state_file);
  } else if (fs::exists(state_file)) {
    throw Error(state_file.string() + " exists: resume it (--resume) or train into another output folder");
  }
  std::vector<std::string> columns{"lr", "loss", "grad_norm"};
  columns.insert(columns.end(), opt_.loss_terms.begin(), opt_.loss_terms.end());
  log_file_ = std::make_unique<LossLog>(file("_loss.csv"), columns, step_);
  log_(opt_.name + ": " + std::to_string(parameter_count(model_)) + " parameters" +
       (step_ ? ", resumed at step " + std::to_string(step_) : std::string()) + ", " + std::to_string(opt_.steps) +
       " steps in all");
  started_ = now_seconds();
}

bool Trainer::wants_step(int64_t until) const {
  if (opt_.max_steps_this_run > 0 && step_ - first_step_ >= opt_.max_steps_this_run) return false;
  return step_ < std::min(until, opt_.steps);
}

void Trainer::update(const at::Tensor& loss, const std::vector<double>& terms) {
  optimiser_->zero_grad();
  loss.backward();
  const double norm = opt_.clip > 0 ? clip_grad_norm(optimiser_->params(), opt_.clip) : 0.0;
  const double lr = learning_rate(step_, opt_.steps, opt_.warmup_steps, opt_.lr);
  optimiser_->step(lr);
  const double value = loss.item<double>();
  std::vector<double> row{lr, value, norm};
  row.insert(row.end(), terms.begin(), terms.end());
  log_file_->append(step_, row);
  ++step_;
  recent_loss_ += value, ++recent_count_;
  if (step_ % opt_.log_every == 0 || step_ == opt_.steps) {
    last_mean_loss_ = recent_loss_ / double(recent_count_);
    const double per_step = (now_seconds() - started_) / double(std::max<int64_t>(1, step_ - first_step_));
    char line[256];
    std::snprintf(line, sizeof line, "%s: step %lld/%lld  loss %.5g  lr %.2e  %.2f s/step  ETA %.0f s", opt_.name.c_str(),
                  (long long)step_, (long long)opt_.steps, last_mean_loss_, lr, per_step,
                  per_step * double(opt_.steps - step_));
    log_(line);
    recent_loss_ = 0, recent_count_ = 0;
  }
  if (step_ % opt_.save_every == 0) save();
}

void Trainer::save() {
  save_state_dict(model_, file(".pt"), opt_.save_dtype);
  TrainingState state;
  state.model = model_;
  state.extra = extra_;
  state.optimiser = optimiser_->state();
  state.step = step_;
  save_training_state(state, file("_training_state.pt"));
}

std::vector<fs::path> Trainer::finish(Json about) {
  save();
  if (recent_count_) last_mean_loss_ = recent_loss_ / double(recent_count_);
  about["steps_done"] = step_;
  about["steps"] = opt_.steps;
  about["complete"] = step_ >= opt_.steps;
  about["steps_this_run"] = step_ - first_step_;
  about["seconds_this_run"] = now_seconds() - started_;
  about["parameters"] = parameter_count(model_);
  // A resumed run with nothing left to do took no step: no loss of its own.
  about["recent_mean_loss"] = step_ > first_step_ ? Json(last_mean_loss_) : Json();
  write_file_atomic(file("_training.json"), about.dump(2) + "\n");
  if (step_ < opt_.steps)
    log_(opt_.name + ": stopped at step " + std::to_string(step_) + " of " + std::to_string(opt_.steps) +
         "; continue with --resume");
  return {file(".pt"), file("_training_state.pt"), file("_loss.csv"), file("_training.json")};
}

void Trainer::resume_from(const fs::path& state_file) {
  const TrainingState state = load_training_state(state_file);
  c10::NoGradGuard no_grad;
  auto restore = [&](StateDict& into, const StateDict& from, const std::string& what) {
    for (auto& [key, t] : into) {
      const auto it = from.find(key);
      if (it == from.end() || it->second.sizes() != t.sizes())
        throw Error(state_file.string() + ": the " + what + " has no (or a mis-shaped) '" + key +
                    "': was it trained with other settings?");
      t.copy_(it->second);
    }
  };
  restore(model_, state.model, "model");
  restore(extra_, state.extra, "extra modules");
  optimiser_->load_state(state.optimiser);
  step_ = first_step_ = state.step;
}

}  // namespace screener::torch_support
