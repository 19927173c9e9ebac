"""Per lesion kind, how each model's map ranks the lesions of the synthetic
test set (docs/results.md): for every connected lesion region, the fraction of
its voxels above the 95th and 99th percentiles of the study's body voxels
(scores above the map's minimum), averaged over the regions of a kind.
The kind is told from the CT (the phantom's lesion kinds, plugins/phantom_source):
ground-glass opacity below -300 HU; a solid lesion with lung (< -500 HU) around
it, a lung nodule; else a liver hypodensity.

/usr/bin/python3 scripts/results_by_lesion_kind.py WORK_DIR   (after scripts/evaluate_default_model.sh)
"""
import glob
import os
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage

NAMES = {"full": "(a) learned condition", "none": "(b) no condition", "sincos": "(c) sin-cos condition",
         "baseline": "(d) local z-score"}
KINDS = ("liver hypodensity", "lung nodule", "ground-glass opacity")


def kind_of(region, ct):
    inside = ct[region].mean()
    if inside < -300:
        return "ground-glass opacity"
    ring = ndimage.binary_dilation(region, iterations=3) & ~region
    return "lung nodule" if np.median(ct[ring]) < -500 else "liver hypodensity"


def main(work):
    hits = {v: {k: [] for k in KINDS} for v in NAMES}
    for truth_file in sorted(glob.glob(f"{work}/test/truth/*.nii.gz")):
        patient = os.path.basename(truth_file).split(".")[0]
        truth = nib.load(truth_file).get_fdata() > 0
        if not truth.any():
            continue
        study = os.path.basename(glob.glob(f"{work}/maps_baseline/{patient}_*")[0])
        ct = nib.load(f"{work}/maps_baseline/{study}/image.nii.gz").get_fdata()
        labels, count = ndimage.label(truth, structure=np.ones((3, 3, 3)))
        regions = [labels == i for i in range(1, count + 1)]
        kinds = [kind_of(r, ct) for r in regions]
        for v in NAMES:
            score = nib.load(f"{work}/maps_{v}/{study}/score.nii.gz").get_fdata()
            body = score > score.min()
            p95, p99 = np.percentile(score[body], [95, 99])
            for region, kind in zip(regions, kinds):
                hits[v][kind].append(((score[region] > p95).mean(), (score[region] > p99).mean()))
    print("| model | " + " | ".join(f"{k} (n = {len(hits['full'][k])})" for k in KINDS) + " |")
    print("|---|" + "---|" * len(KINDS))
    for v, name in NAMES.items():
        cells = []
        for k in KINDS:
            h = np.array(hits[v][k]).reshape(-1, 2)
            cells.append(f"{h[:, 0].mean():.2f} / {h[:, 1].mean():.2f}" if len(h) else "n/a")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
