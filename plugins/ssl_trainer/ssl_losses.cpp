#include "ssl_losses.h"

#include <algorithm>

namespace screener::ssl {

namespace {

at::Tensor off_diagonal_squares(const at::Tensor& c) { return (c * c).sum() - c.diagonal().pow(2).sum(); }

}  // namespace

Loss vicreg(const at::Tensor& z1, const at::Tensor& z2, const VICRegWeights& w) {
  const int64_t n = z1.size(0), D = z1.size(1);
  const at::Tensor invariance = at::mse_loss(z1, z2);
  const at::Tensor x = z1 - z1.mean(0), y = z2 - z2.mean(0);
  const at::Tensor std_x = at::sqrt(x.var(0) + 1e-4), std_y = at::sqrt(y.var(0) + 1e-4);
  const at::Tensor variance = at::relu(1 - std_x).mean() / 2 + at::relu(1 - std_y).mean() / 2;
  const at::Tensor cov_x = at::matmul(x.t(), x) / double(n - 1), cov_y = at::matmul(y.t(), y) / double(n - 1);
  const at::Tensor covariance = off_diagonal_squares(cov_x) / double(D) + off_diagonal_squares(cov_y) / double(D);
  Loss l;
  l.total = w.invariance * invariance + w.variance * variance + w.covariance * covariance;
  l.terms = {{"invariance", invariance.item<double>()},
             {"variance", variance.item<double>()},
             {"covariance", covariance.item<double>()}};
  return l;
}

Loss infonce(const at::Tensor& y1, const at::Tensor& y2, double temperature) {
  const at::Tensor a = y1 / y1.norm(2, 1, true).clamp_min(1e-12), b = y2 / y2.norm(2, 1, true).clamp_min(1e-12);
  const at::Tensor logits = at::matmul(a, b.t()) / temperature;
  const at::Tensor target = at::arange(y1.size(0), at::TensorOptions().dtype(at::kLong).device(y1.device()));
  const at::Tensor loss = (at::cross_entropy_loss(logits, target) + at::cross_entropy_loss(logits.t(), target)) / 2;
  const double accuracy = (logits.argmax(1) == target).to(at::kFloat).mean().item<double>();
  Loss l;
  l.total = loss;
  l.terms = {{"infonce", loss.item<double>()}, {"top1", accuracy}};
  return l;
}

Expander::Expander(torch_support::WeightReader& w, int64_t in, int64_t width, int64_t groups)
    // On (n, width) rows a group normalises its channels within one row: a
    // group needs many of them (one channel per group would output zeros).
    : groups_(std::clamp<int64_t>(std::min(groups, width / 16), 1, groups)) {
  l0w_ = w.take("0.weight", {width, in}), l0b_ = w.take("0.bias", {width});
  n1w_ = w.take("1.weight", {width}), n1b_ = w.take("1.bias", {width});
  l3w_ = w.take("3.weight", {width, width}), l3b_ = w.take("3.bias", {width});
  n4w_ = w.take("4.weight", {width}), n4b_ = w.take("4.bias", {width});
  l6w_ = w.take("6.weight", {width, width}), l6b_ = w.take("6.bias", {width});
}

at::Tensor Expander::operator()(const at::Tensor& x) const {
  auto h = at::silu(at::group_norm(at::linear(x, l0w_, l0b_), groups_, n1w_, n1b_, 1e-5));
  h = at::silu(at::group_norm(at::linear(h, l3w_, l3b_), groups_, n4w_, n4b_, 1e-5));
  return at::linear(h, l6w_, l6b_);
}

}  // namespace screener::ssl
