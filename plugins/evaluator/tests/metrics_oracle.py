"""Oracle for the evaluator's metrics: python3 metrics_oracle.py DIR

DIR/config.json: {"studies": [ids], "max_fpr": m, "connectivity": 26|6, "sampled": bool}
DIR/map_<i>.npy (float32), DIR/mask_<i>.npy (uint8), and when sampled
DIR/pos_<i>.npy, DIR/neg_<i>.npy (int64 linear indices of the drawn voxels).
Writes DIR/oracle.json.

Independent of the C++ code: scikit-learn (roc_auc_score, with and without
max_fpr, average_precision_score) where it defines the metric, numpy for
the raw partial AUROC (trapezoids up to max_fpr, interpolated there) and the
MVTec AD AUPRO (as MVTec's compute_pro: per-voxel PRO increments 1/|region|,
cumulative sums over scores sorted in descending order, one point per distinct
score), scipy.ndimage.label for the regions (a 3x3x3 block of ones for
26-connectivity, the cross for 6)."""
import json
import os
import sys

import numpy as np
from scipy import ndimage
from sklearn.metrics import average_precision_score, roc_auc_score


def curve_points(scores, increments_x, increments_y):
    """Cumulative sums in descending score order, one point per distinct score, from (0, 0)."""
    order = np.argsort(-scores, kind="mergesort")
    s = scores[order]
    cx = np.cumsum(increments_x[order], dtype=np.float64)
    cy = np.cumsum(increments_y[order], dtype=np.float64)
    last_of_each = np.r_[np.nonzero(np.diff(s))[0], s.size - 1]
    return np.r_[0.0, cx[last_of_each]], np.r_[0.0, cy[last_of_each]]


def area_to(x, y, x_max):
    """Trapezoid area under y(x) for x in [0, x_max], y interpolated linearly at x_max."""
    stop = np.searchsorted(x, x_max, side="right")
    if stop >= x.size:
        xs, ys = x, y
    else:
        y_at = y[stop - 1] + (y[stop] - y[stop - 1]) * (x_max - x[stop - 1]) / (x[stop] - x[stop - 1])
        xs, ys = np.r_[x[:stop], x_max], np.r_[y[:stop], y_at]
    return float(np.sum(np.diff(xs) * (ys[1:] + ys[:-1]) / 2))


def main():
    d = sys.argv[1]
    cfg = json.load(open(os.path.join(d, "config.json")))
    max_fpr = cfg["max_fpr"]
    structure = np.ones((3, 3, 3)) if cfg["connectivity"] == 26 else ndimage.generate_binary_structure(3, 1)
    scores, labels, pro_inc = [], [], []
    n_regions = 0
    study_scores, study_labels, per_study = [], [], []
    for i, _ in enumerate(cfg["studies"]):
        m = np.load(os.path.join(d, f"map_{i}.npy")).astype(np.float64)
        gt = np.load(os.path.join(d, f"mask_{i}.npy")) != 0
        lab, n = ndimage.label(gt, structure)
        np.save(os.path.join(d, f"labels_{i}.npy"), lab.astype(np.int32))
        per_study.append({"positives": int(gt.sum()), "regions": int(n), "max": float(m.max())})
        study_scores.append(m.max())
        study_labels.append(bool(gt.any()))
        flat_m, flat_gt, flat_lab = m.ravel(), gt.ravel(), lab.ravel()
        if cfg["sampled"]:
            pos = np.load(os.path.join(d, f"pos_{i}.npy"))
            neg = np.load(os.path.join(d, f"neg_{i}.npy"))
            assert flat_gt[pos].all() and not flat_gt[neg].any(), "the draw mixes the classes"
            idx = np.r_[pos, neg]
            drawn_regions = flat_lab[pos]
            counts = np.bincount(drawn_regions, minlength=n + 1)
            n_regions += int(np.count_nonzero(counts[1:]))
            inc = np.zeros(idx.size)
            inc[: pos.size] = 1.0 / counts[drawn_regions]
        else:
            idx = np.arange(flat_m.size)
            sizes = np.bincount(flat_lab, minlength=n + 1)
            n_regions += n
            inc = np.where(flat_gt, 1.0 / np.maximum(sizes[flat_lab], 1), 0.0)
        scores.append(flat_m[idx])
        labels.append(flat_gt[idx])
        pro_inc.append(inc)
    s = np.concatenate(scores)
    y = np.concatenate(labels)
    inc = np.concatenate(pro_inc)
    out = {"studies": per_study, "positives": int(y.sum()), "negatives": int((~y).sum()), "regions": n_regions}
    out["auroc"] = float(roc_auc_score(y, s))
    out["auroc_max_fpr_mcclish"] = float(roc_auc_score(y, s, max_fpr=max_fpr))
    out["average_precision"] = float(average_precision_score(y, s))
    fpr, tpr = curve_points(s, (~y).astype(np.float64), y.astype(np.float64))
    out["auroc_max_fpr"] = area_to(fpr / fpr[-1], tpr / tpr[-1], max_fpr) / max_fpr
    out["auroc_numpy"] = area_to(fpr / fpr[-1], tpr / tpr[-1], 1.0)
    fx, pro = curve_points(s, (~y).astype(np.float64), inc)
    out["aupro_max_fpr"] = area_to(fx / fx[-1], np.clip(pro / n_regions, 0, 1), max_fpr) / max_fpr
    out["distinct_scores"] = int(np.unique(s).size)
    ss, sl = np.array(study_scores), np.array(study_labels)
    if sl.all() or not sl.any():
        out["sample_auroc"] = None
        out["sample_average_precision"] = None
    else:
        out["sample_auroc"] = float(roc_auc_score(sl, ss))
        out["sample_average_precision"] = float(average_precision_score(sl, ss))
    json.dump(out, open(os.path.join(d, "oracle.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
