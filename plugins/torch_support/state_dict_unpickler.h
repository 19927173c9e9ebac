// Reads the pickle inside a torch.save zip archive: the state_dict's tensors
// and, in a Lightning checkpoint, its hyper_parameters.
//
// LibTorch's own unpickler (torch::pickle_load) turns collections.OrderedDict,
// which is what Module.state_dict() returns, into None (pytorch/pytorch#100741,
// fixed only in 2.6), so a state_dict saved the usual way cannot be read with
// it from LibTorch 1.13. This reader runs the pickle opcodes torch.save writes
// (protocols 2–5: dicts, OrderedDicts, lists, tuples, sets, strings, bytes,
// numbers, None, bools, tensors, parameters) without running any Python: an
// instance of any other class becomes an opaque object named by its type, which
// is an error only where weights are expected (a pickled nn.Module). Storages
// are read from the archive only for the tensors returned, after every size,
// stride and offset is checked against the record's real size.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <ATen/ATen.h>

#include "screener/spec.h"  // Json
#include "zip_archive.h"

namespace screener::torch_support {

// Limits on what a pickle may claim (docs/reliability.md, docs/model_checkpoints.md).
struct PickleLimits {
  static constexpr uint64_t max_pickle_bytes = uint64_t(64) << 20;  // data.pkl
  static constexpr uint64_t max_objects = uint64_t(1) << 22;        // values + container items; stack; marks
  static constexpr int max_depth = 32;                              // nesting of hyper_parameters
  static constexpr std::size_t max_dims = 32;                       // tensor dimensions
  // The state_dict's tensors hold at most (file bytes + this) elements in all.
  static constexpr uint64_t extra_elements = uint64_t(1) << 20;
};

struct CheckpointContents {
  // The state_dict: the top-level dict's tensors, or those of its "state_dict"
  // (Lightning, training checkpoints) or "model" entry. On the CPU, contiguous.
  std::map<std::string, at::Tensor> tensors;
  // The top-level "hyper_parameters" dict (Lightning) as JSON: tuples and sets
  // become arrays, None null, non-string keys strings, other objects
  // "<object TYPE>"; null when there is none.
  Json hyper_parameters;
  // "state_dict", or the top-level entry the weights came from.
  std::string weights_from = "state_dict";
};

// Errors say what is wrong without the file name (the caller adds it).
CheckpointContents read_checkpoint_archive(const ZipArchive& archive);

}  // namespace screener::torch_support
