// Checkpoints: PyTorch state_dicts written by torch.save, and TorchScript
// modules, read without Python.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "screener/spec.h"  // Json

namespace screener::torch_support {

using StateDict = std::map<std::string, at::Tensor>;

struct Checkpoint {
  StateDict weights;       // float32, contiguous, on the CPU
  Json hyper_parameters;   // a Lightning checkpoint's, null otherwise
};

// Reads a torch.save'd state_dict, a dict holding one under "state_dict" or
// "model", or a Lightning .ckpt (state_dict + hyper_parameters + optimizer
// states, loops, callbacks: those are parsed, never built). Hostile sizes are
// refused before allocating (limits in zip_archive.h, state_dict_unpickler.h).
// Errors name the file.
Checkpoint load_checkpoint(const std::filesystem::path& file);
StateDict load_state_dict(const std::filesystem::path& file);

// True for a TorchScript archive (torch.jit.save), false for a state_dict.
bool is_torchscript(const std::filesystem::path& file);

// Hands a model its weights by name, collecting every missing, mis-shaped and
// unexpected key so that a wrong checkpoint is refused with the whole list
// rather than the first problem.
class WeightReader {
 public:
  // Keys for which `ignore` is true are neither expected nor unexpected.
  WeightReader(StateDict weights, std::filesystem::path file,
               std::function<bool(const std::string&)> ignore = [](const std::string&) { return false; });

  // Makes the tensor of a missing key instead of recording it as missing:
  // how a trainer gets fresh parameters from the model's own loading code.
  using Maker = std::function<at::Tensor(const std::string& key, at::IntArrayRef shape)>;
  void make_missing_with(Maker maker) { maker_ = std::move(maker); }
  const StateDict& weights() const { return weights_; }

  // The tensor under `key`, which must have `shape` (float32 on the CPU).
  // A problem is recorded and an empty tensor of `shape` returned.
  at::Tensor take(const std::string& key, at::IntArrayRef shape);
  // The shape of `key`, to size a model from its checkpoint; empty if absent.
  std::vector<int64_t> shape_of(const std::string& key) const;
  bool has(const std::string& key) const { return weights_.count(key) != 0; }
  // All keys starting with `prefix`.
  std::vector<std::string> keys_with_prefix(const std::string& prefix) const;
  // Throws Error listing every problem, if any. `what` names the model.
  void finish(const std::string& what);
  // How a key is named in the file, for the lists finish() prints, when the
  // model reads a translation of the file's layout (density's authors_glow).
  void name_keys_with(std::function<std::string(const std::string&)> in_file) { in_file_ = std::move(in_file); }

 private:
  std::string named(const std::string& key) const;
  StateDict weights_;
  std::filesystem::path file_;
  std::function<bool(const std::string&)> ignore_;
  Maker maker_;
  std::function<std::string(const std::string&)> in_file_;
  std::map<std::string, bool> taken_;
  std::vector<std::string> missing_, misshaped_;
};

// Drops `prefix` from every key that has it (e.g. "module." from DataParallel).
StateDict strip_prefix(StateDict weights, const std::string& prefix);
// Only the keys starting with `prefix`, without it (one module of a Lightning
// checkpoint, e.g. "descriptor_model.").
StateDict select_prefix(const StateDict& weights, const std::string& prefix);
bool has_prefix(const StateDict& weights, const std::string& prefix);

}  // namespace screener::torch_support
