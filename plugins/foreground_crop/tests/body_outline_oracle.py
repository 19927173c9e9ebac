"""Oracle for the body outline: squared distances, opening with a ball in mm, largest component.
python3 body_outline_oracle.py distance FEATURES.npy S0 S1 S2 OUT.npy
    OUT: float64 squared distance (mm^2) of every voxel to the nearest nonzero voxel of FEATURES
python3 body_outline_oracle.py outline MASK.npy S0 S1 S2 OPENING_MM LARGEST(0|1) OUT.npy
    OUT: uint8 mask opened with the ball {offsets: |offset|_mm <= OPENING_MM}, then (LARGEST=1)
    reduced to its largest 6-connected component.
Both with scipy.ndimage, independently of the C++ code: the opening as erosion then dilation through
distance_transform_edt (a voxel is kept by the erosion when no background voxel of the grid lies within
the ball, and the grid's outside is no background), and ndimage.label's default structure."""
import sys

import numpy as np
from scipy import ndimage

mode = sys.argv[1]
data = np.load(sys.argv[2])
spacing = [float(v) for v in sys.argv[3:6]]

if mode == "distance":
    features = data != 0
    d = ndimage.distance_transform_edt(~features, sampling=spacing)
    np.save(sys.argv[6], d ** 2)
    sys.exit(0)

opening_mm, largest, out = float(sys.argv[6]), sys.argv[7] == "1", sys.argv[8]
mask = data != 0
if opening_mm > 0:
    r2 = opening_mm ** 2
    eroded = mask & (ndimage.distance_transform_edt(mask, sampling=spacing) ** 2 > r2) if (~mask).any() else mask
    mask = (ndimage.distance_transform_edt(~eroded, sampling=spacing) ** 2 <= r2) if eroded.any() else eroded
if largest:
    labels, n = ndimage.label(mask)
    if n:
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        mask = labels == np.argmax(sizes)
np.save(out, mask.astype(np.uint8))
