#include "cevae_model.h"

#include <cmath>

#include <ATen/core/grad_mode.h>

#include "screener/screener.h"

namespace screener::cevae {

namespace {

constexpr double kSlope = 0.01;  // nn.LeakyReLU's default

std::array<int64_t, 3> bottom_size(const CeVaeShape& s) {
  const int64_t f = int64_t(1) << s.widths.size();
  return {s.roi[0] / f, s.roi[1] / f, s.roi[2] / f};
}

}  // namespace

void check_shape(const CeVaeShape& s) {
  if (s.widths.empty() || s.widths.size() > 8) throw Error("ceVAE: between 1 and 8 levels (widths), not " + std::to_string(s.widths.size()));
  for (const int64_t w : s.widths)
    if (w < 1 || w > 4096) throw Error("ceVAE: widths must be in [1, 4096]");
  if (s.latent < 1 || s.latent > 65536) throw Error("ceVAE: latent must be in [1, 65536]");
  const int64_t f = int64_t(1) << s.widths.size();
  for (const int64_t r : s.roi)
    if (r < f || r % f)
      throw Error("ceVAE: the patch sides " + Json(s.roi).dump() + " must be multiples of 2^levels = " + std::to_string(f) +
                  " (" + std::to_string(s.widths.size()) + " widths)");
}

CeVae::CeVae(torch_support::WeightReader& w, const CeVaeShape& shape) : shape_(shape) {
  check_shape(shape);
  const auto& widths = shape.widths;
  const int64_t levels = int64_t(widths.size());
  const auto b = bottom_size(shape);
  int64_t c = 1;
  for (int64_t i = 0; i < levels; ++i) {
    enc_.push_back(w.take("enc." + std::to_string(i) + ".weight", {widths[i], c, 4, 4, 4}));
    c = widths[i];
  }
  enc_out_ = w.take("enc_out.weight", {2 * shape.latent, c, b[0], b[1], b[2]});
  // ConvTranspose3d weights are (in, out, k...).
  dec_in_ = w.take("dec_in.weight", {shape.latent, widths.back(), b[0], b[1], b[2]});
  for (int64_t i = levels - 1, k = 0; i > 0; --i, ++k)
    dec_.push_back(w.take("dec." + std::to_string(k) + ".weight", {widths[i], widths[i - 1], 4, 4, 4}));
  dec_out_ = w.take("dec_out.weight", {widths[0], 1, 4, 4, 4});
}

void CeVae::to(const c10::Device& device) {
  for (auto* list : {&enc_, &dec_})
    for (auto& t : *list) t = t.to(device);
  for (auto* t : {&enc_out_, &dec_in_, &dec_out_}) *t = t->to(device);
}

std::pair<at::Tensor, at::Tensor> CeVae::encode(const at::Tensor& x) const {
  at::Tensor h = x;
  for (const auto& weight : enc_) h = at::leaky_relu(at::conv3d(h, weight, {}, 2, 1), kSlope);
  const auto out = at::conv3d(h, enc_out_).chunk(2, 1);
  return {out[0], out[1]};
}

at::Tensor CeVae::decode(const at::Tensor& z) const {
  at::Tensor h = at::leaky_relu(at::conv_transpose3d(z, dec_in_), kSlope);
  for (const auto& weight : dec_) h = at::leaky_relu(at::conv_transpose3d(h, weight, {}, 2, 1), kSlope);
  return at::conv_transpose3d(h, dec_out_, {}, 2, 1);
}

double CeVae::flops_per_patch() const {
  double flops = 0;
  std::array<double, 3> size{double(shape_.roi[0]), double(shape_.roi[1]), double(shape_.roi[2])};
  int64_t c = 1;
  for (const int64_t w : shape_.widths) {
    for (auto& s : size) s /= 2;
    flops += 2.0 * size[0] * size[1] * size[2] * double(w * c) * 64;  // encoder level, at its output size
    flops += 2.0 * size[0] * size[1] * size[2] * double(w * c) * 64;  // its mirror in the decoder, at its input size
    c = w;
  }
  flops += 2.0 * 2 * double(shape_.latent) * double(c) * size[0] * size[1] * size[2] * 3 / 2;  // enc_out + dec_in
  return flops;
}

at::Tensor kl_per_sample(const at::Tensor& mu, const at::Tensor& log_std) {
  // torch.distributions.kl_divergence(N(μ, σ), N(0, 1)) = ½(σ² + μ²) − ½ − log σ, per dimension;
  // written as PyTorch's _kl_normal_normal computes it, for the same rounding.
  const at::Tensor var_ratio = at::exp(log_std).pow(2);
  const at::Tensor t1 = mu.pow(2);
  const at::Tensor kl = 0.5 * (var_ratio + t1 - 1 - var_ratio.log());
  return kl.flatten(1).mean(1);
}

Loss training_loss(const CeVae& model, const at::Tensor& x, const at::Tensor& x_noisy, const at::Tensor& eps, double beta,
                   double ce_factor) {
  const auto [mu, log_std] = model.encode(x);
  const at::Tensor z = mu + at::exp(log_std) * eps;
  const at::Tensor kl = kl_per_sample(mu, log_std).mean();
  const at::Tensor rec_vae = (model.decode(z) - x).abs().mean();
  const at::Tensor mu_noisy = model.encode(x_noisy).first;
  const at::Tensor rec_ce = (model.decode(mu_noisy) - x).abs().mean();
  const at::Tensor total = (1 - ce_factor) * (beta * kl + rec_vae) + ce_factor * rec_ce;
  return {total, kl.item<double>(), rec_vae.item<double>(), rec_ce.item<double>()};
}

at::Tensor context_noise(const at::Tensor& x, const BoxNoise& noise, at::Generator& gen, at::Tensor* mask) {
  const at::Tensor host = x.detach().to(at::kCPU);
  const double lo = host.min().item<double>(), hi = host.max().item<double>();
  at::Tensor noisy = host.clone();
  at::Tensor where = at::zeros(host.sizes(), at::kBool);
  const auto draw = [&](int64_t from, int64_t to) {  // an integer in [from, to]
    return at::randint(from, to + 1, {1}, gen).item<int64_t>();
  };
  const int64_t largest = std::max<int64_t>({x.size(2), x.size(3), x.size(4)});
  const int64_t max_side = std::max<int64_t>(1, int64_t(std::floor(noise.max_side * double(largest))));
  for (int64_t b = 0; b < x.size(0); ++b) {
    const int64_t boxes = draw(noise.min_boxes, noise.max_boxes);
    for (int64_t k = 0; k < boxes; ++k) {
      const int64_t side = draw(1, max_side);
      at::Tensor box = noisy[b];
      at::Tensor box_mask = where[b];
      for (int64_t a = 0; a < 3; ++a) {
        const int64_t extent = x.size(2 + a), s = std::min(side, extent);
        const int64_t start = draw(0, extent - s);
        box = box.narrow(1 + a, start, s);
        box_mask = box_mask.narrow(1 + a, start, s);
      }
      const double value = lo + (hi - lo) * at::rand({1}, gen).item<double>();
      box.fill_(value);
      box_mask.fill_(true);
    }
  }
  if (mask) *mask = where.to(x.device());
  return noisy.to(x.device());
}

Score parse_score(const std::string& name) {
  if (name == "rec") return Score::rec;
  if (name == "kl_grad") return Score::kl_grad;
  if (name == "combi") return Score::combi;
  throw Error("ceVAE: unknown score '" + name + "' (rec, kl_grad, combi)");
}

at::Tensor gaussian_smooth(const at::Tensor& v, double sigma) {
  if (sigma <= 0) return v;
  const int64_t r = int64_t(std::ceil(sigma));
  at::Tensor k = at::arange(-r, r + 1, at::kDouble);
  k = at::exp(-k.pow(2) / (2 * sigma * sigma));
  k = (k / k.sum()).to(v.scalar_type()).to(v.device());
  at::Tensor out = at::conv3d(v, k.view({1, 1, -1, 1, 1}), {}, 1, {r, 0, 0});
  out = at::conv3d(out, k.view({1, 1, 1, -1, 1}), {}, 1, {0, r, 0});
  return at::conv3d(out, k.view({1, 1, 1, 1, -1}), {}, 1, {0, 0, r});
}

at::Tensor score(const CeVae& model, const at::Tensor& patch, Score which, double sigma) {
  if (which == Score::rec) {
    at::NoGradGuard no_grad;
    const at::Tensor x = to_model_range(patch);
    return (model.decode(model.encode(x).first) - x).abs();
  }
  at::AutoGradMode grad_mode(true);
  const at::Tensor x = to_model_range(patch.detach()).detach().requires_grad_(true);
  const auto [mu, log_std] = model.encode(x);
  kl_per_sample(mu, log_std).sum().backward();  // per-sample gradients: a patch's score ignores its batch
  at::NoGradGuard no_grad;
  const at::Tensor kl_grad = gaussian_smooth(x.grad().abs(), sigma);
  if (which == Score::kl_grad) return kl_grad;
  const at::Tensor rec = (model.decode(mu.detach()) - x.detach()).abs();
  return rec * kl_grad;
}

}  // namespace screener::cevae
