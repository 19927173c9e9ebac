// Where a model runs and how its tensors cross the plugin boundary.
//
// A payload's core Tensor may hold a LibTorch tensor as its owner: the next
// model stage gets it back without a copy (and without leaving the GPU), so
// descriptor → condition → density never round-trip through host memory.
#pragma once
#include <string>

#include <ATen/ATen.h>

#include "screener/screener.h"

namespace screener::torch_support {

// "auto" (CUDA if present, else CPU), "cpu", "cuda", "cuda:N". Refuses CUDA
// where LibTorch has no CUDA or there is no such device.
c10::Device resolve_device(const std::string& spec);

// "fp32", "fp16", "bf16". Half precisions are refused on the CPU, where
// LibTorch's 3-D convolutions are slow or missing for them.
at::ScalarType resolve_precision(const std::string& name, const c10::Device& device);
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

// The common parameters of every model stage.
// `precision`: whether the stage offers fp16/bf16 (else it always computes fp32).
void declare_device_params(StageSpec& spec, bool precision = true);
struct DeviceOptions {
  c10::Device device{c10::kCPU};
  at::ScalarType dtype = at::kFloat;
};
// Also sets LibTorch's intra-op threads (it uses 1 unless told).
DeviceOptions read_device_params(const StageContext& ctx);

}  // namespace screener::torch_support
