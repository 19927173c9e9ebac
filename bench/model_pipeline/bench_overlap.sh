#!/usr/bin/env bash
# bench_overlap.sh BUILD_DIR [STUDIES] [SIZE] [DEVICE]: the learned pipeline
# (pipelines/demo_model.json, random-initialised checkpoints of SIZE) on
# STUDIES phantom studies; reports the pipelined wall time against the sum of
# the stages' busy times, and how much of the model stages' time the CPU
# preprocessing of other studies ran alongside (from run_summary.json's
# per-study, per-stage first_start / last_end timestamps).
set -euo pipefail
build=$1 studies=${2:-4} size=${3:-tiny} device=${4:-auto}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$root/tests/make_test_models.sh" "$tmp/models" "$size"
m=$tmp/models
"$build/bin/screener" run "$root/pipelines/demo_model.json" --input "phantom:$studies:3" --output "$tmp/out" \
  --set 'source.size=[128,128,64]' --set 'source.spacing=[1.5,1.5,2.25]' \
  --set descriptor.checkpoint=$m/descriptor.pt --set descriptor.size=$size --set descriptor.device=$device \
  --set condition.checkpoint=$m/condition.pt --set condition.size=$size --set condition.d_cond=16 \
  --set condition.device=$device --set density.checkpoint=$m/density.pt --set density.device=$device \
  --set 'density.pool=[3,3,2]' ${SCREENER_BENCH_ARGS:-} >/dev/null 2>&1
"${SCREENER_PYTHON:-/usr/bin/python3}" "$root/bench/model_pipeline/overlap_report.py" "$tmp/out/run_summary.json"
