#include "density_models.h"

#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include "authors_glow.h"
#include "glow_cpu_inference.h"
#include "screener/error.h"
#include "state_dict.h"

namespace screener::density {

using torch_support::WeightReader;

namespace {

const double kHalfLog2Pi = 0.5 * std::log(2.0 * M_PI);

struct Conv {
  at::Tensor weight, bias;
  at::Tensor operator()(const at::Tensor& x) const {
    const int64_t pad = weight.size(2) / 2;
    return at::conv3d(x, weight, bias, 1, pad);
  }
  void to(const c10::Device& d) { weight = weight.to(d), bias = bias.to(d); }
  double flops() const { return 2.0 * double(weight.numel()); }
};

Conv read_conv(WeightReader& w, const std::string& key, int64_t co, int64_t ci, int64_t k) {
  return {w.take(key + ".weight", {co, ci, k, k, k}), w.take(key + ".bias", {co})};
}

int64_t dim_of(const WeightReader& w, const std::string& key, std::size_t axis, const std::filesystem::path& file) {
  const auto shape = w.shape_of(key);
  if (shape.size() <= axis) throw Error(file.string() + ": key '" + key + "' is missing or has too few axes");
  return shape[axis];
}

// ½ Σ (y − μ)² / σ² + ½ Σ log σ² + (D/2) ln 2π, over the channel axis.
at::Tensor gaussian_nll(const at::Tensor& y, const at::Tensor& mean, const at::Tensor& log_var) {
  const auto z2 = (y - mean).pow(2) * at::exp(-log_var);
  return 0.5 * (z2 + log_var).sum(1, true) + double(y.size(1)) * kHalfLog2Pi;
}

class Gaussian final : public DensityModel {
 public:
  Gaussian(WeightReader& w, int64_t D)
      : DensityModel("gaussian", D, 0), mean_(w.take("mean", {D})), log_var_(w.take("log_var", {D})) {}
  at::Tensor nll(const at::Tensor& y, const at::Tensor&) const override {
    return gaussian_nll(y, mean_.view({1, -1, 1, 1, 1}), log_var_.view({1, -1, 1, 1, 1}));
  }
  void to(const c10::Device& d) override { mean_ = mean_.to(d), log_var_ = log_var_.to(d); }
  double flops_per_voxel() const override { return 5.0 * double(descriptor_channels()); }

 private:
  at::Tensor mean_, log_var_;
};

class ConditionalGaussian final : public DensityModel {
 public:
  ConditionalGaussian(WeightReader& w, int64_t D, int64_t Dc, int64_t H) : DensityModel("conditional_gaussian", D, Dc) {
    for (const char* head : {"mean_head", "log_var_head"}) {
      const std::string p = head;
      heads_.push_back({read_conv(w, p + ".0", H, Dc, 3), read_conv(w, p + ".2", D, H, 3)});
    }
  }
  at::Tensor nll(const at::Tensor& y, const at::Tensor& c) const override {
    auto head = [&](const std::vector<Conv>& h) { return h[1](at::relu(h[0](c))); };
    return gaussian_nll(y, head(heads_[0]), head(heads_[1]));
  }
  void to(const c10::Device& d) override {
    for (auto& h : heads_)
      for (auto& conv : h) conv.to(d);
  }
  double flops_per_voxel() const override {
    double f = 5.0 * double(descriptor_channels());
    for (const auto& h : heads_)
      for (const auto& conv : h) f += conv.flops();
    return f;
  }

