#!/usr/bin/env bash
# Maps a radiologist can trust: the hottest voxels of pipelines/screen_model.json
# (the bundled model) lie in the patient, not on the table or the skin-air edge.
#  1. Two synthetic patients with lesions lying on a carbon-fibre table
#     (make_demo_dicom --couch; seeds held out from training): no voxel of the
#     top 1 % outside the patient's body (the generator's body mask, without
#     the table); the lesions' share of the top 1 % is reported.
#  2. A plastimatch-synthesised lung phantom with a tumour (plastimatch synth
#     --pattern lung: DERIVED\SECONDARY, no SeriesNumber, an RTSTRUCT and an
#     RTDOSE beside the CT; no noise, no fat: soft tissue straight against air),
#     screened with the default reader settings (a DERIVED-only study): no
#     top-1 % voxel outside its Body structure, and the tumour scored above
#     the rest of the body (AUROC); the shares of the tumour and of the skin
#     ring (the body's outer 5 mm) in the top 1 % are reported. With the
#     bundled model they are 0.2 % and 59 % (docs/results.md): on this
#     noise-free phantom the ring still holds most of the top 1 %.
set -euo pipefail
bin=$1 root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"  # the pipeline's checkpoints are models/*.pt

"$bin/make_demo_dicom" "$work/table" 2 4000 4 --couch > /dev/null
"$bin/screener" run pipelines/screen_model.json --input "$work/table/dicom" --output "$work/table/out" --threads 2

if command -v plastimatch > /dev/null; then
  synth=(--pattern lung --dim "256 256 100" --spacing "1.5 1.5 2.5" --origin "-191.25 -191.25 -123.75"
         --lung-tumor-pos "0 0 10" --output-type short)
  plastimatch synth "${synth[@]}" --output-dicom "$work/lung/dicom" > /dev/null
  plastimatch synth "${synth[@]}" --output "$work/lung/ct.nrrd" --output-prefix "$work/lung/structures" > /dev/null
  for s in Body Lung Tumor; do
    plastimatch convert --input "$work/lung/structures/$s.mha" --output-img "$work/lung/structures/$s.nii.gz" > /dev/null
  done
  "$bin/screener" run pipelines/screen_model.json --input "$work/lung/dicom" --output "$work/lung/out" --threads 2
else
  echo "plastimatch not installed: the lung phantom part is left out"
fi

/usr/bin/python3 - "$work" <<'PY'
import glob, json, os, pathlib, sys
import nibabel as nib
import numpy as np
from scipy import ndimage, stats

work = pathlib.Path(sys.argv[1])

def top(score, fraction=0.01):
    k = int(round(fraction * score.size))
    return score >= np.partition(score.ravel(), score.size - k)[score.size - k]

def load(path):
    return np.asarray(nib.load(path).dataobj)

summary = json.loads((work / "table" / "out" / "run_summary.json").read_text())
assert summary["counts"]["done"] == 2, summary["counts"]
for study in summary["studies"]:
    patient = study["id"].split("_")[0]
    score = load(work / "table" / "out" / study["id"] / "score.nii.gz").astype(np.float32)
    body = load(work / "table" / "body" / f"{patient}.body.nii.gz") > 0
    lesions = load(work / "table" / "truth" / f"{patient}.lesions.nii.gz") > 0
    hot = top(score)
    outside, share = int((hot & ~body).sum()), (hot & lesions).sum() / hot.sum()
    print(f"{patient} on a table: top 1 % = {hot.sum()} voxels, {outside} outside the body, "
          f"lesions {share:.1%} of it (they are {lesions.sum() / body.sum():.2%} of the body)")
    assert outside == 0, f"{patient}: {outside} of the top 1 % outside the body (the table)"
    assert share > 0, f"{patient}: no lesion voxel in the top 1 %"

lung = work / "lung"
if (lung / "out").exists():
    summary = json.loads((lung / "out" / "run_summary.json").read_text())
    assert summary["counts"]["done"] == 1, summary
    study = summary["studies"][0]
    assert not study["id"].endswith("_Sx"), study["id"]  # no SeriesNumber: named by its UID
    m = nib.load(lung / "out" / study["id"] / "score.nii.gz")
    score = np.asarray(m.dataobj, dtype=np.float32)
    s = {n: nib.load(lung / "structures" / f"{n}.nii.gz") for n in ("Body", "Lung", "Tumor")}
    for n, img in s.items():
        assert np.abs(img.affine - m.affine).max() < 1e-3, (n, img.affine, m.affine)
    body, tumour = (np.asarray(s[n].dataobj) > 0 for n in ("Body", "Tumor"))
    ring = body & (ndimage.distance_transform_edt(body, sampling=m.header.get_zooms()[:3]) <= 5.0)
    hot = top(score)
    n = hot.sum()
    print(f"plastimatch lung phantom: top 1 % = {n} voxels: tumour {(hot & tumour).sum() / n:.1%} "
          f"({(hot & tumour).sum() / tumour.sum():.0%} of the tumour), skin ring {(hot & ring).sum() / n:.1%}, "
          f"outside the body {(hot & ~body).sum() / n:.1%}")
    inside = score[body]
    ranks = stats.rankdata(inside)
    positive = tumour[body]
    auroc = (ranks[positive].sum() - positive.sum() * (positive.sum() + 1) / 2) / (positive.sum() * (~positive).sum())
    print(f"plastimatch lung phantom: tumour AUROC against the rest of the body {auroc:.3f}")
    assert (hot & ~body).sum() == 0, "top 1 % voxels outside the body"
    # docs/results.md records 0.827 for the bundled model (the local z-score: 0.875).
    assert auroc > 0.78, "the tumour is not scored above the rest of the body"
print("couch and edges: ok")
PY
