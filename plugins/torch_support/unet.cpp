#include "unet.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cmath>

#include "screener/error.h"
#include "unet_cpu_kernels.h"

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

template <class F> void UNet::for_each_conv(F&& f) {
  f(stem_);
  for (auto* stages : {&encoder_, &decoder_})
    for (auto& stage : *stages)
      for (auto& r : stage) f(r.conv1), f(r.conv2);
  for (auto* convs : {&down_, &fuse_, &head_})
    for (auto& c : *convs) f(c);
}

void UNet::to(const c10::Device& device, at::ScalarType dtype) {
  auto move = [&](at::Tensor& t) { t = t.to(device, dtype).contiguous(); };
  for (auto* stages : {&encoder_, &decoder_})
    for (auto& stage : *stages)
      for (auto& r : stage) move(r.norm1_w), move(r.norm1_b), move(r.norm2_w), move(r.norm2_b), move(r.gamma);
  for_each_conv([&](Conv& c) {
    move(c.weight), move(c.bias);
    c.packed = at::Tensor();
  });
  use_channels_last(channels_last_);
}

void UNet::use_channels_last(bool on) {
  channels_last_ = on;
  const auto format = on ? at::MemoryFormat::ChannelsLast3d : at::MemoryFormat::Contiguous;
  for_each_conv([&](Conv& c) { c.weight = c.weight.contiguous(format); });
}

void UNet::prepare_inference() {
  if (channels_last_ || !at::hasMKLDNN() || !stem_.weight.is_cpu() || stem_.weight.scalar_type() != at::kFloat) return;
  auto pack = [](Conv& c, int64_t padding, int64_t stride) {
    if (c.weight.size(2) == 1) return;  // 1×1×1: matrix products (forward_inference)
    c.packed = at::mkldnn_reorder_conv3d_weight(c.weight.to_mkldnn(), {padding, padding, padding},
                                                {stride, stride, stride}, {1, 1, 1}, 1);
  };
  try {
    pack(stem_, 1, 1);
    for (auto* stages : {&encoder_, &decoder_})
      for (auto& stage : *stages)
        for (auto& r : stage) pack(r.conv1, 1, 1), pack(r.conv2, 1, 1);
    for (auto& c : down_) pack(c, 0, 2);
    // A dense input with a packed weight: what forward_inference() asks of this LibTorch.
    at::mkldnn_convolution(at::zeros({1, in_, 4, 4, 4}), stem_.packed, stem_.bias, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1);
  } catch (const c10::Error&) {  // a LibTorch whose oneDNN convolution takes no packed weights: reorder per call
    for_each_conv([](Conv& c) { c.packed = at::Tensor(); });
  }
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

namespace {

void check_input(const at::Tensor& input, int64_t in) {
  if (input.dim() != 5 || input.size(1) != in)
    throw Error("UNet: expected input (B, " + std::to_string(in) + ", H, W, S), got " + c10::str(input.sizes()));
  for (int64_t axis = 2; axis < 5; ++axis)
    if (input.size(axis) % kUNetSideMultiple != 0)
      throw Error("UNet: patch sides must be multiples of 32, got " + c10::str(input.sizes().slice(2)));
}

}  // namespace

bool UNet::takes_inference_path(const at::Tensor& x) const {
  return inference_path_ && !c10::GradMode::is_enabled() && !channels_last_ && x.is_cpu() && x.scalar_type() == at::kFloat &&
         stem_.weight.is_cpu() && stem_.weight.scalar_type() == at::kFloat && at::hasMKLDNN() &&
         at::globalContext().userEnabledMkldnn();
}

at::Tensor UNet::forward(const at::Tensor& input) const {
  check_input(input, in_);
  return takes_inference_path(input) ? forward_inference(input) : forward_reference(input);
}

at::Tensor UNet::forward_reference(const at::Tensor& input_any) const {
  check_input(input_any, in_);
  const at::Tensor input = channels_last_ ? input_any.contiguous(at::MemoryFormat::ChannelsLast3d) : input_any;
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

namespace {

// GroupNorm (eps 1e-5) then SiLU of `x` (B, C, …), contiguous fp32, into
// `out` (which may be `x`): one pass for the moments, one for the output.
// The same bits whatever the thread count: each group's moments are summed
// over fixed blocks in a fixed order.
void group_norm_silu(const at::Tensor& x, const at::Tensor& out, int64_t groups, const at::Tensor& weight,
                     const at::Tensor& bias) {
  constexpr int64_t kBlock = int64_t(1) << 15;
  const int64_t B = x.size(0), C = x.size(1), N = x.numel() / (B * C), per_group = C / groups * N;
  const int64_t blocks = (per_group + kBlock - 1) / kBlock;
  const float* xp = x.data_ptr<float>();
  std::vector<unet_kernels::Moments> parts(std::size_t(B * groups * blocks));
  // At least ~64 k values a thread: on the coarse levels the threads' hand-over costs more than the work.
  auto grain = [](int64_t values_per_item) { return std::max<int64_t>(1, (int64_t(1) << 16) / values_per_item); };
  at::parallel_for(0, int64_t(parts.size()), grain(std::min(kBlock, per_group)), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t start = (i % blocks) * kBlock;
      parts[std::size_t(i)] = unet_kernels::moments(xp + (i / blocks) * per_group + start, std::min(kBlock, per_group - start));
    }
  });
  // Rows (item, channel) in order: group g of item b holds rows b·C + (g mod groups)·C/groups + j.
  std::vector<float> scale(std::size_t(B * C)), shift(std::size_t(B * C));
  const float* w = weight.data_ptr<float>();
  const float* b = bias.data_ptr<float>();
  const int64_t per = C / groups;
  for (int64_t g = 0; g < B * groups; ++g) {
    double sum = 0, squares = 0;
    for (int64_t k = 0; k < blocks; ++k) {
      sum += parts[std::size_t(g * blocks + k)].sum;
      squares += parts[std::size_t(g * blocks + k)].squares;
    }
    const double mean = sum / double(per_group);
    const double rstd = 1.0 / std::sqrt(std::max(0.0, squares / double(per_group) - mean * mean) + 1e-5);
    for (int64_t j = 0; j < per; ++j) {
      const int64_t c = (g % groups) * per + j;
      const double a = double(w[c]) * rstd;
      scale[std::size_t(g * per + j)] = float(a);
      shift[std::size_t(g * per + j)] = float(double(b[c]) - mean * a);
    }
  }
  const int64_t row_blocks = (N + kBlock - 1) / kBlock;
  float* yp = out.data_ptr<float>();
  at::parallel_for(0, B * C * row_blocks, grain(std::min(kBlock, N)), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t row = i / row_blocks, start = (i % row_blocks) * kBlock;
      unet_kernels::scale_shift_silu(xp + row * N + start, yp + row * N + start, std::min(kBlock, N - start),
                                     scale[std::size_t(row)], shift[std::size_t(row)]);
    }
  });
}

