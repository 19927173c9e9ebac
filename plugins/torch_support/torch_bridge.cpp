#include "torch_bridge.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include <dlfcn.h>

#include <ATen/Parallel.h>
#include <ATen/Context.h>

namespace screener::torch_support {

namespace {

DType dtype_from_aten(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return DType::float32;
    case at::kDouble: return DType::float64;
    case at::kHalf: return DType::float16;
    case at::kBFloat16: return DType::bfloat16;
    case at::kShort: return DType::int16;
    case at::kInt: return DType::int32;
    case at::kLong: return DType::int64;
    case at::kByte: return DType::uint8;
    default: throw Error(std::string("tensor type ") + c10::toString(t) + " cannot be handed to other stages");
  }
}

at::ScalarType aten_from_dtype(DType t) {
  switch (t) {
    case DType::float32: return at::kFloat;
    case DType::float64: return at::kDouble;
    case DType::float16: return at::kHalf;
    case DType::bfloat16: return at::kBFloat16;
    case DType::int16: return at::kShort;
    case DType::int32: return at::kInt;
    case DType::int64: return at::kLong;
    case DType::uint8: return at::kByte;
    case DType::uint16: break;
  }
  throw Error(std::string("a ") + dtype_name(t) + " tensor cannot be given to LibTorch");
}

// LibTorch's count before any stage set one.
int default_intra_op_threads() {
  static const int threads = [] {
    at::internal::lazy_init_num_threads();
    return std::max(1, at::get_num_threads());
  }();
  return threads;
}

c10::Device aten_device(const Device& d) {
  return d.is_cpu() ? c10::Device(c10::kCPU) : c10::Device(c10::kCUDA, c10::DeviceIndex(d.index));
}

}  // namespace

c10::Device resolve_device(const std::string& spec) {
  const bool cuda = at::hasCUDA();
  if (spec == "auto") return cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  Device d;
  try {
    d = Device::parse(spec);
  } catch (const std::exception&) {
    throw Error("device '" + spec + "': expected auto, cpu, cuda or cuda:N");
  }
  if (d.is_cpu()) return c10::kCPU;
  if (!cuda) throw Error("device '" + spec + "': this LibTorch has no CUDA or no GPU is present (use cpu or auto)");
  const int count = int(at::getNumGPUs());
  if (d.index >= count)
    throw Error("device '" + spec + "': only " + std::to_string(count) + " CUDA device(s) present");
  return c10::Device(c10::kCUDA, c10::DeviceIndex(d.index));
}

Precision resolve_precision(const std::string& name, const c10::Device& device) {
  if (name == "fp32") return {};
  Precision p;
  if (name == "tf32")
    p.tf32 = true;
  else if (name == "fp16")
    p.dtype = at::kHalf;
  else if (name == "bf16")
    p.dtype = at::kBFloat16;
  else
    throw Error("precision '" + name + "': expected fp32, tf32, fp16 or bf16");
  if (!device.is_cuda()) throw Error("precision " + name + " needs a CUDA device (the CPU runs fp32)");
  return p;
}

std::shared_ptr<void> claim_tf32_switch(const DeviceOptions& o) {
  if (!o.device.is_cuda() || o.dtype != at::kFloat) return nullptr;
  static std::mutex mutex;
  static int holders = 0;
  static bool tf32 = false;
  const auto name = [](bool t) { return std::string(t ? "tf32" : "fp32"); };
  std::lock_guard<std::mutex> lock(mutex);
  if (holders > 0 && tf32 != o.tf32)
    throw Error("precision " + name(o.tf32) + " on CUDA while another model stage runs " + name(tf32) +
                ": LibTorch's TF32 switch is process-wide, so give every fp32 model stage on CUDA the same "
                "precision (fp16 and bf16 stages may differ)");
  if (holders == 0) {
    tf32 = o.tf32;
    at::globalContext().setAllowTF32CuDNN(tf32);
    at::globalContext().setAllowTF32CuBLAS(tf32);
  }
  ++holders;
  return std::shared_ptr<void>(nullptr, [](void*) {
    std::lock_guard<std::mutex> release(mutex);
    --holders;
  });
}

std::string device_name(const c10::Device& device) { return device.str(); }

