"""Writes a small maps/truth tree for the `screener eval` end-to-end test:
python3 make_eval_data.py DIR

DIR/maps/<study>/score.nii.gz        anomaly maps (float32)
DIR/truth/...                        masks, one per matching rule:
  P1_20240101_S1  truth/P1.lesions.nii.gz              (rule 3, the demo data's naming)
  P2_20240101_S1  truth/P2_20240101_S1.nii.gz          (rule 1)
  P3_20240101_S1  truth/P3_20240101_S1/mask.nii.gz     (rule 2; int16 mask with value 2)
  P4_20240101_S1  truth/P4_20240101_S1/seg.dcm         (rule 2, DICOM SEG: DIR/seg_source.nii.gz,
                                                        which check_eval_cli.sh converts)
  P5_20240101_S1  truth/P5.lesions.nii.gz on another grid (spacing): must fail alone
  P6_20240101_S1  no mask: a note, not evaluated
  P7_20240101_S1  truth/P7.mask.nii.gz, all negative
DIR/expected.json: which studies are evaluated, which fails, which is left out.
"""
import json
import os
import sys

import nibabel as nib
import numpy as np

SHAPE = (40, 36, 30)


def affine(spacing=(0.8, 0.8, 2.0)):
    a = np.diag([-spacing[0], -spacing[1], spacing[2], 1.0])
    a[:3, 3] = [100.0, 80.0, -200.0]
    return a


def lesions(rng, count):
    m = np.zeros(SHAPE, np.uint8)
    ii, jj, kk = np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij")
    for _ in range(count):
        c = [rng.uniform(4, n - 4) for n in SHAPE]
        r = rng.uniform(1.5, 4.5)
        m[(ii - c[0]) ** 2 + (jj - c[1]) ** 2 + ((kk - c[2]) * 1.5) ** 2 <= r * r] = 1
    if count:  # two voxels touching only by a corner: one region in 26-connectivity
        m[5, 5, 5] = m[6, 6, 6] = 1
    return m


def main():
    d = sys.argv[1]
    rng = np.random.default_rng(2024)
    maps, truth = os.path.join(d, "maps"), os.path.join(d, "truth")
    studies = {}
    for p in range(1, 8):
        sid = f"P{p}_20240101_S1"
        mask = lesions(rng, 0 if p == 7 else 3 + p)
        score = (rng.normal(0, 1, SHAPE) + 1.3 * mask).astype(np.float32)
        os.makedirs(os.path.join(maps, sid))
        nib.save(nib.Nifti1Image(score, affine()), os.path.join(maps, sid, "score.nii.gz"))
        studies[sid] = mask
    os.makedirs(truth)

    def save(mask, *path, spacing=(0.8, 0.8, 2.0), dtype=np.uint8):
        f = os.path.join(truth, *path)
        os.makedirs(os.path.dirname(f), exist_ok=True)
        nib.save(nib.Nifti1Image(mask.astype(dtype), affine(spacing)), f)

    save(studies["P1_20240101_S1"], "P1.lesions.nii.gz")
    save(studies["P2_20240101_S1"], "P2_20240101_S1.nii.gz")
    save(studies["P3_20240101_S1"] * 2, "P3_20240101_S1", "mask.nii.gz", dtype=np.int16)
    nib.save(nib.Nifti1Image(studies["P4_20240101_S1"], affine()), os.path.join(d, "seg_source.nii.gz"))
    os.makedirs(os.path.join(truth, "P4_20240101_S1"))
    save(studies["P5_20240101_S1"], "P5.lesions.nii.gz", spacing=(0.8, 0.8, 2.5))
    save(studies["P7_20240101_S1"], "P7.mask.nii.gz")
    for sid, mask in studies.items():
        np.save(os.path.join(d, f"mask_{sid}.npy"), mask)
    json.dump({"evaluated": ["P1_20240101_S1", "P2_20240101_S1", "P3_20240101_S1", "P4_20240101_S1",
                             "P7_20240101_S1"],
               "failed": "P5_20240101_S1", "no_mask": "P6_20240101_S1",
               "seg": os.path.join(truth, "P4_20240101_S1", "seg.dcm")},
              open(os.path.join(d, "expected.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
