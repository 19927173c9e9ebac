// The context-encoding VAE (ceVAE, Zimmerer et al. 2019; the thesis §3.2.3)
// in 3D: its network, its training objective and its voxel scores. Keys and
// forward pass: tests/reference/cevae_reference.py. All compute in float32.
#pragma once
#include <array>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "state_dict.h"

namespace screener::cevae {

struct CeVaeShape {
  std::vector<int64_t> widths{16, 32, 64, 128};  // feature maps of each stride-2 level
  int64_t latent = 128;                          // z: a 1×1×1 latent of this many channels
  std::array<int64_t, 3> roi{32, 32, 32};        // the patch side; multiples of 2^levels
};
// Throws Error naming the problem when `shape` cannot be built.
void check_shape(const CeVaeShape& shape);

// The network: enc.{i} (Conv3d k4 s2 p1) → enc_out (to 2·latent: μ, log σ);
// dec_in (ConvTranspose3d to the bottom size) → dec.{i} → dec_out; LeakyReLU
// 0.01 between; no biases (the MOOD example code's BasicEncoder/Generator).
class CeVae {
 public:
  // Takes its weights from `w`; the caller runs w.finish() to refuse a
  // checkpoint with missing, mis-shaped or unexpected keys.
  CeVae(torch_support::WeightReader& w, const CeVaeShape& shape);
  void to(const c10::Device& device);
  // x (B, 1, roi) in the model's range [-1, 1] → μ, log σ (B, latent, 1, 1, 1).
  std::pair<at::Tensor, at::Tensor> encode(const at::Tensor& x) const;
  // z (B, latent, 1, 1, 1) → (B, 1, roi).
  at::Tensor decode(const at::Tensor& z) const;
  const CeVaeShape& shape() const { return shape_; }
  // Convolution FLOPs of one encode + decode of a patch (a multiply-add counts 2).
  double flops_per_patch() const;

 private:
  CeVaeShape shape_;
  std::vector<at::Tensor> enc_, dec_;
  at::Tensor enc_out_, dec_in_, dec_out_;
};

// A preprocessed patch in [0, 1] → the model's range [-1, 1] (as the MOOD code: data·2 − 1).
inline at::Tensor to_model_range(const at::Tensor& patch) { return patch * 2 - 1; }

// KL(N(μ, σ²) ‖ N(0, I)) averaged over the latent dimensions, per sample (B).
at::Tensor kl_per_sample(const at::Tensor& mu, const at::Tensor& log_std);

// The ceVAE objective (thesis eq. 3.13 with the MOOD code's weights):
// (1 − ce_factor)·(β·KL + |g(z) − x|₁) + ce_factor·|g(μ(x̃)) − x|₁, means over
// voxels and samples; z = μ + σ·eps. x, x_noisy in the model's range.
struct Loss {
  at::Tensor total;
  double kl, rec_vae, rec_ce;
};
Loss training_loss(const CeVae& model, const at::Tensor& x, const at::Tensor& x_noisy, const at::Tensor& eps,
                   double beta, double ce_factor);

// Context-encoding noise: per sample, a number of boxes drawn in
// [min_boxes, max_boxes], each a cube of side drawn in [1, max_side·roi]
// (clipped to each axis) at a random place, filled with one value drawn
// uniformly in [min x, max x] of the batch. Returns the noisy batch; `mask`,
// if given, receives where it differs by construction (bool, like x).
struct BoxNoise {
  int64_t min_boxes = 1, max_boxes = 3;
  double max_side = 0.5;
};
at::Tensor context_noise(const at::Tensor& x, const BoxNoise& noise, at::Generator& gen, at::Tensor* mask = nullptr);

// The voxel scores of the thesis (§3.1.3, eq. 3.16): the reconstruction error
// |x − g(μ(x))|, the KL gradient |∂KL/∂x| smoothed by a Gaussian of σ
// `sigma` voxels (kernel 2⌈σ⌉+1, zero padding, as the MOOD code's
// smooth_tensor), and their product ("combi").
enum class Score { rec, kl_grad, combi };
Score parse_score(const std::string& name);
// patch (B, 1, roi) in [0, 1] → (B, 1, roi). Needs autograd for kl_grad and combi.
at::Tensor score(const CeVae& model, const at::Tensor& patch, Score which, double sigma);
at::Tensor gaussian_smooth(const at::Tensor& v, double sigma);

}  // namespace screener::cevae
