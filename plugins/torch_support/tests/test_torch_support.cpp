#include <cstdlib>
#include <thread>

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <fstream>

#include "model_testing.h"
#include "state_dict.h"
#include "unet.h"

using namespace screener;
using namespace screener::torch_support;

TEST(TorchBridge, TensorsCrossWithoutACopy) {
  const auto t = at::rand({2, 3, 4});
  const Tensor core = from_aten(t);
  EXPECT_EQ(core.shape(), (Tensor::Shape{2, 3, 4}));
  EXPECT_EQ(core.raw(), t.data_ptr());
  const auto back = to_aten(core, c10::kCPU);
  EXPECT_EQ(back.data_ptr(), t.data_ptr());
  EXPECT_TRUE(at::equal(back, t));
}

TEST(TorchBridge, TheOwnerOutlivesTheOriginalHandle) {
  Tensor core;
  {
    const auto t = at::arange(10, at::kFloat);
    core = from_aten(t * 2);
  }
  EXPECT_FLOAT_EQ(core.data<float>()[9], 18.0f);
  const auto view = to_aten(core, c10::kCPU);
  core = Tensor();
  EXPECT_FLOAT_EQ(view[9].item<float>(), 18.0f);
}

TEST(TorchBridge, DevicesAreParsedAndChecked) {
  EXPECT_EQ(resolve_device("cpu"), c10::Device(c10::kCPU));
  EXPECT_THROW(resolve_device("tpu"), Error);
  if (!at::hasCUDA()) {
    EXPECT_EQ(resolve_device("auto"), c10::Device(c10::kCPU));
    EXPECT_THROW(resolve_device("cuda:0"), Error);
  }
  EXPECT_THROW(resolve_precision("fp16", c10::kCPU), Error);
  EXPECT_THROW(resolve_precision("tf32", c10::kCPU), Error);
  EXPECT_EQ(resolve_precision("fp32", c10::kCPU).dtype, at::kFloat);
  EXPECT_FALSE(resolve_precision("fp32", c10::kCPU).tf32);
  EXPECT_THROW(resolve_precision("fp64", c10::kCPU), Error);
}

// The stages' matrix products run on their caller's thread (the pool of
// OpenBLAS's own threads spun beside the runtime's: docs/performance.md).
TEST(TorchBridge, OpenBlasRunsOnTheCallingThread) {
  if (std::getenv("OPENBLAS_NUM_THREADS")) GTEST_SKIP() << "OPENBLAS_NUM_THREADS set: the user's count wins";
  void* openblas = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD);
  auto get = openblas ? reinterpret_cast<int (*)()>(dlsym(openblas, "openblas_get_num_threads")) : nullptr;
  if (!get) GTEST_SKIP() << "this LibTorch's BLAS is not OpenBLAS";
  at::matmul(at::ones({64, 64}), at::ones({64, 64}));  // OpenBLAS's threads started
  keep_blas_on_the_calling_thread();
  EXPECT_EQ(get(), 1);
  EXPECT_TRUE(at::allclose(at::matmul(at::ones({64, 64}), at::ones({64, 64})), at::full({64, 64}, 64.0)));
  dlclose(openblas);
}

TEST(UNetFlops, MatchConvolutionsCountedInThePyTorchReference) {
  // The reference counts 2 * output voxels * in-channels * taps per output
  // channel with forward hooks on every Conv3d it runs (attention excluded).
  const auto dir = model_testing::fresh_dir("flops");
  for (const std::string size : {"tiny", "base"}) {
    screener::test::run_python(std::filesystem::path(PLUGIN_TEST_DIR) / "count_conv_flops.py",
                               {size, "64", "64", "32", (dir / (size + ".txt")).string()});
    double counted = 0;
    std::ifstream(dir / (size + ".txt")) >> counted;
    WeightReader weights({}, "none");  // zero weights: counting only, no checkpoint check
    UNet net(size, 1, 32, weights);
    EXPECT_DOUBLE_EQ(net.flops({64, 64, 32}), counted) << size;
  }
}

namespace {

UNet unet_from(const std::filesystem::path& checkpoint, const std::string& size, int64_t in_channels = 1) {
  WeightReader weights(load_state_dict(checkpoint), checkpoint, is_discarded_attention_key);
  UNet net(size, in_channels, 32, weights);
  weights.finish("the UNet");
  return net;
}

// The bundled micro descriptor (1 input channel) and condition (2).
const std::filesystem::path kBundledModels = std::filesystem::path(SCREENER_REFERENCE_DIR) / ".." / ".." / "models";
const std::pair<std::string, int64_t> kBundledUNets[] = {{"descriptor", 1}, {"condition", 2}};

}  // namespace

