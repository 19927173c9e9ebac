#!/usr/bin/env bash
# bench_overlap.sh BUILD_DIR [STUDIES] [SIZE] [DEVICE] [STUDY_SIZE] [STUDY_SPACING]:
# the learned pipeline (pipelines/demo_model.json, or SCREENER_BENCH_PIPELINE;
# random-initialised checkpoints of SIZE) on STUDIES phantom studies of
# STUDY_SIZE voxels (default [128,128,64]) at STUDY_SPACING mm (default
# [1.5,1.5,2.25]); reports the pipelined wall time against the sum of the
# stages' busy times, and how much of the model stages' time the CPU
# preprocessing of other studies ran alongside (from run_summary.json's
# per-study, per-stage first_start / last_end timestamps).
# SCREENER_BENCH_DENSITY=conditional_glow scores with the official-size
# conditional Glow (64 blocks × 512) instead of the conditional Gaussian;
# SCREENER_BENCH_ARGS adds options (--set ..., --max-in-flight N).
# SCREENER_BENCH_GPU_SAMPLES=FILE: nvidia-smi's GPU utilization (%) every
# 200 ms while the pipeline runs (not while the models are made), one a line.
set -euo pipefail
build=$1 studies=${2:-4} size=${3:-tiny} device=${4:-auto}
study_size=${5:-[128,128,64]} study_spacing=${6:-[1.5,1.5,2.25]}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pipeline=${SCREENER_BENCH_PIPELINE:-$root/pipelines/demo_model.json}
py=${SCREENER_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$root/tests/make_test_models.sh" "$tmp/models" "$size"
m=$tmp/models
density=$m/density.pt
if [ "${SCREENER_BENCH_DENSITY:-}" = conditional_glow ]; then
  "$py" "$root/tests/reference/make_reference_case.py" conditional_glow "$tmp/glow" --d 32 --dc 16 --blocks 64 \
    --hidden 512 --shape 24 24 16 --seed 5 >/dev/null
  density=$tmp/glow/state_dict.pt
fi
sampler=
if [ -n "${SCREENER_BENCH_GPU_SAMPLES:-}" ]; then
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 200 >"$SCREENER_BENCH_GPU_SAMPLES" &
  sampler=$!
fi
status=0
"$build/bin/screener" run "$pipeline" --input "phantom:$studies:3" --output "$tmp/out" \
  --set "source.size=$study_size" --set "source.spacing=$study_spacing" \
  --set descriptor.checkpoint=$m/descriptor.pt --set descriptor.size=$size --set descriptor.device=$device \
  --set condition.checkpoint=$m/condition.pt --set condition.size=$size --set condition.d_cond=16 \
  --set condition.device=$device --set density.checkpoint=$density --set density.device=$device \
  --set 'density.pool=[3,3,2]' ${SCREENER_BENCH_ARGS:-} >"$tmp/log" 2>&1 || status=$?
[ -n "$sampler" ] && { kill "$sampler" 2>/dev/null || true; }
[ $status -eq 0 ] || { tail -20 "$tmp/log" >&2; exit 1; }
"$py" "$root/bench/model_pipeline/overlap_report.py" "$tmp/out/run_summary.json"