 private:
  std::vector<std::vector<Conv>> heads_;
};

// A 1×1×1 convolution applied to voxels as rows: one GEMM (a 1×1×1 conv3d
// takes LibTorch's slow generic path on the CPU, ~10× slower).
struct Linear {
  at::Tensor weight, bias;  // (Co, Ci), (Co)
  at::Tensor operator()(const at::Tensor& rows) const { return at::linear(rows, weight, bias); }
  void to(const c10::Device& d) { weight = weight.to(d), bias = bias.to(d); }
  double flops() const { return 2.0 * double(weight.numel()); }
};

Linear read_pointwise(WeightReader& w, const std::string& key, int64_t co, int64_t ci) {
  const Conv c = read_conv(w, key, co, ci, 1);
  return {c.weight.reshape({co, ci}), c.bias};
}

// (B, C, h, w, s) → (B·h·w·s, C) and back.
at::Tensor to_rows(const at::Tensor& x) { return x.permute({0, 2, 3, 4, 1}).reshape({-1, x.size(1)}); }
at::Tensor from_rows(const at::Tensor& rows, const at::Tensor& like) {
  return rows.reshape({like.size(0), like.size(2), like.size(3), like.size(4), rows.size(1)}).permute({0, 4, 1, 2, 3});
}

// Glow (SPEC §5): ActNorm → invertible 1×1×1 conv → affine coupling, K times;
// with a condition, it shifts/scales each ActNorm and enters each coupling.
class Glow final : public DensityModel {
 public:
  Glow(WeightReader& w, int64_t K, int64_t D, int64_t Dc, int64_t H, bool conditional)
      : DensityModel(conditional ? "conditional_glow" : "glow", D, Dc), conditional_(conditional) {
    if (D % 2) throw Error("glow: the descriptor dimension must be even, got " + std::to_string(D));
    for (int64_t k = 0; k < K; ++k) {
      const std::string p = "flows." + std::to_string(k) + ".";
      Block b;
      b.loc = w.take(p + "actnorm.loc", {1, D, 1, 1, 1}).reshape({D});
      b.log_scale = w.take(p + "actnorm.log_scale", {1, D, 1, 1, 1}).reshape({D});
      const auto initialized = w.take(p + "actnorm.initialized", at::IntArrayRef{});
      if (w.has(p + "actnorm.initialized") && initialized.numel() == 1 && initialized.item<double>() == 0)
        throw Error("glow: " + p + "actnorm.initialized is 0: this flow was never trained (ActNorm not data-initialised)");
      if (conditional) b.actnorm_cond = read_pointwise(w, p + "actnorm.cond", 2 * D, Dc);
      b.invconv = w.take(p + "invconv.weight", {D, D});
      b.invconv_logdet = std::get<1>(at::slogdet(b.invconv.to(at::kDouble))).to(at::kFloat);
      b.net0 = read_pointwise(w, p + "coupling.net.0", H, D / 2 + (conditional ? Dc : 0));
      b.net2 = read_pointwise(w, p + "coupling.net.2", H, H);
      b.net4 = read_pointwise(w, p + "coupling.net.4", D, H);
      blocks_.push_back(std::move(b));
    }
  }

  void initialize_from_data(const at::Tensor& y, const at::Tensor& c) override {
    c10::NoGradGuard no_grad;
    forget_packed();
    run(y, c, /*initialize=*/true);
  }

  at::Tensor nll(const at::Tensor& y, const at::Tensor& c) const override {
    if (packed_path_applies(y, c)) return packed_nll(y, c);
    return const_cast<Glow*>(this)->run(y, c, false);
  }

  void set_packed_cpu_path(bool enabled) override { packed_enabled_ = enabled; }

