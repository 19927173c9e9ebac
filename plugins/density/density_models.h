// The density models of SPEC §5 on pooled descriptor / condition maps, with
// the weights of docs/model_checkpoints.md. All compute in float32.
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include <ATen/ATen.h>

namespace screener::density {

class DensityModel {
 public:
  virtual ~DensityModel() = default;
  // y (B, D, h, w, s), c (B, Dc, h, w, s) → NLL per voxel in nats (B, 1, h, w, s).
  virtual at::Tensor nll(const at::Tensor& y, const at::Tensor& c) const = 0;
  virtual void to(const c10::Device& device) = 0;
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

}  // namespace screener::density
