"""Where each model's hottest voxels lie on the synthetic test set (docs/results.md):
for every study, the top 1 % of its map's voxels, split into lesion voxels, body
voxels within 5 mm of the skin (the skin ring), other body voxels, and voxels
outside the body (the table, air); shares pooled over the studies (lesion share:
over the studies with lesions). The body is the generator's (make_demo_dicom's
body/), the patient without the table.

/usr/bin/python3 scripts/results_top_share.py WORK_DIR [TOP=0.01]   (after scripts/evaluate_default_model.sh)
"""
import glob
import os
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage

NAMES = {"full": "(a) learned condition", "none": "(b) no condition", "sincos": "(c) sin-cos condition",
         "baseline": "(d) local z-score"}


def shares(map_file, body, lesions, spacing, top):
    score = np.asarray(nib.load(map_file).dataobj, dtype=np.float32)
    k = max(1, int(round(top * score.size)))
    hot = score >= np.partition(score.ravel(), score.size - k)[score.size - k]
    depth = ndimage.distance_transform_edt(body, sampling=spacing)
    ring = body & (depth <= 5.0)
    return {"n": int(hot.sum()), "lesion": int((hot & lesions).sum()), "ring": int((hot & ring & ~lesions).sum()),
            "outside": int((hot & ~body).sum())}


def main(work, top):
    totals = {v: {"n": 0, "lesion": 0, "n_lesion_studies": 0, "ring": 0, "outside": 0} for v in NAMES}
    for truth_file in sorted(glob.glob(f"{work}/test/truth/*.nii.gz")):
        patient = os.path.basename(truth_file).split(".")[0]
        truth = nib.load(truth_file)
        lesions = np.asarray(truth.dataobj) > 0
        body = np.asarray(nib.load(f"{work}/test/body/{patient}.body.nii.gz").dataobj) > 0
        spacing = truth.header.get_zooms()[:3]
        for v in NAMES:
            study = glob.glob(f"{work}/maps_{v}/{patient}_*/score.nii.gz")
            if not study:
                continue
            s = shares(study[0], body, lesions, spacing, top)
            t = totals[v]
            t["n"] += s["n"]
            t["ring"] += s["ring"]
            t["outside"] += s["outside"]
            if lesions.any():
                t["lesion"] += s["lesion"]
                t["n_lesion_studies"] += s["n"]
    print(f"| model | lesion share of the top {top:.0%} | skin ring (≤ 5 mm) | outside the body |")
    print("|---|---|---|---|")
    for v, name in NAMES.items():
        t = totals[v]
        if not t["n"]:
            continue
        print(f"| {name} | {t['lesion'] / max(t['n_lesion_studies'], 1):.1%} | {t['ring'] / t['n']:.1%} | "
              f"{t['outside'] / t['n']:.1%} |")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.01)
