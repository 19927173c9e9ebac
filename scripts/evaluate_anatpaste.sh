#!/usr/bin/env bash
# The AnatPaste classifier's row of docs/results.md: the same held-out synthetic
# test set as scripts/evaluate_default_model.sh (built the same way if WORK_DIR
# has none), screened by pipelines/screen_anatpaste.json (the writers left
# out) and by the baseline (pipelines/screen.json), both scored by
# `screener eval` over every voxel and with the subsampled protocol.
# Usage: scripts/evaluate_anatpaste.sh [WORK_DIR=out/results] [CHECKPOINT=models/anatpaste.pt]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SCREENER_BIN:-$root/build/bin}
work=${1:-$root/out/results}
checkpoint=${2:-$root/models/anatpaste.pt}
mkdir -p "$work"
SCREENER_BIN=$bin "$root/scripts/make_results_test_set.sh" "$work"
/usr/bin/python3 - "$root/pipelines/screen_anatpaste.json" "$work" "$checkpoint" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
keep = {"source", "crop", "resample", "window", "clahe", "patcher", "classifier", "aggregator", "body", "write_map"}
p["stages"] = [s for s in p["stages"] if s["id"] in keep]
p["edges"] = [e for e in p["edges"] if e["from"].split(".")[0] in keep and e["to"].split(".")[0] in keep]
for s in p["stages"]:
    if s["id"] == "classifier":
        s["params"]["checkpoint"] = sys.argv[3]
json.dump(p, open(f"{sys.argv[2]}/screen_anatpaste.json", "w"), indent=1)
PY
cd "$root"
"$bin/screener" run "$work/screen_anatpaste.json" --input "$work/test/dicom" --output "$work/maps_anatpaste" --threads 2
[ -d "$work/maps_baseline" ] || "$bin/screener" run pipelines/screen.json --input "$work/test/dicom" --output "$work/maps_baseline" --threads 2
for v in anatpaste baseline; do
  "$bin/screener" eval --maps "$work/maps_$v" --truth "$work/test/truth" --output "$work/eval_$v"
  "$bin/screener" eval --maps "$work/maps_$v" --truth "$work/test/truth" --output "$work/eval_subsampled_$v" \
    --subsample 1000 --seed 0
done
/usr/bin/python3 - "$work" <<'PY'
import json, sys
names = {"anatpaste": "AnatPaste-style voxel classifier", "baseline": "baseline: local z-score"}
for protocol, prefix in (("every voxel", "eval_"), ("subsampled, 1000 + 1000 voxels per study", "eval_subsampled_")):
    print(f"\n{protocol}:\n")
    print("| model | voxel AUROC | AUROC@0.3 | AUPRO@0.3 | AP | sample AUROC | MOOD sample AP | MOOD voxel AP |")
    print("|---|---|---|---|---|---|---|---|")
    for v in names:
        m = json.load(open(f"{sys.argv[1]}/{prefix}{v}/eval.json"))["metrics"]
        f = lambda k: "n/a" if m.get(k) is None else f"{m[k]:.3f}"
        print(f"| {names[v]} | {f('voxel_auroc')} | {f('auroc_at_max_fpr')} | {f('aupro')} | "
              f"{f('average_precision')} | {f('sample_auroc')} | {f('mood_sample_ap')} | {f('mood_voxel_ap')} |")
PY