at::Tensor to_aten(const Tensor& t, const c10::Device& device) {
  if (t.numel() == 0) return at::empty(t.shape(), at::TensorOptions().dtype(aten_from_dtype(t.dtype())).device(device));
  if (!t.raw()) throw Error("an unallocated tensor cannot be given to a model");
  const auto options = at::TensorOptions().dtype(aten_from_dtype(t.dtype())).device(aten_device(t.device()));
  // The deleter holds the payload's owner: the memory outlives this view.
  auto owner = t.owner();
  at::Tensor view = at::from_blob(t.raw(), t.shape(), [owner](void*) {}, options);
  return view.device() == device ? view : view.to(device);
}

Tensor from_aten(at::Tensor t) {
  t = t.contiguous();
  Device d;
  if (t.is_cuda()) d = Device{Device::Kind::cuda, t.device().index()};
  auto owner = std::make_shared<at::Tensor>(t);
  return Tensor::wrap(t.data_ptr(), t.sizes().vec(), dtype_from_aten(t.scalar_type()), d, owner);
}

at::Tensor stack_patches(const std::vector<const Patch*>& patches, const c10::Device& device,
                         c10::optional<at::ScalarType> dtype) {
  std::vector<at::Tensor> items;
  items.reserve(patches.size());
  for (const Patch* p : patches) {
    if (p->data.ndim() != 4) throw Error("expected patch data {C, h, w, s}, got " + std::to_string(p->data.ndim()) + " axes");
    items.push_back(to_aten(p->data, device));
  }
  const at::Tensor batch = at::stack(items);
  return dtype ? batch.to(*dtype) : batch;
}

std::shared_ptr<Patch> patch_like(const Patch& like, at::Tensor data) {
  auto p = std::make_shared<Patch>();
  p->start = like.start;
  p->roi = like.roi;
  p->source = like.source;
  p->data = from_aten(std::move(data));
  return p;
}

void declare_device_params(StageSpec& spec, const std::vector<std::string>& precisions) {
  spec.text("device", "auto", "auto (CUDA if present, else CPU), cpu, cuda or cuda:N");
  if (precisions.size() > 1)
    spec.choice("precision", precisions, precisions.front(),
                "Arithmetic precision; all but fp32 (IEEE) need CUDA (tf32: fp32 tensors on TF32 tensor cores)");
  spec.integer("threads", 0,
               "CPU threads for LibTorch's operators (0: the run's --threads; with deterministic, LibTorch's "
               "default, OMP_NUM_THREADS or the CPUs this process may use, never --threads)")
      .range(0, 1024);
  spec.flag("deterministic", false,
               "The same bytes whatever --threads and the timing: on the CPU, items through the model one at a "
               "time on a fixed number of threads (slower: docs/reliability.md)");
}

DeviceOptions read_device_params(const StageContext& ctx) {
  DeviceOptions o;
  o.device = resolve_device(ctx.params.get<std::string>("device"));
  if (ctx.params.json().contains("precision")) {
    const Precision p = resolve_precision(ctx.params.get<std::string>("precision"), o.device);
    o.dtype = p.dtype;
    o.tf32 = p.tf32;
  }
  if (o.device.is_cpu()) keep_blas_on_the_calling_thread();
  const auto threads = ctx.params.get<int64_t>("threads");
  o.deterministic = ctx.params.get<bool>("deterministic");
  if (o.deterministic) {
    o.threads = threads > 0 ? int(threads) : default_intra_op_threads();
    use_intra_op_threads(o.threads);
  } else {
    o.threads = threads > 0 ? int(threads) : std::max(1, ctx.threads);
    if (at::get_num_threads() < o.threads) at::set_num_threads(o.threads);
  }
  return o;
}

void keep_blas_on_the_calling_thread() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("OPENBLAS_NUM_THREADS")) return;
    // Already loaded with LibTorch; the reference BLAS's libblas.so.3 has no such symbol.
    for (const char* library : {"libopenblas.so.0", "libblas.so.3"}) {
      void* handle = dlopen(library, RTLD_LAZY | RTLD_NOLOAD);
      if (!handle) continue;
      if (auto set = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"))) set(1);
      dlclose(handle);
    }
  });
}

void use_intra_op_threads(int threads) {
  // Lazily, LibTorch gives a thread the process-wide count on its first
  // parallel operator; done first here so that it cannot undo ours.
  at::internal::lazy_init_num_threads();
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
}

}  // namespace screener::torch_support
