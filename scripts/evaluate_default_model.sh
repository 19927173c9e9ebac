#!/usr/bin/env bash
# The numbers of docs/results.md: the held-out synthetic test set (5 studies
# with lesions, 3 without, varied patients, half of them on a table; seeds
# disjoint from the training set's), screened
# by (a) the bundled model (learned condition), (b) no condition, (c) sin-cos
# condition, (d) the trivial baseline (local z-score of the preprocessed CT,
# pipelines/screen.json), each scored by `screener eval`; prints markdown tables,
# one per protocol, one per lesion kind (scripts/results_by_lesion_kind.py), one
# on where the top 1 % of each map lies (scripts/results_top_share.py), and one
# on plastimatch's synthetic lung phantom (if plastimatch is installed).
# Usage: scripts/evaluate_default_model.sh [WORK_DIR=out/results]   (about 10 min on 2 cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SCREENER_BIN:-$root/build/bin}
work=${1:-$root/out/results}
mkdir -p "$work"
SCREENER_BIN=$bin "$root/scripts/make_results_test_set.sh" "$work"
/usr/bin/python3 - "$root/pipelines/screen_model.json" "$work" <<'PY'
import json, sys
base = json.load(open(sys.argv[1]))
keep = {"source", "crop", "resample", "window", "clahe", "patcher", "descriptor", "condition", "density",
        "aggregator", "body", "write_map"}
for name, condition, density in (("full", None, "models/density.pt"),
                                 ("sincos", {"plugin": "condition_sincos", "params": {}}, "models/density_sincos.pt"),
                                 ("none", {"plugin": "condition_none", "params": {}}, "models/density_none.pt")):
    p = json.loads(json.dumps(base))
    p["stages"] = [s for s in p["stages"] if s["id"] in keep]
    p["edges"] = [e for e in p["edges"] if e["from"].split(".")[0] in keep and e["to"].split(".")[0] in keep]
    for s in p["stages"]:
        if s["id"] == "condition" and condition:
            s.update(condition)
        if s["id"] == "density":
            s["params"]["checkpoint"] = density
    json.dump(p, open(f"{sys.argv[2]}/screen_{name}.json", "w"), indent=1)
PY
cd "$root"
# Runs keep a manifest: an interrupted evaluation picks up where it stopped.
for v in full sincos none; do
  "$bin/screener" run "$work/screen_$v.json" --input "$work/test/dicom" --output "$work/maps_$v" --threads 2
done
"$bin/screener" run pipelines/screen.json --input "$work/test/dicom" --output "$work/maps_baseline" --threads 2
for v in full sincos none baseline; do  # every voxel, and the official subsampled protocol
  "$bin/screener" eval --maps "$work/maps_$v" --truth "$work/test/truth" --output "$work/eval_$v"
  "$bin/screener" eval --maps "$work/maps_$v" --truth "$work/test/truth" --output "$work/eval_subsampled_$v" \
    --subsample 1000 --seed 0
done
/usr/bin/python3 - "$work" <<'PY'
import json, sys
names = {"full": "(a) Screener, learned condition", "none": "(b) Screener, no condition",
         "sincos": "(c) Screener, sin-cos condition", "baseline": "(d) baseline: local z-score"}
for protocol, prefix in (("every voxel", "eval_"), ("subsampled, 1000 + 1000 voxels per study", "eval_subsampled_")):
    print(f"\n{protocol}:\n")
    print("| model | voxel AUROC | AUROC@0.3 | AUPRO@0.3 | AP | sample AUROC |")
    print("|---|---|---|---|---|---|")
    for v in ("full", "none", "sincos", "baseline"):
        m = json.load(open(f"{sys.argv[1]}/{prefix}{v}/eval.json"))["metrics"]
        f = lambda k: "n/a" if m.get(k) is None else f"{m[k]:.3f}"
        print(f"| {names[v]} | {f('voxel_auroc')} | {f('auroc_at_max_fpr')} | {f('aupro')} | "
              f"{f('average_precision')} | {f('sample_auroc')} |")
PY
echo; echo "per lesion kind: fraction of each lesion above the study's 95th / 99th body percentile:"; echo
/usr/bin/python3 "$root/scripts/results_by_lesion_kind.py" "$work"
echo; echo "where the top 1 % of each map lies:"; echo
/usr/bin/python3 "$root/scripts/results_top_share.py" "$work"

# Outside data: plastimatch's lung phantom (soft tissue straight against air, a tumour in the lung).
command -v plastimatch > /dev/null || { echo "plastimatch not installed: no lung phantom"; exit 0; }
if [ ! -d "$work/lung/dicom" ]; then
  synth=(--pattern lung --dim "256 256 100" --spacing "1.5 1.5 2.5" --origin "-191.25 -191.25 -123.75"
         --lung-tumor-pos "0 0 10" --output-type short)
  plastimatch synth "${synth[@]}" --output-dicom "$work/lung/dicom" > /dev/null
  plastimatch synth "${synth[@]}" --output "$work/lung/ct.nrrd" --output-prefix "$work/lung/structures" > /dev/null
  for s in Body Tumor; do
    plastimatch convert --input "$work/lung/structures/$s.mha" --output-img "$work/lung/structures/$s.nii.gz" > /dev/null
  done
fi
for v in full sincos none; do
  "$bin/screener" run "$work/screen_$v.json" --input "$work/lung/dicom" --output "$work/lung/maps_$v" --threads 2
done
"$bin/screener" run pipelines/screen.json --input "$work/lung/dicom" --output "$work/lung/maps_baseline" --threads 2
echo; echo "plastimatch's lung phantom:"; echo
/usr/bin/python3 - "$work/lung" <<'PY'
import glob, sys
import nibabel as nib
import numpy as np
from scipy import ndimage
from sklearn.metrics import roc_auc_score
lung = sys.argv[1]
body, tumour = (np.asarray(nib.load(f"{lung}/structures/{n}.nii.gz").dataobj) > 0 for n in ("Body", "Tumor"))
names = {"full": "(a) learned condition", "none": "(b) no condition", "sincos": "(c) sin-cos condition",
         "baseline": "(d) local z-score"}
print("| model | tumour AUROC (vs. the rest of the body) | tumour share of the top 1 % | skin ring (≤ 5 mm) | outside the body |")
print("|---|---|---|---|---|")
for v, name in names.items():
    m = nib.load(glob.glob(f"{lung}/maps_{v}/*/score.nii.gz")[0])
    score = np.asarray(m.dataobj, dtype=np.float32)
    ring = body & (ndimage.distance_transform_edt(body, sampling=m.header.get_zooms()[:3]) <= 5.0)
    k = int(round(0.01 * score.size))
    hot = score >= np.partition(score.ravel(), score.size - k)[score.size - k]
    n = hot.sum()
    print(f"| {name} | {roc_auc_score(tumour[body], score[body]):.3f} | {(hot & tumour).sum() / n:.1%} | "
          f"{(hot & ring & ~tumour).sum() / n:.1%} | {(hot & ~body).sum() / n:.1%} |")
PY