  at::Tensor run(const at::Tensor& y, const at::Tensor& c, bool initialize) {
    const int64_t D = descriptor_channels(), half = D / 2;
    at::Tensor x = to_rows(y);
    const at::Tensor cond = conditional_ ? to_rows(c) : at::Tensor();
    at::Tensor logdet = at::zeros({x.size(0)}, x.options());
    for (auto& b : blocks_) {
      if (initialize) {  // in place: the trainer's parameter tensors themselves
        b.loc.copy_(-x.mean(0));
        b.log_scale.copy_(-at::log(x.std(0) + 1e-6));
      }
      if (conditional_) {
        const auto h = b.actnorm_cond(cond);
        const auto log_scale = b.log_scale + h.narrow(1, D, D);
        x = (x + b.loc + h.narrow(1, 0, D)) * at::exp(log_scale);
        logdet = logdet + log_scale.sum(1);
      } else {
        x = (x + b.loc) * at::exp(b.log_scale);
        logdet = logdet + b.log_scale.sum();
      }
      x = at::matmul(x, b.invconv.t());
      logdet = logdet + b.invconv_logdet;
      const auto x1 = x.narrow(1, 0, half), x2 = x.narrow(1, half, half);
      auto h = at::relu(b.net0(conditional_ ? at::cat({x1, cond}, 1) : x1));
      h = b.net4(at::relu(b.net2(h)));
      const auto s_logit = h.narrow(1, 0, half) + 2.0;
      x = at::cat({x1, (x2 + h.narrow(1, half, half)) * at::sigmoid(s_logit)}, 1);
      logdet = logdet + at::log_sigmoid(s_logit).sum(1);
    }
    const auto nll = 0.5 * x.pow(2).sum(1) + double(D) * kHalfLog2Pi - logdet;
    return from_rows(nll.unsqueeze(1), y);
  }

  void to(const c10::Device& d) override {
    forget_packed();
    for (auto& b : blocks_) {
      b.loc = b.loc.to(d), b.log_scale = b.log_scale.to(d), b.invconv = b.invconv.to(d);
      b.invconv_logdet = b.invconv_logdet.to(d);
      if (conditional_) b.actnorm_cond.to(d);
      b.net0.to(d), b.net2.to(d), b.net4.to(d);
    }
  }

  double flops_per_voxel() const override {
    double f = 0;
    for (const auto& b : blocks_) {
      f += 2.0 * double(b.invconv.numel()) + b.net0.flops() + b.net2.flops() + b.net4.flops();
      if (conditional_) f += b.actnorm_cond.flops();
    }
    return f;
  }

 private:
  struct Block {
    at::Tensor loc, log_scale, invconv;  // (D), (D), (D, D)
    at::Tensor invconv_logdet;  // float64 slogdet, kept differentiable for training
    Linear actnorm_cond, net0, net2, net4;
  };
  // The packed path gives no gradients: it is taken only where none is wanted.
  bool packed_path_applies(const at::Tensor& y, const at::Tensor& c) const {
    if (!packed_enabled_ || !y.device().is_cpu() || y.scalar_type() != at::kFloat || !blocks_[0].invconv.is_cpu())
      return false;
    if (conditional_ && (!c.device().is_cpu() || c.scalar_type() != at::kFloat)) return false;
    if (!at::GradMode::is_enabled()) return true;
    if (y.requires_grad() || (conditional_ && c.requires_grad())) return false;
    for (const auto& b : blocks_)
      for (const at::Tensor* t : {&b.loc, &b.log_scale, &b.invconv, &b.net0.weight, &b.net0.bias, &b.net2.weight,
                                  &b.net2.bias, &b.net4.weight, &b.net4.bias, &b.actnorm_cond.weight, &b.actnorm_cond.bias})
        if (t->defined() && t->requires_grad()) return false;
    return true;
  }

  static std::vector<float> floats(const at::Tensor& t) {
    const at::Tensor f = t.detach().to(at::kCPU, at::kFloat).contiguous();
    return {f.data_ptr<float>(), f.data_ptr<float>() + f.numel()};
  }

