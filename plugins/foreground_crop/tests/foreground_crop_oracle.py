"""Oracle for the foreground crop and the body mask (SPEC §1.1, §1.5).
python3 foreground_crop_oracle.py volume.npy S0 S1 S2 BLOCK_MM THRESHOLD box.npy [mask.npy [volume|sides]]
box.npy: int64 [start0, start1, start2, stop0, stop1, stop2], all -1 when there is
no foreground. mask.npy: uint8 body mask of the whole volume (not cropped); its
border is all six faces (volume, the default) or the four faces of axes 0 and 1 (sides)."""
import sys

import numpy as np
from scipy import ndimage

hu = np.load(sys.argv[1])
spacing = np.array([float(v) for v in sys.argv[2:5]])
block_mm = float(sys.argv[5])
threshold = float(sys.argv[6])
box_path = sys.argv[7]
mask_path = sys.argv[8] if len(sys.argv) > 8 else None
border_faces = sys.argv[9] if len(sys.argv) > 9 else "volume"

# Body: not air that is connected to the border.
if mask_path:
    labels, _ = ndimage.label(hu < threshold)  # default structure: 6-connectivity
    faces = [labels[0], labels[-1], labels[:, 0], labels[:, -1]]
    if border_faces == "volume":
        faces += [labels[:, :, 0], labels[:, :, -1]]
    border = np.unique(np.concatenate([f.ravel() for f in faces]))
    border = border[border != 0]
    body = ~np.isin(labels, border)
    np.save(mask_path, body.astype(np.uint8))

# The SPEC's procedure, transcribed: pad the boolean image with False up to a
# multiple of the block, reduce each block with min, take the bounding box of
# the true blocks and scale its corners by the block size.
block = np.ceil(block_mm / spacing).astype(np.int64)
shape = np.array(hu.shape)
blocks_per_axis = -(-shape // block)
padded = np.zeros(blocks_per_axis * block, dtype=bool)
padded[: shape[0], : shape[1], : shape[2]] = hu >= threshold
blocks = padded.reshape(blocks_per_axis[0], block[0], blocks_per_axis[1], block[1],
                        blocks_per_axis[2], block[2]).min(axis=(1, 3, 5))
true_blocks = np.argwhere(blocks)
if len(true_blocks) == 0:
    np.save(box_path, np.full(6, -1, dtype=np.int64))
    sys.exit(0)
start = true_blocks.min(axis=0) * block
stop = np.minimum((true_blocks.max(axis=0) + 1) * block, shape)
np.save(box_path, np.concatenate([start, stop]).astype(np.int64))

