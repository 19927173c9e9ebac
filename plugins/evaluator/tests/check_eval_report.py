"""Checks a `screener eval` report against scikit-learn / numpy / scipy:
python3 check_eval_report.py DATA_DIR OUT_DIR [SUBSAMPLE]

Reads the maps with nibabel and the masks from DATA_DIR/mask_<study>.npy
(what make_eval_data.py wrote), recomputes the metrics over every voxel of the
evaluated studies (metrics_oracle.py's functions) and compares them with
OUT_DIR/eval.json (within 1e-4: the evaluator bins scores at 2^-15); checks
the run summary (the mismatched study failed alone, naming both files), the
note for the study without a mask, and the curves' PNG."""
import json
import os
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage
from skimage import io
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics_oracle import area_to, curve_points  # noqa: E402

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def near(a, b, tol, what):
    check(a is not None and b is not None and abs(a - b) <= tol, f"{what}: evaluator {a}, oracle {b}")


def main():
    data, out = sys.argv[1], sys.argv[2]
    subsample = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    expected = json.load(open(os.path.join(data, "expected.json")))
    report = json.load(open(os.path.join(out, "eval.json")))
    summary = json.load(open(os.path.join(out, "run_summary.json")))

    # The run: the mismatched study failed alone, with both files named.
    status = {s["id"]: s for s in summary["studies"]}
    check(sorted(status) == sorted(expected["evaluated"] + [expected["failed"]]), f"studies run: {sorted(status)}")
    for sid in expected["evaluated"]:
        check(status.get(sid, {}).get("status") == "done", f"{sid} not done: {status.get(sid)}")
    bad = status.get(expected["failed"], {})
    message = bad.get("error", {}).get("message", "")
    check(bad.get("status") == "failed", f"{expected['failed']} did not fail: {bad}")
    check(expected["failed"] in message and "score.nii.gz" in message and "P5.lesions.nii.gz" in message
          and "spacings differ" in message, f"the failure does not name the study and both files: {message}")
    notes = " ".join(summary.get("notes", []))
    check(expected["no_mask"] in notes and "not counted" in notes, f"no note for the study without a mask: {notes}")
    check(summary["finish_outputs"].get("metrics") == [os.path.join(out, "eval.json"), os.path.join(out, "eval_curves.png")],
          f"finish outputs: {summary['finish_outputs']}")
    check(report["failed"] == [expected["failed"]], f"failed list: {report['failed']}")
    check([s["id"] for s in report["studies"]] == sorted(expected["evaluated"]), f"per-study table: {report['studies']}")

    # The metrics over every voxel.
    scores, labels, inc, regions = [], [], [], 0
    study_max, study_label = [], []
    for sid in sorted(expected["evaluated"]):
        m = np.asarray(nib.load(os.path.join(data, "maps", sid, "score.nii.gz")).dataobj, dtype=np.float64)
        gt = np.load(os.path.join(data, f"mask_{sid}.npy")) != 0
        lab, n = ndimage.label(gt, np.ones((3, 3, 3)))
        sizes = np.bincount(lab.ravel(), minlength=n + 1)
        row = next(s for s in report["studies"] if s["id"] == sid)
        check(row["positives"] == int(gt.sum()) and row["regions"] == n and row["voxels"] == gt.size,
              f"{sid}: table {row} vs positives {int(gt.sum())}, regions {n}")
        near(row["score"], float(m.max()), 0, f"{sid} score")
        if subsample:
            check(row["sampled"]["positives"] == min(subsample, int(gt.sum())), f"{sid} sampled {row['sampled']}")
            check(row["sampled"]["negatives"] == min(subsample, int((~gt).sum())), f"{sid} sampled {row['sampled']}")
        regions += n
        scores.append(m.ravel())
        labels.append(gt.ravel())
        inc.append(np.where(gt.ravel(), 1.0 / np.maximum(sizes[lab.ravel()], 1), 0.0))
        study_max.append(m.max())
        study_label.append(gt.any())
    s, y, inc = np.concatenate(scores), np.concatenate(labels), np.concatenate(inc)
    max_fpr = report["settings"]["max_fpr"]
    v = report["voxel"]
    near(report["sample"]["auroc"], float(roc_auc_score(study_label, study_max)), 1e-12, "sample AUROC")
    if subsample:
        check(v["positives"] == sum(min(subsample, int(l.sum())) for l in labels), f"drawn positives {v['positives']}")
        check(0.5 < v["auroc"] < 1.0, f"subsampled AUROC {v['auroc']}")
        # The drawn voxels are a sample of the whole: close to the full value.
        near(v["auroc"], float(roc_auc_score(y, s)), 0.1, "subsampled AUROC vs all voxels")
    else:
        check(v["positives"] == int(y.sum()) and v["negatives"] == int((~y).sum()), f"counts {v}")
        near(v["auroc"], float(roc_auc_score(y, s)), 1e-4, "AUROC")
        near(v["auroc_max_fpr_mcclish"], float(roc_auc_score(y, s, max_fpr=max_fpr)), 1e-4, "McClish AUROC")
        near(v["average_precision"], float(average_precision_score(y, s)), 1e-4, "AP")
        fpr, tpr = curve_points(s, (~y).astype(float), y.astype(float))
        near(v["auroc_max_fpr"], area_to(fpr / fpr[-1], tpr / tpr[-1], max_fpr) / max_fpr, 1e-4, "AUROC@max_fpr")
        fx, pro = curve_points(s, (~y).astype(float), inc)
        near(v["aupro_max_fpr"], area_to(fx / fx[-1], np.clip(pro / regions, 0, 1), max_fpr) / max_fpr, 1e-4, "AUPRO")
        check(v["regions"] == regions, f"regions {v['regions']} vs {regions}")
    for name, key in (("roc", "tpr"), ("pro", "pro")):
        c = report["curves"][name]
        check(2 <= len(c["fpr"]) <= 1000 and len(c[key]) == len(c["fpr"]), f"{name} curve length {len(c['fpr'])}")
        check(c["fpr"][0] == 0 and abs(c["fpr"][-1] - 1) < 1e-12, f"{name} curve ends")
    png = io.imread(os.path.join(out, "eval_curves.png"))
    check(png.shape == (500, 1000, 3), f"PNG shape {png.shape}")
    check(len(np.unique(png.reshape(-1, 3), axis=0)) >= 4, "the PNG has fewer than 4 colours")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"eval report OK: AUROC {v['auroc']:.4f}, AUROC@{max_fpr} {v['auroc_max_fpr']:.4f}, "
          f"AUPRO@{max_fpr} {v['aupro_max_fpr']:.4f}, AP {v['average_precision']:.4f}")


if __name__ == "__main__":
    main()
