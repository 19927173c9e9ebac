#include "network.h"

#include <c10/core/InferenceMode.h>

#include "script_module.h"
#include "unet.h"

namespace screener::torch_support {

namespace {

class NativeUNet final : public Network {
 public:
  NativeUNet(const NetworkOptions& o, UNet net, std::string what)
      : Network(o.out_channels, o.device), net_(std::move(net)), what_(std::move(what)) {
    net_.use_channels_last(o.channels_last);
    net_.to(o.device.device, o.device.dtype);
    if (!o.reference_path) {  // a Network only infers
      net_.use_inference_path(true);
      net_.prepare_inference();
    }
  }
  double flops(const std::array<int64_t, 3>& roi) const override { return net_.flops(roi); }
  std::string describe() const override { return what_; }

 private:
  at::Tensor forward(const at::Tensor& x) const override { return net_.forward(x); }
  UNet net_;
  std::string what_;
};

class Scripted final : public Network {
 public:
  Scripted(const NetworkOptions& o)
      : Network(o.out_channels, o.device), model_(o.checkpoint, o.device.device, o.device.dtype),
        what_("TorchScript module " + o.checkpoint.filename().string()) {}
  double flops(const std::array<int64_t, 3>&) const override { return 0; }
  std::string describe() const override { return what_; }

 private:
  at::Tensor forward(const at::Tensor& x) const override { return model_.forward(x); }
  ScriptModel model_;
  std::string what_;
};

// The authors' Glow/DescriptorModel hyper_parameters that fix the network:
// in_channels, descriptor_dim and mode (their DescriptorModel is always the
// "base" UNet; `size` stays the stage's parameter).
void check_hyper_parameters(const NetworkOptions& o, const Json& hp) {
  if (!hp.is_object()) return;
  auto integer = [&](const char* key, int64_t want, const std::string& fix) {
    auto it = hp.find(key);
    if (it == hp.end() || it->is_null()) return;
    if (!it->is_number_integer() || it->get<int64_t>() != want)
      throw Error(o.checkpoint.string() + ": hyper_parameters." + key + " is " + it->dump() + ", but " + fix + " is " +
                  std::to_string(want));
  };
  integer("in_channels", o.in_channels, "the stage's input channel count");
  integer("descriptor_dim", o.out_channels, "the stage's output channel count (d_desc)");
  if (auto it = hp.find("mode"); it != hp.end() && it->is_string() && *it != "3d")
    throw Error(o.checkpoint.string() + ": hyper_parameters.mode is " + it->dump() + ": only \"3d\" models are supported");
}

}  // namespace

at::Tensor Network::operator()(const at::Tensor& x) const {
  c10::InferenceMode inference;
  at::Tensor y = forward(x);
  const auto want = std::vector<int64_t>{x.size(0), out_, x.size(2), x.size(3), x.size(4)};
  if (y.sizes() != at::IntArrayRef(want))
    throw Error(describe() + ": output " + c10::str(y.sizes()) + " for input " + c10::str(x.sizes()) +
                ", expected " + c10::str(at::IntArrayRef(want)));
  return y;
}

std::unique_ptr<Network> load_network(const NetworkOptions& o) {
  if (o.checkpoint.empty()) throw Error("no checkpoint given (parameter 'checkpoint')");
  const bool script = o.format == "torchscript" || (o.format == "auto" && is_torchscript(o.checkpoint));
  if (script) return std::make_unique<Scripted>(o);
  Checkpoint checkpoint = load_checkpoint(o.checkpoint);
  if (!o.module_prefix.empty() && has_prefix(checkpoint.weights, o.module_prefix)) {
    checkpoint.weights = select_prefix(checkpoint.weights, o.module_prefix);
    check_hyper_parameters(o, checkpoint.hyper_parameters);
  }
  WeightReader weights(std::move(checkpoint.weights), o.checkpoint, is_discarded_attention_key);
  UNet net(o.size, o.in_channels, o.out_channels, weights);
  const std::string what = "the '" + o.size + "' UNet with " + std::to_string(o.in_channels) + " input and " +
                           std::to_string(o.out_channels) + " output channels";
  weights.finish(what);
  return std::make_unique<NativeUNet>(o, std::move(net), what + " (" + o.checkpoint.filename().string() + ")");
}

void declare_network_params(StageSpec& spec, const std::string& out_key, int64_t out_default) {
  spec.text("checkpoint", "", "state_dict (torch.save), Lightning .ckpt or TorchScript file; required");
  spec.choice("format", {"auto", "state_dict", "torchscript"}, "auto", "Checkpoint kind; auto looks inside the file");
  spec.choice("size", {"micro", "tiny", "small", "base"}, "base", "UNet size of a state_dict checkpoint (micro: ours, not official)");
  spec.integer(out_key, out_default, "Output channels per voxel").range(1, 4096);
  declare_device_params(spec);
}

NetworkOptions read_network_params(const StageContext& ctx, const std::string& out_key, int64_t in_channels) {
  NetworkOptions o;
  o.checkpoint = ctx.params.get<std::string>("checkpoint");
  o.format = ctx.params.get<std::string>("format");
  o.size = ctx.params.get<std::string>("size");
  o.in_channels = in_channels;
  o.out_channels = ctx.params.get<int64_t>(out_key);
  o.device = read_device_params(ctx);
  return o;
}

}  // namespace screener::torch_support