at::Tensor conv_inference(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& packed,
                          const at::Tensor& bias, int64_t padding, int64_t stride) {
  return at::mkldnn_convolution(x, packed.defined() ? packed : weight, bias, {padding, padding, padding},
                                {stride, stride, stride}, {1, 1, 1}, 1);
}

// y (B, Co, …) += w (Co, Ci) · x (B, Ci, …), item by item, in place: a 1×1×1
// convolution as one matrix product (oneDNN's 1×1×1 convolution plus the add
// cost ~10× more at the finest level).
void add_pointwise(const at::Tensor& y, const at::Tensor& x, const at::Tensor& w) {
  for (int64_t i = 0; i < x.size(0); ++i) {
    at::Tensor rows = y[i].view({y.size(1), -1});
    rows.addmm_(w, x[i].view({x.size(1), -1}));
  }
}

at::Tensor pointwise(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias) {
  std::vector<int64_t> sizes(x.sizes().begin(), x.sizes().end());
  sizes[1] = w.size(0);
  // A fresh tensor: on a 1×1×1 grid of one item the expanded bias is already
  // contiguous, and .contiguous() would hand back the bias itself to add into.
  at::Tensor y = at::empty(sizes, x.options());
  y.copy_(bias.view({1, -1, 1, 1, 1}).expand(sizes));
  add_pointwise(y, x, w);
  return y;
}

}  // namespace

at::Tensor UNet::run_stage_inference(const Stage& stage, at::Tensor x) const {
  // One buffer for the blocks' first norms: each fresh tensor of this size
  // costs page faults (glibc maps and unmaps blocks over 32 MB).
  const at::Tensor normed = at::empty_like(x);
  for (const auto& r : stage) {
    group_norm_silu(x, normed, r.groups, r.norm1_w, r.norm1_b);
    at::Tensor h = conv_inference(normed, r.conv1.weight, r.conv1.packed, r.conv1.bias, 1, 1);
    group_norm_silu(h, h, r.groups, r.norm2_w, r.norm2_b);
    h = conv_inference(h, r.conv2.weight, r.conv2.packed, r.conv2.bias, 1, 1);
    x.addcmul_(h, r.gamma);  // x is this pass's own tensor: the residual added in place
  }
  return x;
}

at::Tensor UNet::forward_inference(const at::Tensor& input) const {
  at::Tensor x = conv_inference(input.contiguous(), stem_.weight, stem_.packed, stem_.bias, 1, 1);
  std::vector<at::Tensor> skips;
  for (std::size_t l = 0; l < 6; ++l) {
    if (l > 0) x = conv_inference(x, down_[l - 1].weight, down_[l - 1].packed, down_[l - 1].bias, 0, 2);
    x = run_stage_inference(encoder_[l], x);
    skips.push_back(x);
  }
  std::vector<at::Tensor> pyramid(6);
  pyramid[5] = x;
  for (int l = 4; l >= 0; --l) {
    // fuse(cat(up(x), skip)) = W_up·up(x) + W_skip·skip + b, and W_up·up(x) + b
    // = up(W_up·x + b) for nearest-neighbour up: that part on the coarse grid, no concatenation.
    const auto& skip = skips[std::size_t(l)];
    const auto& fuse = fuse_[std::size_t(l)];
    const auto w = fuse.weight.view({fuse.weight.size(0), -1});
    const int64_t coarse = x.size(1);
    auto fused = fit_to(at::upsample_nearest3d(pointwise(x, w.narrow(1, 0, coarse), fuse.bias), doubled(x)), skip)
                     .contiguous();
    add_pointwise(fused, skip, w.narrow(1, coarse, skip.size(1)));
    x = run_stage_inference(decoder_[std::size_t(l)], fused);
    pyramid[std::size_t(l)] = x;
  }
  skips.clear();
  // The head's biases are constants, which trilinear upsampling and replicate
  // padding keep: all of them are added on the coarsest grid.
  at::Tensor bias = head_[5].bias.clone();
  for (int l = 4; l >= 0; --l) bias += head_[std::size_t(l)].bias;
  at::Tensor y = pointwise(pyramid[5], head_[5].weight.view({out_, -1}), bias);
  for (int l = 4; l >= 0; --l) {
    const auto& p = pyramid[std::size_t(l)];
    y = fit_to(at::upsample_trilinear3d(y, doubled(y), /*align_corners=*/false), p).contiguous();
    add_pointwise(y, p, head_[std::size_t(l)].weight.view({out_, -1}));
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
