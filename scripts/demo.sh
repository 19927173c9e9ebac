#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), writes a synthetic CT study with
# lesions as a DICOM series (out/demo/data/dicom, ground truth in
# out/demo/data/truth) and screens it with the full learned pipeline,
# pipelines/screen_model.json, and the bundled default model (models/).
# Results land in out/demo/results/. Extra arguments go to `screener run`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SCREENER_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
data=$root/out/demo/data
[ -d "$data/dicom" ] || "$build/bin/make_demo_dicom" "$data" 1
cd "$root"  # the pipeline's checkpoints are models/*.pt, relative to the repository
"$build/bin/screener" run pipelines/screen_model.json --input "$data/dicom" --output "$root/out/demo/results" "$@"
echo "demo: results in $root/out/demo/results (run_summary.json lists every study and its files)"
