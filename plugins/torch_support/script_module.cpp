#include "script_module.h"

#include <torch/script.h>

#include "screener/error.h"

namespace screener::torch_support {

struct ScriptModel::Impl {
  mutable torch::jit::Module module;
  std::string file;
};

ScriptModel::ScriptModel(const std::filesystem::path& file, const c10::Device& device, at::ScalarType dtype)
    : impl_(std::make_unique<Impl>()) {
  impl_->file = file.string();
  try {
    impl_->module = torch::jit::load(file.string(), device);
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw Error(file.string() + ": cannot load the TorchScript module: " + what.substr(0, what.find('\n')));
  }
  impl_->module.eval();
  impl_->module.to(dtype);
}

ScriptModel::~ScriptModel() = default;

at::Tensor ScriptModel::forward(const at::Tensor& x) const {
  torch::NoGradGuard no_grad;
  c10::IValue out;
  try {
    out = impl_->module.forward({x});
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw Error(impl_->file + ": the TorchScript module failed on input " + c10::str(x.sizes()) + ": " +
                what.substr(0, what.find('\n')));
  }
  if (!out.isTensor()) throw Error(impl_->file + ": the TorchScript module must return one tensor");
  return out.toTensor();
}

}  // namespace screener::torch_support
