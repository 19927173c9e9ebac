// The density models of SPEC §5 on pooled descriptor / condition maps, with
// the weights of docs/model_checkpoints.md. All compute in float32.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include <ATen/ATen.h>

#include "state_dict.h"

namespace screener::density {

class DensityModel {
 public:
  virtual ~DensityModel() = default;
  // y (B, D, h, w, s), c (B, Dc, h, w, s) → NLL per voxel in nats (B, 1, h, w, s).
  virtual at::Tensor nll(const at::Tensor& y, const at::Tensor& c) const = 0;
  virtual void to(const c10::Device& device) = 0;
  // Glow's ActNorm data initialisation (loc = −mean, log_scale = −log(std +
  // 1e-6), block after block) from a first batch; a no-op for the others.
  virtual void initialize_from_data(const at::Tensor& /*y*/, const at::Tensor& /*c*/) {}
  // Glow: whether inference on the CPU in float32 without gradients takes the
  // packed-GEMM path of glow_cpu_inference.h (the default) or LibTorch's ops
  // (for comparisons); a no-op for the others.
  virtual void set_packed_cpu_path(bool /*enabled*/) {}
  // Floating-point operations per pooled voxel (a multiply-add counts 2).
  virtual double flops_per_voxel() const = 0;
  int64_t descriptor_channels() const { return D_; }
  int64_t condition_channels() const { return Dc_; }  // 0: unconditional
  const std::string& name() const { return name_; }

 protected:
  DensityModel(std::string name, int64_t D, int64_t Dc) : name_(std::move(name)), D_(D), Dc_(Dc) {}

 private:
  std::string name_;
  int64_t D_, Dc_;
};

// `model`: gaussian, conditional_gaussian, glow, conditional_glow, or auto
// (told apart by the checkpoint's keys). A wrong checkpoint is refused with
// the list of missing, mis-shaped and unexpected keys.
std::unique_ptr<DensityModel> load_density_model(const std::filesystem::path& checkpoint, const std::string& model);

// The same from our layout or the authors' (glow_blocks.*, a bare state_dict
// or a Lightning .ckpt that also holds the descriptor under descriptor_model.),
// with what the checkpoint's hyper_parameters say beyond the weights.
struct DensityCheckpoint {
  std::unique_ptr<DensityModel> model;
  std::optional<std::vector<int64_t>> pool;  // hyper_parameters' pooling (authors_pooling)
  std::string layout;                        // "ours" or "authors" (glow_blocks.*)
};
DensityCheckpoint load_density_checkpoint(const std::filesystem::path& checkpoint, const std::string& model);

// Average pooling with kernel = stride = `pool` of (B, C, h, w, s) maps, in
// their own precision; C = 0 (condition_none) gives an empty map of the pooled size.
at::Tensor pool_maps(const at::Tensor& x, at::IntArrayRef pool);

struct DensityShape {
  int64_t descriptor = 32, condition = 0;  // D, Dc
  int64_t hidden = 64;                     // conditional Gaussian heads / coupling nets
  int64_t blocks = 64;                     // Glow
};
// A model of `kind` taking its weights from `w` (the tensors themselves: a
// trainer's parameters keep their gradients).
std::unique_ptr<DensityModel> make_density_model(torch_support::WeightReader& w, const std::string& kind,
                                                 const DensityShape& shape);

}  // namespace screener::density
