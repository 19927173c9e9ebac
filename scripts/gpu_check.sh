#!/usr/bin/env bash
# Run on the GPU machine (CUDA LibTorch from its PyTorch, no package registry):
# builds the runtime, the model plugins and the dependency-free CPU stages
# against the CUDA LibTorch and the packages of .gpu-bundle (made here
# beforehand by scripts/gpu_bundle.sh), then, most important first:
#   1. the CUDA tests (CUDA against the PyTorch reference, every precision),
#   2. the model benchmarks on cuda (bench/models),
#   3. the pipelined run on a stream of realistic studies (bench/model_pipeline),
#   4. the model plugins' other tests, against this LibTorch.
# A phase that would start after SCREENER_GPU_BUDGET_S seconds (default 420)
# is skipped, so the output always comes back; SCREENER_GPU_SKIP names phases
# to leave out. SCREENER_GPU_PRECISIONS: the benchmarks' precisions;
# SCREENER_GPU_STUDIES (8) and SCREENER_GPU_OVERLAP ("fp32:fp32:2 bf16:tf32:2
# bf16:tf32:4", each UNETS:DENSITY:STUDIES_IN_FLIGHT): the pipelined runs.
# Logs under $OUT (or out/gpu):
# summary.txt (read it first), build.txt, cuda_tests.txt, bench_models.jsonl,
# bench_models_tuned.jsonl (--cudnn-benchmark, --channels-last), overlap.txt, tests.txt.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bundle=$root/.gpu-bundle/root
out=${OUT:-$root/out/gpu}
build=$root/build-gpu
budget=${SCREENER_GPU_BUDGET_S:-420}
mkdir -p "$out"
summary=$out/summary.txt
say() { echo "$*" | tee -a "$summary"; }
# phase NAME LOG COMMAND...: runs it, logs its output and how it ended.
phase() {
  local name=$1 log=$2 t0=$SECONDS rc
  shift 2
  if [[ " ${SCREENER_GPU_SKIP:-} " == *" $name "* ]]; then
    say "$name: skipped (SCREENER_GPU_SKIP)"
    return 0
  fi
  if ((SECONDS > budget)); then
    say "$name: skipped ($SECONDS s gone, budget $budget s)"
    return 1
  fi
  "$@" >>"$log" 2>&1
  rc=$?
  say "$name: exit $rc in $((SECONDS - t0)) s"
  return $rc
}
[ -d "$bundle" ] || { say "gpu_check: no .gpu-bundle (run scripts/gpu_bundle.sh here and carry .gpu-bundle)"; exit 2; }
python=$(command -v python3)
torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
# LibTorch's CMake files enable the CUDA language: they need nvcc.
for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do [ -x "$d/nvcc" ] && { export PATH=$PATH:$d; break; }; done
command -v nvcc >/dev/null && export CUDACXX=${CUDACXX:-$(command -v nvcc)}
export PATH=$bundle/usr/bin:$PATH LD_LIBRARY_PATH=$bundle/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export SCREENER_PYTHON=$python
{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
  "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'
  nvcc --version | tail -1
  c++ --version | head -1
  cmake --version | head -1
  echo "cores $(nproc)"
} 2>&1 | tee -a "$summary"
# Our std::string crosses plugin boundaries: a LibTorch built with the old
# C++ ABI cannot be mixed with the bundle's (new-ABI) libraries.
"$python" -c 'import sys, torch; sys.exit(0 if torch._C._GLIBCXX_USE_CXX11_ABI else 1)' ||
  { say "gpu_check: this LibTorch uses the pre-C++11 ABI; the runtime cannot load its plugins"; exit 2; }

