"""unpack_npz.py NPZ OUTDIR: every array NAME/KEY of the archive to OUTDIR/NAME/KEY.npy."""
import os
import sys

import numpy as np

archive = np.load(sys.argv[1])
for full in archive.files:
    name, key = full.split("/", 1)
    os.makedirs(os.path.join(sys.argv[2], name), exist_ok=True)
    np.save(os.path.join(sys.argv[2], name, key + ".npy"), archive[full])
