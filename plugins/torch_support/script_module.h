// A user's own network as a TorchScript module (torch.jit.save). Kept behind
// an opaque pointer: torch/script.h is the costliest header to compile.
#pragma once
#include <filesystem>
#include <memory>

#include <ATen/ATen.h>

namespace screener::torch_support {

class ScriptModel {
 public:
  ScriptModel(const std::filesystem::path& file, const c10::Device& device, at::ScalarType dtype);
  ~ScriptModel();
  // forward(x) of the module; it must return one tensor.
  at::Tensor forward(const at::Tensor& x) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace screener::torch_support
