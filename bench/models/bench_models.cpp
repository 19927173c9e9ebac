// Throughput of the model stages' networks on one device and precision:
// patches/s, FLOPs per patch and the achieved FLOP rate, per wall second and
// per CPU second of the process (on a shared machine the latter is the
// honest one: divide it by bench/models/fma_peak's per-core figure).
//
//   bench_models [FLAGS] descriptor CHECKPOINT SIZE DEVICE PRECISION BATCH [ITERATIONS]
//   bench_models [FLAGS] density CHECKPOINT - DEVICE fp32 BATCH [ITERATIONS] [packed|torch]
// (density: `torch` makes Glow run LibTorch's ops instead of its packed CPU path.)
// FLAGS: --threads N (LibTorch's intra-op threads; default: SCREENER_BENCH_THREADS, else the CPUs),
// --channels-last (the UNet in NDHWC), --reference (the UNet's reference
// path: LibTorch's operators one for one, as before issue 17), --cudnn-benchmark (cuDNN times its
// algorithms once per shape, in the warm-up). Prints one JSON line, with the
// process's CPU seconds per batch. Patches are 96×96×64 (the official roi), descriptor
// maps 32 channels, conditions as the density checkpoint wants, pooling 3×3×2.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <thread>

#include "density_models.h"
#include "network.h"
#include "process_memory.h"

using namespace screener;
using namespace screener::torch_support;
using Clock = std::chrono::steady_clock;

namespace {

void synchronize(const c10::Device& d) {
  if (d.is_cuda()) at::_local_scalar_dense(at::zeros({1}, at::TensorOptions().device(d)));  // waits for the stream
}

struct Timing {
  double wall = 0, cpu = 0;  // seconds per iteration
};

template <class Step> Timing time_iterations(const c10::Device& device, int iterations, Step step) {
  step();  // warm-up: allocator, cuDNN algorithm choice, lazy init
  synchronize(device);
  const auto t0 = Clock::now();
  const std::clock_t c0 = std::clock();  // process CPU time, all threads
  for (int i = 0; i < iterations; ++i) step();
  synchronize(device);
  return {std::chrono::duration<double>(Clock::now() - t0).count() / iterations,
          double(std::clock() - c0) / CLOCKS_PER_SEC / iterations};
}

}  // namespace

int main(int argc_all, char** argv_all) {
  screener::runtime::keep_freed_blocks_for_reuse();  // as `screener` does
  const char* threads_env = std::getenv("SCREENER_BENCH_THREADS");
  int threads = threads_env ? std::max(1, std::atoi(threads_env)) : int(std::max<unsigned>(1, std::thread::hardware_concurrency()));
  bool channels_last = false, cudnn_benchmark = false, reference = false;
  std::vector<char*> args{argv_all[0]};
  for (int i = 1; i < argc_all; ++i) {
    const std::string a = argv_all[i];
    if (a == "--threads" && i + 1 < argc_all)
      threads = std::stoi(argv_all[++i]);
    else if (a == "--channels-last")
      channels_last = true;
    else if (a == "--cudnn-benchmark")
      cudnn_benchmark = true;
    else if (a == "--reference")
      reference = true;
    else
      args.push_back(argv_all[i]);
  }
  const int argc = int(args.size());
  char** argv = args.data();
  if (argc < 7) {
    std::cerr << "usage: bench_models [--threads N] [--channels-last] [--reference] [--cudnn-benchmark] descriptor|density "
                 "CHECKPOINT SIZE DEVICE PRECISION BATCH [ITERATIONS] [packed|torch]\n";
    return 2;
  }
  const std::string what = argv[1], checkpoint = argv[2], size = argv[3];
  const c10::Device device = resolve_device(argv[4]);
  const Precision precision = resolve_precision(argv[5], device);
  const at::ScalarType dtype = precision.dtype;
  const DeviceOptions on{device, dtype, precision.tf32};
  const auto tf32_claim = claim_tf32_switch(on);
  const int64_t batch = std::stoll(argv[6]);
  const int iterations = argc > 7 ? std::stoi(argv[7]) : 3;
  at::set_num_threads(threads);
  if (device.is_cpu()) keep_blas_on_the_calling_thread();  // as the stages do (read_device_params)
  at::globalContext().setBenchmarkCuDNN(cudnn_benchmark);
  c10::InferenceMode inference;
  const std::array<int64_t, 3> roi{96, 96, 64};
  double flops = 0;
  Timing timing;
  std::string path = "-";  // density: packed or torch
  if (what == "descriptor") {
    NetworkOptions o;
    o.checkpoint = checkpoint;
    o.size = size;
    o.device = on;
    o.channels_last = channels_last;
    o.reference_path = reference;
    const auto net = load_network(o);
    const auto x = at::rand({batch, 1, roi[0], roi[1], roi[2]}, at::TensorOptions().device(device).dtype(dtype));
    timing = time_iterations(device, iterations, [&] { (*net)(x); });
    flops = net->flops(roi);
  } else if (what == "density") {
    auto model = density::load_density_model(checkpoint, "auto");
    model->to(device);
    path = argc > 8 ? argv[8] : "packed";
    if (path != "packed" && path != "torch") {
      std::cerr << "bench_models: the density path is packed or torch, not " << path << "\n";
      return 2;
    }
    model->set_packed_cpu_path(path == "packed");
    if (model->name().find("glow") == std::string::npos) path = "-";  // only Glow has two paths
    const auto opts = at::TensorOptions().device(device);
    const auto y = at::randn({batch, model->descriptor_channels(), roi[0], roi[1], roi[2]}, opts);
    const auto c = at::randn({batch, model->condition_channels(), roi[0], roi[1], roi[2]}, opts);
    const std::vector<int64_t> pool{3, 3, 2};
    timing = time_iterations(device, iterations, [&] {
      const auto yp = at::avg_pool3d(y, pool, pool);
      const auto cp = c.size(1) ? at::avg_pool3d(c, pool, pool) : c.narrow(2, 0, 32).narrow(3, 0, 32).narrow(4, 0, 32);
      model->nll(yp, cp);
    });
    flops = model->flops_per_voxel() * 32.0 * 32.0 * 32.0;
  } else {
    std::cerr << "bench_models: unknown model kind " << what << "\n";
    return 2;
  }
  const double patches_per_second = double(batch) / timing.wall;
  std::cout << "{\"model\": \"" << what << "\", \"size\": \"" << size << "\", \"device\": \"" << device.str()
            << "\", \"precision\": \"" << argv[5] << "\", \"batch\": " << batch
            << ", \"seconds_per_batch\": " << timing.wall << ", \"cpu_seconds_per_batch\": " << timing.cpu
            << ", \"patches_per_second\": " << patches_per_second
            << ", \"gflop_per_patch\": " << flops / 1e9 << ", \"gflop_per_second\": " << flops * patches_per_second / 1e9
            << ", \"gflop_per_cpu_second\": " << flops * double(batch) / timing.cpu / 1e9 << ", \"path\": \"" << path << "\""
            << ", \"threads\": " << at::get_num_threads() << ", \"channels_last\": " << channels_last << ", \"reference_path\": " << reference
            << ", \"cudnn_benchmark\": " << cudnn_benchmark << "}" << std::endl;
  return 0;
}