// The CPU inference path (oneDNN at every level, fused GroupNorm+SiLU,
// 1×1×1 convolutions as in-place matrix products, no concatenation) against
// the reference path and against PyTorch, on small patches of each official
// size's widths, on 1 and 2 threads, with and without packed weights.
TEST(UNetInference, MatchesTheReferencePathAndPyTorchWithin1e5) {
  const int threads_before = at::get_num_threads();
  for (const std::string size : {"micro", "tiny", "small", "base"}) {
    const auto dir = model_testing::reference_case("descriptor", {"--size", size, "--batch", "2", "--shape", "32", "64", "32"});
    const auto input = model_testing::load_tensor(dir / "input.npy");
    const auto pytorch = model_testing::load_tensor(dir / "output.npy");
    UNet net = unet_from(dir / "state_dict.pt", size);
    net.use_inference_path(true);
    c10::NoGradGuard no_grad;
    ASSERT_TRUE(net.takes_inference_path(input));
    for (const bool packed : {false, true}) {
      if (packed) net.prepare_inference();
      for (const int threads : {1, 2}) {
        at::set_num_threads(threads);
        const auto fast = net.forward(input);
        const auto reference = net.forward_reference(input);
        const std::string where = size + (packed ? ", packed" : "") + ", " + std::to_string(threads) + " threads";
        EXPECT_LT(model_testing::relative_l2(fast, reference), 1e-5) << where;
        EXPECT_LT(model_testing::relative_l2(fast, pytorch), 1e-5) << where;
        EXPECT_LT(model_testing::relative_l2(reference, pytorch), 1e-5) << where;
        EXPECT_TRUE(at::equal(fast, net.forward(input))) << where << ": not the same bits twice";
        // Item by item as in a batch: the 'deterministic' parameter sends one item at a time.
        EXPECT_LT(model_testing::relative_l2(net.forward(input.narrow(0, 1, 1)), fast.narrow(0, 1, 1)), 1e-5) << where;
      }
    }
    EXPECT_GT(pytorch.std().item<double>(), 1e-3) << "a degenerate reference proves nothing";
  }
  at::set_num_threads(threads_before);
}

// Trained weights (the bundled micro descriptor, and the condition with its
// second input channel) on the stage's 32×32×32 windows, a batch as the
// stage sends it: random initialisations do not exercise every weight.
TEST(UNetInference, TheBundledCheckpointsMatchTheReferencePath) {
  for (const auto& [name, in_channels] : kBundledUNets) {
    UNet net = unet_from(kBundledModels / (name + ".pt"), "micro", in_channels);
    net.use_inference_path(true);
    at::manual_seed(7);
    const auto input = at::rand({4, in_channels, 32, 32, 32});
    c10::NoGradGuard no_grad;
    ASSERT_TRUE(net.takes_inference_path(input));
    const auto reference = net.forward_reference(input);
    EXPECT_LT(model_testing::relative_l2(net.forward(input), reference), 1e-5) << name;
    // One window alone, as a stage sends it when no other is ready; then the
    // batch again: a pass must leave the weights as they were.
    const auto one = input.narrow(0, 2, 1);
    EXPECT_LT(model_testing::relative_l2(net.forward(one), reference.narrow(0, 2, 1)), 1e-5) << name << ", one item";
    net.prepare_inference();
    EXPECT_LT(model_testing::relative_l2(net.forward(input), reference), 1e-5) << name << ", packed";
    EXPECT_LT(model_testing::relative_l2(net.forward(one), reference.narrow(0, 2, 1)), 1e-5) << name << ", packed, one item";
    EXPECT_LT(model_testing::relative_l2(net.forward(input), reference), 1e-5) << name << ", packed, after one item";
    EXPECT_GT(reference.std().item<double>(), 1e-3) << name;
  }
}

// The descriptor and the condition stage run their networks at the same
// time, each on LibTorch's threads: the path must not depend on that.
TEST(UNetInference, TwoNetworksAtOnceGiveWhatEachGivesAlone) {
  std::vector<UNet> nets;
  std::vector<at::Tensor> inputs, alone;
  for (const auto& [name, in_channels] : kBundledUNets) {
    nets.push_back(unet_from(kBundledModels / (name + ".pt"), "micro", in_channels));
    nets.back().use_inference_path(true);
    nets.back().prepare_inference();
    at::manual_seed(11);
    inputs.push_back(at::rand({4, in_channels, 32, 32, 32}));
    c10::NoGradGuard no_grad;
    alone.push_back(nets.back().forward_reference(inputs.back()));
  }
  const int threads_before = at::get_num_threads();
  at::set_num_threads(2);
  std::vector<at::Tensor> together(2);
  std::vector<std::thread> runs;
  for (std::size_t i = 0; i < 2; ++i)
    runs.emplace_back([&, i] {
      c10::NoGradGuard no_grad;
      for (int repeat = 0; repeat < 3; ++repeat) {
        together[i] = nets[i].forward(inputs[i]);
        EXPECT_LT(model_testing::relative_l2(together[i], alone[i]), 1e-5) << i << ", pass " << repeat;
      }
    });
  for (auto& t : runs) t.join();
  at::set_num_threads(threads_before);
}

