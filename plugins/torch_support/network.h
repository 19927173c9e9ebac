// The network behind a descriptor or a learned condition: the native
// official UNet loaded from a state_dict, or any TorchScript module with the
// same contract ((B, in, H, W, S) → (B, out, H, W, S)).
#pragma once
#include <array>
#include <filesystem>
#include <memory>
#include <string>

#include <ATen/ATen.h>

#include "screener/screener.h"
#include "torch_bridge.h"

namespace screener::torch_support {

struct NetworkOptions {
  std::filesystem::path checkpoint;
  std::string format = "auto";  // auto, state_dict, torchscript
  std::string size = "base";    // native UNet only
  int64_t in_channels = 1;
  int64_t out_channels = 32;
  DeviceOptions device;
  // Where the network's weights sit in a checkpoint holding several modules
  // (the authors' Lightning .ckpt: "descriptor_model."); used when the
  // checkpoint has keys with this prefix, ignored otherwise.
  std::string module_prefix;
  // Native UNet only: NDHWC weights and inputs (for cuDNN; bench_models --channels-last).
  bool channels_last = false;
  // Native UNet only: UNet::forward_reference() always, with no packed
  // weights (bench_models --reference: the path of before issue 17). Off, a
  // Network takes the inference path where UNet::takes_inference_path().
  bool reference_path = false;
};

class Network {
 public:
  virtual ~Network() = default;
  // Under inference mode; checks the output's shape against the contract.
  at::Tensor operator()(const at::Tensor& x) const;
  // Convolution FLOPs per input of `roi`; 0 when unknown (TorchScript).
  virtual double flops(const std::array<int64_t, 3>& roi) const = 0;
  virtual std::string describe() const = 0;
  int64_t out_channels() const { return out_; }

 protected:
  Network(int64_t out, const DeviceOptions& device) : out_(out), tf32_claim_(claim_tf32_switch(device)) {}
  virtual at::Tensor forward(const at::Tensor& x) const = 0;

 private:
  int64_t out_;
  std::shared_ptr<void> tf32_claim_;
};

std::unique_ptr<Network> load_network(const NetworkOptions& options);

// The parameters a network-backed stage declares, and reading them back.
void declare_network_params(StageSpec& spec, const std::string& out_key, int64_t out_default);
NetworkOptions read_network_params(const StageContext& ctx, const std::string& out_key, int64_t in_channels);

}  // namespace screener::torch_support
