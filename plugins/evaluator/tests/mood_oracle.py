"""Oracle of the MOOD challenge's metrics: python3 mood_oracle.py DIR

DIR/config.json: {"studies": [ids]}; DIR/map_<i>.npy (float32 scores),
DIR/mask_<i>.npy (uint8). Writes DIR/mood.json with the sample-level and
voxel-level AP computed as the challenge's scripts/evalresults.py does
(process_file_pixelwise / process_file_samplewise / eval_list): labels
rounded and clipped to {0, 1}, voxel scores read as float16 and clipped to
[0, 1], every study concatenated, sklearn average_precision_score; the
sample score is the map's maximum (what `screener eval` reports), clipped
to [0, 1], the sample label whether the mask has a positive voxel.
Independent of the C++ code."""
import json
import os
import sys

import numpy as np
from sklearn import metrics


def main():
    d = sys.argv[1]
    cfg = json.load(open(os.path.join(d, "config.json")))
    voxel_pred, voxel_label, sample_pred, sample_label = [], [], [], []
    for i, _ in enumerate(cfg["studies"]):
        scores = np.load(os.path.join(d, f"map_{i}.npy"))
        label = np.clip(np.rint(np.load(os.path.join(d, f"mask_{i}.npy")).astype(np.float64)).astype(np.int64), 0, 1) == 1
        pred = np.clip(scores.astype(np.float16), 0.0, 1.0)
        voxel_pred.append(pred.flatten())
        voxel_label.append(label.flatten())
        sample_pred.append([float(np.clip(float(scores.max()), 0.0, 1.0))])
        sample_label.append([int(label.any())])
    out = {
        "voxel_average_precision": float(metrics.average_precision_score(np.concatenate(voxel_label), np.concatenate(voxel_pred))),
        "sample_average_precision": float(metrics.average_precision_score(np.concatenate(sample_label), np.concatenate(sample_pred))),
    }
    json.dump(out, open(os.path.join(d, "mood.json"), "w"))


if __name__ == "__main__":
    main()