TEST(UNetInference, TrainingAndOtherPrecisionsTakeTheReferencePath) {
  WeightReader weights({}, "none");
  UNet net("micro", 1, 16, weights);
  const auto x = at::rand({1, 1, 32, 32, 32});
  {
    c10::NoGradGuard no_grad;
    EXPECT_FALSE(net.takes_inference_path(x)) << "off unless asked for";
  }
  net.use_inference_path(true);
  EXPECT_FALSE(net.takes_inference_path(x)) << "autograd on";
  c10::NoGradGuard no_grad;
  EXPECT_TRUE(net.takes_inference_path(x));
  EXPECT_FALSE(net.takes_inference_path(x.to(at::kDouble)));
  net.use_channels_last(true);
  EXPECT_FALSE(net.takes_inference_path(x));
  net.use_channels_last(false);
  net.to(c10::kCPU, at::kDouble);
  EXPECT_FALSE(net.takes_inference_path(x.to(at::kDouble)));
}

TEST(StateDictReader, ReadsWhatTorchSaveWrites) {
  // OrderedDict state_dicts (LibTorch's own pickle_load returns None for
  // them), plain dicts, training checkpoints, views, dtypes, parameters.
  const auto dir = model_testing::fresh_dir("checkpoints");
  screener::test::run_python(std::filesystem::path(PLUGIN_TEST_DIR) / "make_checkpoints.py", {dir.string()});
  screener::test::run_python(std::filesystem::path(PLUGIN_TEST_DIR) / "unpack_npz.py",
                             {(dir / "expected.npz").string(), (dir / "expected").string()});
  int compared = 0;
  for (const std::string name : {"ordered", "plain", "training", "mixed"}) {
    const auto loaded = load_state_dict(dir / (name + ".pt"));
    for (const auto& entry : std::filesystem::directory_iterator(dir / "expected" / name)) {
      const std::string key = entry.path().stem().string();
      ASSERT_TRUE(loaded.count(key)) << name << ": " << key << " missing";
      const auto want = model_testing::load_tensor(entry.path());
      EXPECT_EQ(loaded.at(key).sizes(), want.sizes()) << name << "/" << key;
      EXPECT_TRUE(at::equal(loaded.at(key), want)) << name << "/" << key;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 3 * 6 + 8 + 300);
  try {
    load_state_dict(dir / "module_object.pt");
    FAIL() << "a pickled module was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("torch.nn.modules.activation.ReLU"), std::string::npos) << e.what();
  }
}

// Runs everywhere: the switch is LibTorch's flag, set whether or not a GPU is there.
TEST(TorchBridge, TheTf32SwitchIsHeldByTheStagesThatUseIt) {
  const c10::Device gpu(c10::kCUDA, 0);
  EXPECT_EQ(claim_tf32_switch({c10::kCPU, at::kFloat, true}), nullptr);
  EXPECT_EQ(claim_tf32_switch({gpu, at::kHalf, false}), nullptr);
  {
    const auto a = claim_tf32_switch({gpu, at::kFloat, true});
    const auto b = claim_tf32_switch({gpu, at::kFloat, true});
    EXPECT_TRUE(at::globalContext().allowTF32CuDNN());
    EXPECT_TRUE(at::globalContext().allowTF32CuBLAS());
    try {
      claim_tf32_switch({gpu, at::kFloat, false});
      FAIL() << "fp32 granted while tf32 is held";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("process-wide"), std::string::npos) << e.what();
    }
    EXPECT_EQ(claim_tf32_switch({gpu, at::kBFloat16, false}), nullptr);  // half precision is free
  }
  const auto strict = claim_tf32_switch({gpu, at::kFloat, false});  // all released: free again
  EXPECT_FALSE(at::globalContext().allowTF32CuDNN());
  EXPECT_FALSE(at::globalContext().allowTF32CuBLAS());
}

TEST(TorchBridge, CudaTensorsCrossWithoutACopy) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device (or a CPU-only LibTorch): the CUDA path is not tested here";
  const c10::Device gpu(c10::kCUDA, 0);
  const at::Tensor t = at::rand({2, 3, 4}, at::TensorOptions().device(gpu));
  const Tensor core = from_aten(t);
  EXPECT_FALSE(core.device().is_cpu());
  EXPECT_EQ(to_aten(core, gpu).data_ptr(), t.data_ptr());
  const at::Tensor host = to_aten(core, c10::kCPU);
  EXPECT_TRUE(host.device().is_cpu());
  EXPECT_TRUE(at::equal(host, t.cpu()));
}
