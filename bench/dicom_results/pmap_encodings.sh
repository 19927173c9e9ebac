#!/usr/bin/env bash
# The Parametric Map of the method's real output in each encoding: a synthetic
# CT study with lesions (make_demo_dicom; default 512x512x200 at
# 0.98x0.98x2.5 mm, the grid of a typical chest CT) screened with
# pipelines/screen_model.json and the bundled model, then its map
# (score.nii.gz, what dicom_pmap_writer was given) encoded and written in each
# encoding by bench_dicom_results, 3 repetitions.
# Usage: pmap_encodings.sh BUILD_DIR [SIZE=512,512,200] [SPACING=0.98,0.98,2.5] [WORK_DIR]
set -euo pipefail
build=$(cd "$1" && pwd)
size=${2:-512,512,200}
spacing=${3:-0.98,0.98,2.5}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=${4:-$(mktemp -d)}
mkdir -p "$work"
[ -d "$work/data/dicom" ] || "$build/bin/make_demo_dicom" "$work/data" 1 0 4 "$size" "$spacing" > /dev/null

cd "$root"  # the pipeline's checkpoints are relative to the repository
"$build/bin/screener" run pipelines/screen_model.json --input "$work/data/dicom" --output "$work/out" --threads 2
map=$(ls "$work"/out/*/score.nii.gz | head -1)
ls -l "$(dirname "$map")"
SCREENER_BENCH_MAP=$map "$build/bin/bench_dicom_results" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true
