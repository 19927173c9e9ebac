#!/usr/bin/env bash
# The bundled ceVAE (models/cevae.pt) on the held-out test set of
# scripts/evaluate_default_model.sh (made the same way, same seeds, if absent:
# 5 studies with 3 lesions each + 3 normal ones, --variety), with each of its
# scores, and the local z-score baseline; prints the table rows of docs/results.md.
#   scripts/evaluate_cevae.sh [WORK_DIR]      (default out/results, shared with evaluate_default_model.sh)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${SCREENER_BIN:-$root/build/bin}
work=${1:-$root/out/results}
mkdir -p "$work"
SCREENER_BIN=$bin "$root/scripts/make_results_test_set.sh" "$work"
/usr/bin/python3 - "$root/pipelines/screen_cevae.json" "$work" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
keep = {"source", "crop", "resample", "window", "clahe", "patcher", "cevae", "aggregator", "body", "write_map"}
p["stages"] = [s for s in p["stages"] if s["id"] in keep]
p["edges"] = [e for e in p["edges"] if e["from"].split(".")[0] in keep and e["to"].split(".")[0] in keep]
json.dump(p, open(f"{sys.argv[2]}/screen_cevae_map.json", "w"), indent=1)
PY
cd "$root"
for score in ${CEVAE_SCORES:-combi rec kl_grad}; do
  [ -f "$work/maps_cevae_$score/run_summary.json" ] ||
    "$bin/screener" run "$work/screen_cevae_map.json" --input "$work/test/dicom" --output "$work/maps_cevae_$score" \
      --threads 2 --set cevae.score=$score
  "$bin/screener" eval --maps "$work/maps_cevae_$score" --truth "$work/test/truth" --output "$work/eval_cevae_$score"
done
[ -f "$work/maps_baseline/run_summary.json" ] ||
  "$bin/screener" run pipelines/screen.json --input "$work/test/dicom" --output "$work/maps_baseline" --threads 2
[ -f "$work/eval_baseline/eval.json" ] ||
  "$bin/screener" eval --maps "$work/maps_baseline" --truth "$work/test/truth" --output "$work/eval_baseline"
/usr/bin/python3 - "$work" ${CEVAE_SCORES:-combi rec kl_grad} <<'PY'
import json, sys
print("| model | voxel AUROC | AUROC@0.3 | AUPRO@0.3 | AP | sample AUROC |")
print("|---|---|---|---|---|---|")
for run in [f"cevae_{s}" for s in sys.argv[2:]] + ["baseline"]:
    m = json.load(open(f"{sys.argv[1]}/eval_{run}/eval.json"))["metrics"]
    f = lambda k: "n/a" if m.get(k) is None else f"{m[k]:.3f}"
    print(f"| {run} | {f('voxel_auroc')} | {f('auroc_at_max_fpr')} | {f('aupro')} | {f('average_precision')} | {f('sample_auroc')} |")
PY