  // Packed on first use, after the weights are final (loaded, initialised, moved).
  const GlowCpuInference& packed() const {
    std::lock_guard<std::mutex> lock(packed_mutex_);
    if (!packed_) {
      std::vector<GlowBlockWeights> weights;
      for (const auto& b : blocks_) {
        GlowBlockWeights w;
        w.loc = floats(b.loc), w.log_scale = floats(b.log_scale), w.invconv = floats(b.invconv);
        w.invconv_logdet = b.invconv_logdet.item<double>();
        if (conditional_) w.cond_weight = floats(b.actnorm_cond.weight), w.cond_bias = floats(b.actnorm_cond.bias);
        w.net0_weight = floats(b.net0.weight), w.net0_bias = floats(b.net0.bias);
        w.net2_weight = floats(b.net2.weight), w.net2_bias = floats(b.net2.bias);
        w.net4_weight = floats(b.net4.weight), w.net4_bias = floats(b.net4.bias);
        weights.push_back(std::move(w));
      }
      packed_ = std::make_shared<const GlowCpuInference>(weights, descriptor_channels(), condition_channels(),
                                                         blocks_[0].net2.weight.size(0));
    }
    return *packed_;
  }
  void forget_packed() {
    std::lock_guard<std::mutex> lock(packed_mutex_);
    packed_.reset();
  }

  at::Tensor packed_nll(const at::Tensor& y, const at::Tensor& c) const {
    const GlowCpuInference& glow = packed();
    const int64_t D = descriptor_channels(), Dc = condition_channels();
    const at::Tensor yr = to_rows(y).contiguous();
    const at::Tensor cr = conditional_ ? to_rows(c).contiguous() : at::Tensor();
    const int64_t n = yr.size(0), chunk = GlowCpuInference::kChunkRows;
    at::Tensor out = at::empty({n}, yr.options());
    const float* yp = yr.data_ptr<float>();
    const float* cp = conditional_ ? cr.data_ptr<float>() : nullptr;
    float* op = out.data_ptr<float>();
    at::parallel_for(0, (n + chunk - 1) / chunk, 1, [&](int64_t begin, int64_t end) {
      const int64_t r0 = begin * chunk, r1 = std::min(n, end * chunk);
      glow.nll(yp + r0 * D, cp ? cp + r0 * Dc : nullptr, r1 - r0, op + r0);
    });
    return from_rows(out.unsqueeze(1), y);
  }

