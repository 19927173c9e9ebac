#include "unet.h"

#include <cmath>

#include "screener/error.h"

namespace screener::torch_support {

namespace {

constexpr int64_t kFrequencies = 128;

// Crops `x` to `like`'s spatial size, then replicate-pads its far end up to it.
at::Tensor fit_to(at::Tensor x, const at::Tensor& like) {
  std::vector<int64_t> pad(6, 0);
  for (int64_t axis = 0; axis < 3; ++axis) {
    const int64_t want = like.size(2 + axis), have = x.size(2 + axis);
    if (have > want) x = x.narrow(2 + axis, 0, want);
    if (have < want) pad[std::size_t(2 * (2 - axis) + 1)] = want - have;  // (last axis first, far side)
  }
  for (int64_t p : pad)
    if (p) return at::replication_pad3d(x, pad);
  return x;
}

std::vector<int64_t> doubled(const at::Tensor& x) { return {2 * x.size(2), 2 * x.size(3), 2 * x.size(4)}; }

at::Tensor linear(const at::Tensor& x, WeightReader& w, const std::string& key, int64_t out, int64_t in) {
  const at::Tensor weight = w.take(key + ".weight", {out, in});
  return at::linear(x.to(weight.device()), weight, w.take(key + ".bias", {out}));
}

}  // namespace

UNetSize unet_size(const std::string& name) {
  // Not an official size: small enough to train on a CPU and to ship in the repository.
  if (name == "micro") return {{8, 16, 24, 32, 32, 32}, 128};
  if (name == "tiny") return {{8, 16, 32, 64, 128, 256}, 512};
  if (name == "small") return {{12, 24, 48, 96, 192, 384}, 768};
  if (name == "base") return {{16, 32, 64, 128, 256, 512}, 1024};
  throw Error("UNet size '" + name + "': expected micro, tiny, small or base");
}

bool is_discarded_attention_key(const std::string& key) {
  return key.find(".attn") != std::string::npos;
}

UNet::UNet(const std::string& size, int64_t in_channels, int64_t out_channels, WeightReader& w)
    : size_(unet_size(size)), in_(in_channels), out_(out_channels) {
  const auto& W = size_.widths;
  const int64_t E = size_.embed;
  auto conv = [&](const std::string& key, int64_t co, int64_t ci, int64_t k) {
    return Conv{w.take(key + ".weight", {co, ci, k, k, k}), w.take(key + ".bias", {co})};
  };
  stem_ = conv("unet.stem_conv", W[0], in_, 3);

  // t = 1 always: the time embedding is a constant, computed once here.
  const auto k = at::arange(kFrequencies, at::kFloat);
  const auto freqs = at::exp(-std::log(10000.0) * k / double(kFrequencies));
  const auto args = 1000.0 * freqs;
  const auto emb = at::cat({at::cos(args), at::sin(args)}).unsqueeze(0);
  auto temb = linear(emb, w, "unet.time_embed.proj.0", E, 2 * kFrequencies);
  temb = linear(at::silu(temb), w, "unet.time_embed.proj.2", E, E);

  for (int64_t l = 0; l < 6; ++l) encoder_.push_back(read_stage(w, "unet.encoder_stages." + std::to_string(l), l, temb));
  for (int64_t l = 0; l < 5; ++l) {
    down_.push_back(conv("unet.down_convs." + std::to_string(l), W[l + 1], W[l], 2));
    fuse_.push_back(conv("unet.fuse_convs." + std::to_string(l), W[l], W[l + 1] + W[l], 1));
    decoder_.push_back(read_stage(w, "unet.decoder_stages." + std::to_string(l), l, temb));
  }
  for (int64_t l = 0; l < 6; ++l) head_.push_back(conv("convs." + std::to_string(l), out_, W[l], 1));
}

UNet::Stage UNet::read_stage(WeightReader& w, const std::string& prefix, int64_t level, const at::Tensor& temb) const {
  const int64_t C = size_.widths[std::size_t(level)], E = size_.embed;
  Stage stage;
  for (int64_t b = 0; b < kBlocksPerLevel[std::size_t(level)]; ++b) {
    const std::string p = prefix + ".res_blocks." + std::to_string(b) + ".";
    ResBlock r;
    r.groups = std::min<int64_t>(C / 4, 32);
    r.norm1_w = w.take(p + "norm_1.weight", {C});
    r.norm1_b = w.take(p + "norm_1.bias", {C});
    r.conv1 = {w.take(p + "conv_1.weight", {C, C, 3, 3, 3}), w.take(p + "conv_1.bias", {C})};
    const auto time_bias = linear(at::silu(temb), w, p + "time_embed_proj.1", C, E).reshape({C});
    r.conv1.bias = r.conv1.bias + time_bias;
    r.norm2_w = w.take(p + "norm_2.weight", {C});
    r.norm2_b = w.take(p + "norm_2.bias", {C});
    r.conv2 = {w.take(p + "conv_2.weight", {C, C, 3, 3, 3}), w.take(p + "conv_2.bias", {C})};
    r.gamma = w.take(p + "ls.gamma", {C, 1, 1, 1});
    stage.push_back(std::move(r));
  }
  return stage;
}

void UNet::to(const c10::Device& device, at::ScalarType dtype) {
  auto move = [&](at::Tensor& t) { t = t.to(device, dtype).contiguous(); };
  auto move_conv = [&](Conv& c) { move(c.weight), move(c.bias); };
  auto move_stage = [&](Stage& s) {
    for (auto& r : s) {
      move(r.norm1_w), move(r.norm1_b), move(r.norm2_w), move(r.norm2_b), move(r.gamma);
      move_conv(r.conv1), move_conv(r.conv2);
    }
  };
  move_conv(stem_);
  for (auto& s : encoder_) move_stage(s);
  for (auto& s : decoder_) move_stage(s);
  for (auto* convs : {&down_, &fuse_, &head_})
    for (auto& c : *convs) move_conv(c);
}

at::Tensor UNet::run_stage(const Stage& stage, at::Tensor x) const {
  for (const auto& r : stage) {
    auto h = at::silu(at::group_norm(x, r.groups, r.norm1_w, r.norm1_b, 1e-5));
    h = at::conv3d(h, r.conv1.weight, r.conv1.bias, 1, 1);
    h = at::silu(at::group_norm(h, r.groups, r.norm2_w, r.norm2_b, 1e-5));
    h = at::conv3d(h, r.conv2.weight, r.conv2.bias, 1, 1);
    x = x + h * r.gamma;
  }
  return x;
}

at::Tensor UNet::forward(const at::Tensor& input) const {
  if (input.dim() != 5 || input.size(1) != in_)
    throw Error("UNet: expected input (B, " + std::to_string(in_) + ", H, W, S), got " + c10::str(input.sizes()));
  for (int64_t axis = 2; axis < 5; ++axis)
    if (input.size(axis) % kUNetSideMultiple != 0)
      throw Error("UNet: patch sides must be multiples of 32, got " + c10::str(input.sizes().slice(2)));

  at::Tensor x = at::conv3d(input, stem_.weight, stem_.bias, 1, 1);
  std::vector<at::Tensor> skips;
  for (std::size_t l = 0; l < 6; ++l) {
    if (l > 0) x = at::conv3d(x, down_[l - 1].weight, down_[l - 1].bias, 2);
    x = run_stage(encoder_[l], x);
    skips.push_back(x);
  }
  std::vector<at::Tensor> pyramid(6);
  pyramid[5] = x;
  for (int l = 4; l >= 0; --l) {
    const auto& skip = skips[std::size_t(l)];
    auto up = fit_to(at::upsample_nearest3d(x, doubled(x)), skip);
    x = at::conv3d(at::cat({up, skip}, 1), fuse_[std::size_t(l)].weight, fuse_[std::size_t(l)].bias);
    x = run_stage(decoder_[std::size_t(l)], x);
    pyramid[std::size_t(l)] = x;
  }
  skips.clear();
  at::Tensor y = at::conv3d(pyramid[5], head_[5].weight, head_[5].bias);
  for (int l = 4; l >= 0; --l) {
    const auto& p = pyramid[std::size_t(l)];
    y = fit_to(at::upsample_trilinear3d(y, doubled(y), /*align_corners=*/false), p);
    y = y + at::conv3d(p, head_[std::size_t(l)].weight, head_[std::size_t(l)].bias);
    pyramid[std::size_t(l)].reset();
  }
  return y;
}

double UNet::flops(const std::array<int64_t, 3>& roi) const {
  const auto& W = size_.widths;
  auto voxels = [&](int64_t level) {
    double n = 1;
    for (int64_t side : roi) n *= double(side >> level);
    return n;
  };
  auto conv = [](double n, int64_t co, int64_t ci, int64_t taps) { return 2.0 * n * double(co * ci * taps); };
  double f = conv(voxels(0), W[0], in_, 27);
  for (int64_t l = 0; l < 6; ++l) {
    const int64_t C = W[std::size_t(l)];
    const double blocks = kBlocksPerLevel[std::size_t(l)] * (l < 5 ? 2 : 1);  // encoder + decoder
    f += blocks * 2 * conv(voxels(l), C, C, 27);
    f += conv(voxels(l), out_, C, 1);  // head
    if (l < 5) {
      f += conv(voxels(l + 1), W[std::size_t(l + 1)], C, 8);                  // down
      f += conv(voxels(l), C, W[std::size_t(l + 1)] + C, 1);                  // fuse
    }
  }
  return f;
}

}  // namespace screener::torch_support
