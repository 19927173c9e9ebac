#!/usr/bin/env bash
# glow_ab.sh BUILD_DIR [ROUNDS] [MODELS]: the official Glow (64 blocks × 512,
# one 96×96×64 patch = 32³ pooled voxels) on the CPU through LibTorch's ops (A,
# what the density stage ran before its packed path) and the packed CPU path
# (B), alternately A B A B …, one JSON line per run, then the medians per path
# and the per-core fp32 peak measured by fma_peak. CPU seconds of the process
# are the figure to compare on a shared machine.
# Example: bench/models/glow_ab.sh build 3 "glow cglow"
set -euo pipefail
build=$1 rounds=${2:-3} models=${3:-glow}
ref=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/reference" && pwd)/make_reference_case.py
py=${SCREENER_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" "$ref" glow "$tmp/glow" --d 32 --dc 0 --blocks 64 --hidden 512 --seed 1 >/dev/null
"$py" "$ref" conditional_glow "$tmp/cglow" --d 32 --dc 32 --blocks 64 --hidden 512 --seed 1 >/dev/null
"$build/bin/fma_peak" 2 | tee "$tmp/peak.json"
for ((r = 0; r < rounds; ++r)); do
  for m in $models; do
    for path in torch packed; do
      "$build/bin/bench_models" density "$tmp/$m/state_dict.pt" "$m" cpu fp32 1 1 "$path" | tee -a "$tmp/runs.json"
    done
  done
done
"$py" - "$tmp/runs.json" "$tmp/peak.json" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
peak = json.load(open(sys.argv[2]))["gflop_per_cpu_second"]
for key in sorted({(r["size"], r["path"]) for r in runs}):
    sel = [r for r in runs if (r["size"], r["path"]) == key]
    med = lambda f: statistics.median(r[f] for r in sel)
    print(json.dumps({"model": key[0], "path": key[1], "runs": len(sel),
                      "median_cpu_seconds_per_batch": round(med("cpu_seconds_per_batch"), 2),
                      "median_seconds_per_batch": round(med("seconds_per_batch"), 2),
                      "median_gflop_per_cpu_second": round(med("gflop_per_cpu_second"), 1),
                      "of_core_peak": round(med("gflop_per_cpu_second") / peak, 3), "core_peak": peak}))
PY