  std::vector<Block> blocks_;
  bool conditional_;
  bool packed_enabled_ = true;
  mutable std::mutex packed_mutex_;
  mutable std::shared_ptr<const GlowCpuInference> packed_;
};

std::string detect(const WeightReader& w, const std::filesystem::path& file) {
  if (w.has("mean") && w.has("log_var")) return "gaussian";
  if (w.has("mean_head.0.weight")) return "conditional_gaussian";
  if (w.has("flows.0.actnorm.cond.weight")) return "conditional_glow";
  if (w.has("flows.0.invconv.weight")) return "glow";
  // What the file does hold, by first key component, to tell a wrong file apart.
  std::map<std::string, int> groups;
  for (const auto& [key, t] : w.weights()) ++groups[key.substr(0, key.find('.'))];
  std::string held;
  for (const auto& [group, n] : groups) held += (held.empty() ? "" : ", ") + group + (n > 1 ? ".* (" + std::to_string(n) + ")" : "");
  throw Error(file.string() + ": not a checkpoint of a known density model (no mean/log_var, mean_head.*, flows.*, " +
              kAuthorsGlowPrefix + "*); it holds " + held);
}

// Keys of the other modules of a Lightning checkpoint (the descriptor).
bool other_module(const std::string& key) { return key.rfind("descriptor_model.", 0) == 0; }

// The authors' hyper_parameters that size the flow, checked against the weights.
void check_sizes(const Json& hp, const DensityShape& s, const std::string& file) {
  if (!hp.is_object()) return;
  for (const auto& [key, have] : {std::pair<const char*, int64_t>{"descriptor_dim", s.descriptor},
                                  {"glow_depth", s.blocks},
                                  {"glow_hidden_dim", s.hidden}}) {
    auto it = hp.find(key);
    if (it == hp.end() || it->is_null()) continue;
    if (!it->is_number_integer() || it->get<int64_t>() != have)
      throw Error(file + ": hyper_parameters." + key + " is " + it->dump() + " but the weights have " + std::to_string(have));
  }
  if (auto it = hp.find("mode"); it != hp.end() && it->is_string() && *it != "3d")
    throw Error(file + ": hyper_parameters.mode is " + it->dump() + ": only \"3d\" flows are supported");
}

}  // namespace

at::Tensor pool_maps(const at::Tensor& x, at::IntArrayRef pool) {
  if (x.size(1) == 0) {
    auto shape = x.sizes().vec();
    for (std::size_t a = 0; a < 3; ++a) shape[2 + a] /= pool[a];
    return at::empty(shape, x.options());
  }
  return at::avg_pool3d(x, pool, pool);
}

std::unique_ptr<DensityModel> make_density_model(WeightReader& w, const std::string& kind, const DensityShape& s) {
  if (kind == "gaussian") return std::make_unique<Gaussian>(w, s.descriptor);
  if (kind == "conditional_gaussian") return std::make_unique<ConditionalGaussian>(w, s.descriptor, s.condition, s.hidden);
  if (kind == "glow" || kind == "conditional_glow")
    return std::make_unique<Glow>(w, s.blocks, s.descriptor, s.condition, s.hidden, kind == "conditional_glow");
  throw Error("density model '" + kind + "': expected gaussian, conditional_gaussian, glow or conditional_glow");
}

std::unique_ptr<DensityModel> load_density_model(const std::filesystem::path& file, const std::string& model) {
  return load_density_checkpoint(file, model).model;
}

DensityCheckpoint load_density_checkpoint(const std::filesystem::path& file, const std::string& model) {
  torch_support::Checkpoint checkpoint = torch_support::load_checkpoint(file);
  const bool authors = torch_support::has_prefix(checkpoint.weights, kAuthorsGlowPrefix);
  if (authors) checkpoint.weights = authors_glow_to_ours(checkpoint.weights);
  WeightReader w(std::move(checkpoint.weights), file, other_module);
  if (authors) w.name_keys_with(authors_glow_key);
  const std::string kind = detect(w, file);
  if (model != "auto" && model != kind)
    throw Error(file.string() + ": holds a " + kind + " density model, not a " + model + " one");
  DensityShape shape;
  if (kind == "gaussian") {
    shape.descriptor = dim_of(w, "mean", 0, file);
  } else if (kind == "conditional_gaussian") {
    shape.descriptor = dim_of(w, "mean_head.2.weight", 0, file);
    shape.condition = dim_of(w, "mean_head.0.weight", 1, file);
    shape.hidden = dim_of(w, "mean_head.0.weight", 0, file);
  } else {
    std::set<int64_t> blocks;
    for (const auto& key : w.keys_with_prefix("flows.")) {
      const std::string index = key.substr(6, key.find('.', 6) - 6);
      if (index.empty() || index.size() > 6 || index.find_first_not_of("0123456789") != std::string::npos)
        throw Error(file.string() + ": key '" + key + "' is not flows.<block number>.…");
      blocks.insert(std::stoll(index));
    }
    shape.blocks = blocks.empty() ? 0 : *blocks.rbegin() + 1;
    if (shape.blocks == 0) throw Error(file.string() + ": no flows.* keys: not a " + kind + " checkpoint");
    shape.descriptor = dim_of(w, "flows.0.invconv.weight", 0, file);
    if (kind == "conditional_glow") shape.condition = dim_of(w, "flows.0.actnorm.cond.weight", 1, file);
    shape.hidden = dim_of(w, "flows.0.coupling.net.0.weight", 0, file);
  }
  check_sizes(checkpoint.hyper_parameters, shape, file.string());
  DensityCheckpoint out;
  out.model = make_density_model(w, kind, shape);
  w.finish("a " + kind + " density model");
  out.pool = authors_pooling(checkpoint.hyper_parameters, file.string());
  out.layout = authors ? "authors" : "ours";
  return out;
}

}  // namespace screener::density
