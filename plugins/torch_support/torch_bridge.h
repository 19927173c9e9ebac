// Where a model runs and how its tensors cross the plugin boundary.
//
// A payload's core Tensor may hold a LibTorch tensor as its owner: the next
// model stage gets it back without a copy (and without leaving the GPU), so
// descriptor → condition → density never round-trip through host memory.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "screener/screener.h"

namespace screener::torch_support {

// "auto" (CUDA if present, else CPU), "cpu", "cuda", "cuda:N". Refuses CUDA
// where LibTorch has no CUDA or there is no such device.
c10::Device resolve_device(const std::string& spec);

// "fp32": IEEE fp32 throughout (the PyTorch reference's numbers, to 1e-4).
// "tf32": fp32 tensors, but CUDA's convolutions and matrix products round
//   their inputs to TF32 on the tensor cores (PyTorch's default for
//   convolutions on a GPU; several times faster, ~1e-3 relative error).
// "fp16", "bf16": half-precision tensors and arithmetic.
// All but fp32 are refused on the CPU, where LibTorch's 3-D convolutions are
// slow or missing for them.
struct Precision {
  at::ScalarType dtype = at::kFloat;
  bool tf32 = false;
};
Precision resolve_precision(const std::string& name, const c10::Device& device);
inline const std::vector<std::string>& all_precisions() {
  static const std::vector<std::string> names{"fp32", "tf32", "fp16", "bf16"};
  return names;
}
std::string device_name(const c10::Device& device);

// The tensor as a LibTorch tensor on `device` (no copy when it already is
// one there: the payload's owner keeps the memory alive).
at::Tensor to_aten(const Tensor& t, const c10::Device& device);

// A core Tensor that owns `t` (made contiguous; no copy if it is).
Tensor from_aten(at::Tensor t);

// The patches' data (each {C, roi}) stacked into (B, C, roi) on `device`, as
// `dtype` if given (else as they are).
at::Tensor stack_patches(const std::vector<const Patch*>& patches, const c10::Device& device,
                         c10::optional<at::ScalarType> dtype = c10::nullopt);
// A patch at `like`'s place carrying `data` ({C, roi}; stays where it is).
std::shared_ptr<Patch> patch_like(const Patch& like, at::Tensor data);

// The common parameters of every model stage. `precisions`: the ones the
// stage offers (a single one: no `precision` parameter, always that one).
void declare_device_params(StageSpec& spec, const std::vector<std::string>& precisions = all_precisions());
struct DeviceOptions {
  c10::Device device{c10::kCPU};
  at::ScalarType dtype = at::kFloat;
  bool tf32 = false;
  int threads = 1;  // LibTorch's intra-op threads for this stage
  bool deterministic = false;  // the same bytes whatever the timing (forward_items)
};
// Also sets LibTorch's intra-op threads: `threads`, 0 meaning the run's
// --threads; with `deterministic`, 0 means LibTorch's default
// (OMP_NUM_THREADS, else the CPUs this process may use), never --threads,
// because LibTorch's CPU kernels split their work, and so round, by their
// thread count. On the CPU, also keep_blas_on_the_calling_thread().
DeviceOptions read_device_params(const StageContext& ctx);

// OpenBLAS (the BLAS of Debian's LibTorch) runs a matrix product on a pool of
// its own threads, which spin in sched_yield between calls: beside the
// runtime's threads and LibTorch's OpenMP threads on the same cores they took
// a fifth of a `--threads 2` run (docs/performance.md). The stages' products
// already run side by side, so each runs on its caller's thread; the setting
// is process-wide, so the trainers get it too (their speed was not measured
// with and without it). An OPENBLAS_NUM_THREADS in the environment wins;
// another BLAS is left alone.
void keep_blas_on_the_calling_thread();

// LibTorch's intra-op thread count on the calling thread (OpenMP keeps one
// per thread, and the runtime's threads take turns running a stage, so each
// call sets it before computing).
void use_intra_op_threads(int threads);

// A batch of `n` items through the model: `forward(indices)` gives the
// outputs {indices.size(), ...} of those items. By default the call's items go
// as one batch. With `deterministic`, on the CPU they go one at a time with a
// fixed LibTorch thread count, because LibTorch's kernels (oneDNN's
// convolutions, the matrix products) give an item other bits in a batch of
// another size or on another number of threads, and how many items a call
// gets depends on timing (batch_timeout_ms, --threads): an item's output is
// then the same whatever call it came in, at a cost in speed
// (docs/reliability.md). Returns the items' outputs, each without the batch axis.
template <class Forward>
std::vector<at::Tensor> forward_items(const DeviceOptions& o, int64_t n, Forward&& forward) {
  if (o.deterministic) use_intra_op_threads(o.threads);
  std::vector<at::Tensor> items;
  items.reserve(std::size_t(n));
  const int64_t size = o.deterministic && o.device.is_cpu() ? 1 : std::max<int64_t>(1, n);
  for (int64_t first = 0; first < n; first += size) {
    std::vector<int64_t> indices;
    for (int64_t i = first; i < std::min(first + size, n); ++i) indices.push_back(i);
    const at::Tensor y = forward(indices);
    for (int64_t i = first; i < std::min(first + size, n); ++i) items.push_back(y[i - first]);
  }
  return items;
}

// The items of `all` at `indices`, for forward_items' callbacks.
template <class T>
std::vector<T> pick(const std::vector<T>& all, const std::vector<int64_t>& indices) {
  std::vector<T> out;
  out.reserve(indices.size());
  for (int64_t i : indices) out.push_back(all[std::size_t(i)]);
  return out;
}

// LibTorch's TF32 switch is process-wide, so the model stages that run fp32
// convolutions or matrix products on CUDA at the same time must agree on
// fp32 or tf32. While the returned claim lives the switch stays as `o` wants
// it; a claim that disagrees with a live one throws. Null where the switch
// does not matter (CPU, half precision).
std::shared_ptr<void> claim_tf32_switch(const DeviceOptions& o);

}  // namespace screener::torch_support