# Only plugins without ITK, DCMTK, GDCM, curl or libpng (none is on that
# machine): the model stages and the CPU stages of a writer-less pipeline.
keep=" torch_support descriptor condition_learned condition_sincos condition_none density phantom_source \
foreground_crop resample intensity_window clahe patcher aggregator mask_map "
skip=""
for dir in "$root"/plugins/*/; do
  name=$(basename "$dir")
  [[ $keep == *" $name "* ]] || skip="$skip;$name"
done
configure() {  # fails where LibTorch was not found (the model plugins would be left out)
  # CMake 4 refuses package files written for CMake < 3.5 unless told.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
    -DCMAKE_PREFIX_PATH="$bundle/usr;$torch_prefix" -DSCREENER_SKIP_PLUGINS="${skip#;}" &&
    grep -q "LibTorch .*: building the model plugins" "$out/build.txt"
}
# find_package(Torch QUIET) hides why it failed: ask again, REQUIRED, alone.
why_no_torch() {
  local probe=$build/torch-probe
  mkdir -p "$probe"
  printf 'cmake_minimum_required(VERSION 3.20)\nproject(probe C CXX)\nfind_package(Torch REQUIRED)\n' >"$probe/CMakeLists.txt"
  cmake -S "$probe" -B "$probe/build" -DCMAKE_PREFIX_PATH="$torch_prefix" 2>&1 | tail -40 | tee -a "$summary"
}
phase configure "$out/build.txt" configure || { tail -40 "$out/build.txt"; why_no_torch; exit 1; }
targets=(screener screener_descriptor screener_condition_learned screener_condition_sincos screener_condition_none
  screener_density screener_phantom_source screener_foreground_crop screener_resample screener_intensity_window
  screener_clahe screener_patcher screener_aggregator screener_mask_map torch_support_tests descriptor_tests
  condition_learned_tests condition_sincos_tests density_tests bench_models)
phase build "$out/build.txt" cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" ||
  { tail -60 "$out/build.txt"; exit 1; }

# The tests' PyTorch oracle and LibTorch's CPU side share the cores.
export OMP_NUM_THREADS=4
phase cuda_tests "$out/cuda_tests.txt" ctest --test-dir "$build" -R "Cuda|Tf32" -j 4 -V
grep -E "\[cuda\]|Passed|Failed|Skipped|tests passed|tests failed" "$out/cuda_tests.txt" 2>/dev/null | grep -v "^[0-9]*: Test command" |
  tee -a "$summary"
unset OMP_NUM_THREADS

phase bench_models "$out/bench_models.jsonl" \
  "$root/bench/models/bench_models.sh" "$build" cuda "${SCREENER_GPU_PRECISIONS:-fp32 tf32 fp16 bf16}" "tiny small base"
# Issue 17: the UNets with cuDNN's algorithm search once per shape, then also in
# NDHWC (channels-last-3d); the JSON lines say which (before: the phase above).
phase bench_models_cudnn_benchmark "$out/bench_models_tuned.jsonl" \
  "$root/bench/models/bench_models.sh" "$build" cuda "${SCREENER_GPU_PRECISIONS:-fp32 tf32 fp16 bf16}" "tiny small base" \
  --cudnn-benchmark
phase bench_models_channels_last "$out/bench_models_tuned.jsonl" \
  "$root/bench/models/bench_models.sh" "$build" cuda "${SCREENER_GPU_PRECISIONS:-fp32 tf32 fp16 bf16}" "tiny small base" \
  --cudnn-benchmark --channels-last

# A stream of realistic studies: 512×512×240 at 0.75×0.75×1.25 mm (≈ 260×260×130
# after crop and resampling, ~100 windows of 96×96×64), base UNets, the
# official-size conditional Glow.
overlap() {
  local precision=$1 density_precision=$2 in_flight=$3
  echo "== UNets $precision, density $density_precision, studies in flight $in_flight"
  # The GPU's busy share, sampled every 100 ms over the whole run (model
  # loading and the first study's preprocessing included).
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 100 >"$build/utilization.txt" &
  local sampler=$!
  SCREENER_BENCH_PIPELINE=$build/gpu_overlap.json SCREENER_BENCH_DENSITY=conditional_glow \
    SCREENER_BENCH_ARGS="--set patcher.roi=[96,96,64] --set descriptor.precision=$precision \
--set condition.precision=$precision --set density.precision=$density_precision --set descriptor.batch_size=8 \
--set condition.batch_size=8 --max-in-flight $in_flight" \
    "$root/bench/model_pipeline/bench_overlap.sh" "$build" "${SCREENER_GPU_STUDIES:-8}" base cuda "[512,512,240]" \
    "[0.75,0.75,1.25]"
  local rc=$?
  kill $sampler 2>/dev/null
  awk '{ n++; sum += $1; idle += ($1 == 0) } END { if (n) printf "gpu utilization: mean %.1f%%, %d samples, %.1f%% of them idle\n", sum / n, n, 100 * idle / n }' \
    "$build/utilization.txt"
  return $rc
}
"$python" "$root/bench/model_pipeline/without_writers.py" "$root/pipelines/demo_model.json" "$build/gpu_overlap.json"
for run in ${SCREENER_GPU_OVERLAP:-fp32:fp32:2 bf16:tf32:2 bf16:tf32:4}; do
  IFS=: read -r unets density in_flight <<<"$run"
  phase "overlap_${unets}_${density}_${in_flight}" "$out/overlap.txt" overlap "$unets" "$density" "$in_flight"
done
grep -E "^==|wall_seconds|busy_seconds\"|working_share|utilization" "$out/overlap.txt" | tee -a "$summary"

export OMP_NUM_THREADS=4
phase tests "$out/tests.txt" ctest --test-dir "$build" -E "Cuda|Tf32" \
  -R "TorchBridge|StateDictReader|UNetFlops|Descriptor|ConditionLearned|ConditionSincos|Density" -j 4 --output-on-failure
tail -5 "$out/tests.txt" 2>/dev/null | tee -a "$summary"
say "gpu_check: done in $SECONDS s"
