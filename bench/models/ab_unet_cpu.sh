#!/usr/bin/env bash
# ab_unet_cpu.sh BUILD_DIR [ROUNDS] [SIZES] [BATCH] [THREADS] [ITERATIONS]: the
# descriptor UNet on the CPU in fp32, the reference path (--reference: the
# path before issue 17), the inference path and PyTorch's model(x) run in turn
# (A B P, A B P, …) on one 96×96×64 patch batch, then the medians over the
# rounds as a markdown table: patches/s (wall) and CPU seconds per patch, and
# the ratios. On a shared machine wall times are noisy; CPU seconds less so.
# SCREENER_BEFORE_BUILD=DIR takes the reference path from another build (the
# code of before, with its process settings), else from BUILD_DIR.
# Example: bench/models/ab_unet_cpu.sh build 3 "tiny small base" 1 2 2
set -euo pipefail
build=$1 before=${SCREENER_BEFORE_BUILD:-$1} rounds=${2:-3} sizes=${3:-tiny small base} batch=${4:-1} threads=${5:-$(nproc)} iterations=${6:-2}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=${SCREENER_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for size in $sizes; do
  "$py" "$here/../../tests/reference/make_reference_case.py" descriptor "$tmp/$size" --size "$size" --shape 32 32 32 --seed 1 >/dev/null
done
for ((round = 1; round <= rounds; ++round)); do
  for size in $sizes; do
    ck=$tmp/$size/state_dict.pt
    "$before/bin/bench_models" --threads "$threads" --reference descriptor "$ck" "$size" cpu fp32 "$batch" "$iterations" |
      sed "s/^{/{\"variant\": \"reference\", \"round\": $round, /" | tee -a "$tmp/runs.jsonl"
    "$build/bin/bench_models" --threads "$threads" descriptor "$ck" "$size" cpu fp32 "$batch" "$iterations" |
      sed "s/^{/{\"variant\": \"inference\", \"round\": $round, /" | tee -a "$tmp/runs.jsonl"
    "$py" "$here/bench_pytorch.py" "$ck" "$size" "$batch" "$iterations" "$threads" |
      sed "s/^{/{\"variant\": \"pytorch\", \"round\": $round, /" | tee -a "$tmp/runs.jsonl"
  done
done
"$py" - "$tmp/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
print("\n| size | batch | threads | before (reference path): patches/s, CPU s/patch | after (inference path) | PyTorch model(x) "
      "| after/before (patches/s; CPU s) | after/PyTorch (patches/s; CPU s) |")
print("|---|---|---|---|---|---|---|---|")
for size in dict.fromkeys(r["size"] for r in runs):
    m = {}
    for path in ("reference", "inference", "pytorch"):
        rs = [r for r in runs if r["size"] == size and r["variant"] == path]
        m[path] = (statistics.median(r["patches_per_second"] for r in rs),
                   statistics.median(r["cpu_seconds_per_batch"] / r["batch"] for r in rs))
    cell = lambda p: f"{m[p][0]:.3g}, {m[p][1]:.3g}"
    ratio = lambda a, b: f"{m[a][0] / m[b][0]:.2f}×; {m[b][1] / m[a][1]:.2f}×"
    r0 = runs[0]
    print(f"| {size} | {r0['batch']} | {r0['threads']} | {cell('reference')} | {cell('inference')} | {cell('pytorch')} "
          f"| {ratio('inference', 'reference')} | {ratio('inference', 'pytorch')} |")
print(f"\nmedians of {max(r['round'] for r in runs)} rounds")
PY
