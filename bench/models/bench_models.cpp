// Throughput of the model stages' networks on one device and precision:
// patches/s, FLOPs per patch and the achieved FLOP rate, per wall second and
// per CPU second of the process (on a shared machine the latter is the
// honest one: divide it by bench/models/fma_peak's per-core figure).
//
//   bench_models descriptor CHECKPOINT SIZE DEVICE PRECISION BATCH [ITERATIONS]
//   bench_models density CHECKPOINT NAME DEVICE fp32 BATCH [ITERATIONS] [packed|torch]
// (density: `torch` makes Glow run LibTorch's ops instead of its packed CPU path.)
// Threads: all cores, or SCREENER_BENCH_THREADS.
// Prints one JSON line. Patches are 96×96×64 (the official roi), descriptor
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

using namespace screener;
using namespace screener::torch_support;
using Clock = std::chrono::steady_clock;

namespace {

void synchronize(const c10::Device& d) {
  if (d.is_cuda()) at::_local_scalar_dense(at::zeros({1}, at::TensorOptions().device(d)));  // waits for the stream
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

struct Timing {
  double wall = 0, cpu = 0;  // seconds per iteration
};

template <class Step> Timing time_per_iteration(const c10::Device& device, int iterations, Step step) {
  step();  // warm-up: allocator, cuDNN algorithm choice, lazy init, packing
  synchronize(device);
  const auto t0 = Clock::now();
  const double c0 = process_cpu_seconds();
  for (int i = 0; i < iterations; ++i) step();
  synchronize(device);
  return {std::chrono::duration<double>(Clock::now() - t0).count() / iterations,
          (process_cpu_seconds() - c0) / iterations};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::cerr << "usage: bench_models descriptor|density CHECKPOINT SIZE DEVICE PRECISION BATCH [ITERATIONS]\n";
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
  const char* threads = std::getenv("SCREENER_BENCH_THREADS");
  at::set_num_threads(threads ? std::max(1, std::atoi(threads)) : int(std::max<unsigned>(1, std::thread::hardware_concurrency())));
  c10::InferenceMode inference;
  const std::array<int64_t, 3> roi{96, 96, 64};
  double flops = 0;
  Timing seconds;
  std::string path = "-";  // density: packed or torch
  if (what == "descriptor") {
    NetworkOptions o;
    o.checkpoint = checkpoint;
    o.size = size;
    o.device = on;
    const auto net = load_network(o);
    const auto x = at::rand({batch, 1, roi[0], roi[1], roi[2]}, at::TensorOptions().device(device).dtype(dtype));
    seconds = time_per_iteration(device, iterations, [&] { (*net)(x); });
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
    seconds = time_per_iteration(device, iterations, [&] {
      const auto yp = at::avg_pool3d(y, pool, pool);
      const auto cp = c.size(1) ? at::avg_pool3d(c, pool, pool) : c.narrow(2, 0, 32).narrow(3, 0, 32).narrow(4, 0, 32);
      model->nll(yp, cp);
    });
    flops = model->flops_per_voxel() * 32.0 * 32.0 * 32.0;
  } else {
    std::cerr << "bench_models: unknown model kind " << what << "\n";
    return 2;
  }
  const double patches_per_second = double(batch) / seconds.wall;
  std::cout << "{\"model\": \"" << what << "\", \"size\": \"" << size << "\", \"device\": \"" << device.str()
            << "\", \"precision\": \"" << argv[5] << "\", \"batch\": " << batch
            << ", \"seconds_per_batch\": " << seconds.wall << ", \"cpu_seconds_per_batch\": " << seconds.cpu
            << ", \"patches_per_second\": " << patches_per_second << ", \"gflop_per_patch\": " << flops / 1e9
            << ", \"gflop_per_second\": " << flops * patches_per_second / 1e9
            << ", \"gflop_per_cpu_second\": " << flops * double(batch) / seconds.cpu / 1e9
            << ", \"path\": \"" << path << "\", \"threads\": " << at::get_num_threads() << "}" << std::endl;
  return 0;
}
