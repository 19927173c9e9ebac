#!/usr/bin/env bash
# Run on the GPU machine (CUDA LibTorch from its PyTorch, no package registry):
# builds the runtime and the model plugins against the CUDA LibTorch and the
# packages of .gpu-bundle (scripts/gpu_bundle.sh, run beforehand here), runs
# the model plugins' tests (the CUDA ones included) and the model benchmarks on
# cuda in fp32/fp16/bf16. Output under $OUT (or out/gpu).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bundle=$root/.gpu-bundle/root
out=${OUT:-$root/out/gpu}
build=$root/build-gpu
mkdir -p "$out"
[ -d "$bundle" ] || { echo "gpu_check: no .gpu-bundle (run scripts/gpu_bundle.sh here and carry .gpu-bundle)" >&2; exit 2; }
python=$(command -v python3)
torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
export PATH=$bundle/usr/bin:$PATH LD_LIBRARY_PATH=$bundle/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export SCREENER_PYTHON=$python
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
"$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"
# Our std::string crosses plugin boundaries: a LibTorch built with the old
# C++ ABI cannot be mixed with the bundle's (new-ABI) libraries.
"$python" -c 'import sys, torch; sys.exit(0 if torch._C._GLIBCXX_USE_CXX11_ABI else 1)' ||
  { echo "gpu_check: this LibTorch uses the pre-C++11 ABI; the runtime cannot load its plugins" >&2; exit 2; }
# Only the model plugins are built: the others need ITK, DCMTK, GDCM, curl or
# libpng, none of which is on that machine.
keep=" torch_support descriptor condition_learned condition_sincos condition_none density "
skip=""
for dir in "$root"/plugins/*/; do
  name=$(basename "$dir")
  [[ $keep == *" $name "* ]] || skip="$skip;$name"
done
skip=${skip#;}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$bundle/usr;$torch_prefix" -DSCREENER_SKIP_PLUGINS="$skip" 2>&1 | tee "$out/configure.txt"
cmake --build "$build" -j "$(nproc)" --target screener screener_descriptor screener_condition_learned \
  screener_condition_sincos screener_condition_none screener_density torch_support_tests descriptor_tests \
  condition_learned_tests condition_sincos_tests density_tests bench_models 2>&1 | tail -20 | tee "$out/build.txt"
(cd "$build" && ctest -R "TorchBridge|StateDictReader|UNetFlops|Descriptor|ConditionLearned|ConditionSincos|Density" \
  --output-on-failure 2>&1 | tee "$out/tests.txt")
"$root/bench/models/bench_models.sh" "$build" cuda "fp32 fp16 bf16" "tiny small base" 2>&1 | tee "$out/bench_cuda.jsonl"
