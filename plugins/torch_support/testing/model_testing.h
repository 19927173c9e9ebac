// For the model plugins' tests: reference cases computed by the PyTorch
// oracle (tests/reference/make_reference_case.py), their arrays as LibTorch
// tensors, and running a stage's batch the way the runtime does.
#pragma once
#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "npy.h"
#include "stage_harness.h"
#include "torch_bridge.h"

namespace model_testing {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed when the test
// program ends (reference checkpoints are 100–400 MB each).
inline fs::path fresh_dir(const std::string& name) {
  struct Cleanup {
    std::vector<fs::path> dirs;
    ~Cleanup() {
      std::error_code ignored;
      for (const auto& d : dirs) fs::remove_all(d, ignored);
    }
  };
  static Cleanup cleanup;
  static std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("screener-" + name + "-" + std::to_string(rd()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  cleanup.dirs.push_back(dir);
  return dir;
}

// A seed that differs from run to run (printed by the oracle on failure).
inline std::string fresh_seed() {
  static std::random_device rd;
  return std::to_string(rd() % 1000000);
}

// Runs the oracle: make_reference_case.py KIND DIR ARGS...
inline fs::path reference_case(const std::string& kind, const std::vector<std::string>& args) {
  const fs::path dir = fresh_dir(kind);
  std::vector<std::string> all{kind, dir.string()};
  all.insert(all.end(), args.begin(), args.end());
  if (std::find(args.begin(), args.end(), "--seed") == args.end()) {
    all.push_back("--seed");
    all.push_back(fresh_seed());
  }
  screener::test::run_python(fs::path(SCREENER_REFERENCE_DIR) / "make_reference_case.py", all);
  return dir;
}

// Runs make_authors_checkpoint.py DIR ARGS...: the authors' Glow as a
// Lightning checkpoint (model.ckpt) with image.npy, descriptors.npy, nll.npy.
inline fs::path authors_checkpoint(const std::vector<std::string>& args) {
  const fs::path dir = fresh_dir("authors-ckpt");
  std::vector<std::string> all{dir.string()};
  all.insert(all.end(), args.begin(), args.end());
  if (std::find(args.begin(), args.end(), "--seed") == args.end()) {
    all.push_back("--seed");
    all.push_back(fresh_seed());
  }
  screener::test::run_python(fs::path(SCREENER_REFERENCE_DIR) / "make_authors_checkpoint.py", all);
  return dir;
}

inline at::Tensor load_tensor(const fs::path& file) {
  const auto a = screener::test::load_npy(file);
  const auto values = a.as_double();
  return at::tensor(values, at::kDouble).reshape(a.shape).to(at::kFloat);
}

// ‖a − b‖ / ‖b‖
inline double relative_l2(const at::Tensor& a, const at::Tensor& b) {
  const auto x = a.to(at::kCPU).to(at::kDouble), y = b.to(at::kCPU).to(at::kDouble);
  return (x - y).norm().item<double>() / y.norm().item<double>();
}

inline std::shared_ptr<screener::Patch> patch_of(const at::Tensor& data, screener::Index3 start = {0, 0, 0}) {
  auto p = std::make_shared<screener::Patch>();
  p->data = screener::torch_support::from_aten(data.contiguous());
  p->roi = {data.size(1), data.size(2), data.size(3)};
  p->start = start;
  return p;
}

// Feeds item i of every input tensor (B, C, ...) as one item of a batch,
// one port per tensor, and returns `port`'s outputs stacked (B, ...) on the
// host; `emitted_on`, if given, receives the device the stage left them on.
inline at::Tensor run_batch(harness::StageRun& run, const std::vector<at::Tensor>& inputs, const std::string& port,
                            screener::Device* emitted_on = nullptr) {
  auto study = std::make_shared<screener::Study>();
  study->id = "study";
  const int64_t B = inputs.at(0).size(0);
  std::vector<screener::Inputs> ins;
  for (int64_t i = 0; i < B; ++i) {
    std::vector<screener::Packet> packets;
    for (const auto& t : inputs) packets.push_back({study, patch_of(t[i]), i, B, nullptr});
    ins.emplace_back(run.spec.inputs(), packets);
  }
  std::vector<harness::CapturingEmitter> outs{static_cast<std::size_t>(B)};
  std::vector<const screener::Inputs*> batch;
  std::vector<screener::Emitter*> emitters;
  for (int64_t i = 0; i < B; ++i) batch.push_back(&ins[std::size_t(i)]), emitters.push_back(&outs[std::size_t(i)]);
  run.stage->process_batch(batch, emitters);
  std::vector<at::Tensor> results;
  for (auto& o : outs) {
    const auto& p = screener::payload_as<screener::Patch>(o.emitted.at(port));
    if (emitted_on) *emitted_on = p.data.device();
    results.push_back(screener::torch_support::to_aten(p.data, c10::kCPU).clone());
  }
  return at::stack(results);
}

// relative_l2, also printed: scripts/gpu_check.sh collects the CUDA tests' figures.
inline double reported_l2(const std::string& what, const at::Tensor& got, const at::Tensor& expected) {
  const double e = relative_l2(got, expected);
  std::cout << "[cuda] " << what << ": relative L2 " << e << std::endl;
  return e;
}

}  // namespace model_testing
