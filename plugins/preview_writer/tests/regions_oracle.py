"""Independent check of the preview's hot regions: numpy's percentile of the
values above the minimum, scipy's 26-connected components of the voxels at or
above it, ranked by their core, the mean excess (score - level) over their
hottest k voxels, a smaller region's missing voxels counting 0 (ties: the
higher peak).
Usage: MAP.npy RANKS.npy OURS.json"""
import json
import sys

import numpy as np
from scipy import ndimage

score = np.load(sys.argv[1]).astype(np.float64)
ours_ranks = np.load(sys.argv[2]).astype(np.int64)
ours = json.load(open(sys.argv[3]))

inside = score[score > score.min()]
threshold = np.percentile(inside, ours["percentile"])
assert abs(threshold - ours["threshold"]) <= 1e-6 * max(1.0, abs(threshold)), (threshold, ours["threshold"])

hot = score >= ours["threshold"]
labels, count = ndimage.label(hot, structure=np.ones((3, 3, 3)))
ids = np.arange(1, count + 1)
mass = ndimage.sum_labels(score - ours["threshold"], labels, ids)
peak = ndimage.maximum(score, labels, ids)
k = ours["core_voxels"]
core = np.array([np.sort(score[labels == i] - ours["threshold"])[::-1][:k].sum() / k for i in ids])
order = sorted(ids, key=lambda i: (-core[i - 1], -peak[i - 1]))
shown = order[: len(ours["regions"])]
assert len(ours["regions"]) == min(count, 255), (len(ours["regions"]), count)

expected_ranks = np.zeros_like(labels)
for rank, label in enumerate(shown, start=1):
    expected_ranks[labels == label] = rank
    region = ours["regions"][rank - 1]
    voxels = np.argwhere(labels == label)
    assert region["rank"] == rank
    assert region["voxels"] == len(voxels), (rank, region["voxels"], len(voxels))
    assert abs(region["mass"] - mass[label - 1]) <= 1e-6 * max(1.0, mass[label - 1]), (rank, region["mass"], mass[label - 1])
    assert abs(region["core"] - core[label - 1]) <= 1e-5 * max(1.0, core[label - 1]), (rank, region["core"], core[label - 1])
    assert np.float32(region["peak"]) == np.float32(peak[label - 1])
    assert score[tuple(region["peak_index"])] == peak[label - 1] and labels[tuple(region["peak_index"])] == label
    assert region["lo"] == voxels.min(axis=0).tolist() and region["hi"] == voxels.max(axis=0).tolist()
assert np.array_equal(ours_ranks, expected_ranks), "voxel ranks differ"
print(f"regions ok: {count} components at the {ours['percentile']}th percentile, {len(shown)} ranked")
