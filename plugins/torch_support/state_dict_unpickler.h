// Reads the pickle inside a torch.save zip archive into name → tensor.
//
// LibTorch's own unpickler (torch::pickle_load) turns collections.OrderedDict,
// which is what Module.state_dict() returns, into None (pytorch/pytorch#100741,
// fixed only in 2.6), so a state_dict saved the usual way cannot be read with
// it from LibTorch 1.13. This reader understands the subset of pickle that
// torch.save writes for state_dicts and training checkpoints: dicts (ordered
// or not), lists, tuples, strings, numbers, tensors and parameters; any other
// object is refused by name.
#pragma once
#include <filesystem>
#include <map>
#include <string>

#include <ATen/ATen.h>

namespace screener::torch_support {

// Every tensor of the archive's top-level dict, or of its "state_dict" /
// "model" entry when that is a dict. Tensors are on the CPU, as saved.
std::map<std::string, at::Tensor> read_state_dict_archive(const std::filesystem::path& file);

}  // namespace screener::torch_support
