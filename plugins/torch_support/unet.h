// The official Screener UNet (SPEC §3), written with LibTorch's functional
// operators so that its weights come straight from the authors' state_dict
// keys (docs/model_checkpoints.md). Used by the descriptor and the learned
// condition.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "state_dict.h"

namespace screener::torch_support {

struct UNetSize {
  std::array<int64_t, 6> widths;
  int64_t embed;  // time-embedding width E
};
// "tiny", "small" or "base".
UNetSize unet_size(const std::string& name);
inline constexpr std::array<int64_t, 6> kBlocksPerLevel{1, 1, 2, 2, 4, 4};
// Input sides must be multiples of this (five stride-2 levels).
inline constexpr int64_t kUNetSideMultiple = 32;

// True for keys of blocks the official forward pass computes and discards.
bool is_discarded_attention_key(const std::string& key);

class UNet {
 public:
  // Takes its weights from `weights`; the caller runs weights.finish() to
  // refuse a checkpoint with missing, mis-shaped or unexpected keys.
  UNet(const std::string& size, int64_t in_channels, int64_t out_channels, WeightReader& weights);

  // Also undoes prepare_inference().
  void to(const c10::Device& device, at::ScalarType dtype);
  // (B, in, H, W, S) → (B, out, H, W, S); sides multiples of 32. Where
  // takes_inference_path() (asked for, no autograd, CPU, fp32, oneDNN) the
  // inference path, else forward_reference(); the two agree to ~1e-6 relative.
  at::Tensor forward(const at::Tensor& x) const;
  // The operators of the PyTorch reference, one for one: training, other
  // devices and precisions, and the check of the inference path.
  at::Tensor forward_reference(const at::Tensor& x) const;
  bool takes_inference_path(const at::Tensor& x) const;
  // The CPU fp32 inference path is off unless asked for (a Network asks;
  // training has autograd on and never takes it).
  void use_inference_path(bool on) { inference_path_ = on; }
  // For inference-only use, after to(): packs the 3×3×3 and 2×2×2
  // convolutions' weights into oneDNN's layout once (else each call reorders
  // them), at the cost of a second copy of those weights. A no-op off the
  // CPU, in other precisions, or where this LibTorch cannot take them.
  void prepare_inference();
  // NDHWC (channels-last-3d) weights and inputs, for cuDNN; the CPU then
  // takes forward_reference() (on this CPU oneDNN was slower in NDHWC:
  // docs/performance.md).
  void use_channels_last(bool on);
  // Floating-point operations of the convolutions for one input of `roi`
  // (a multiply-add counts 2; norms and activations are < 1% and left out).
  double flops(const std::array<int64_t, 3>& roi) const;

  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }

 private:
  struct Conv {
    at::Tensor weight, bias;
    at::Tensor packed;  // weight in oneDNN's layout (prepare_inference), else undefined
  };
  struct ResBlock {
    at::Tensor norm1_w, norm1_b, norm2_w, norm2_b, gamma;
    Conv conv1, conv2;  // conv1's bias includes the constant time-embedding bias
    int64_t groups;
  };
  using Stage = std::vector<ResBlock>;

  Stage read_stage(WeightReader& w, const std::string& prefix, int64_t level, const at::Tensor& temb) const;
  at::Tensor run_stage(const Stage& stage, at::Tensor x) const;
  template <class F> void for_each_conv(F&& f);
  at::Tensor forward_inference(const at::Tensor& x) const;
  at::Tensor run_stage_inference(const Stage& stage, at::Tensor x) const;

  UNetSize size_;
  int64_t in_, out_;
  Conv stem_;
  std::vector<Stage> encoder_, decoder_;  // decoder_[l] for levels 0…4
  std::vector<Conv> down_, fuse_, head_;
  bool channels_last_ = false;
  bool inference_path_ = false;
};

}  // namespace screener::torch_support
