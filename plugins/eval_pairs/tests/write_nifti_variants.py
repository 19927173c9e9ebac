"""Writes NIfTI files of every scalar type for the reader test:
python3 write_nifti_variants.py DIR   (nibabel; see test_eval_pairs.cpp)

Beside each NAME.nii[.gz], NAME.npy holds what nibabel reads back (scaled,
float32): the oracle for the values and the axis order.

Each file holds distinct values on an oblique grid of 7x6x19 voxels (19 slices:
more than one slab of 16). Also: big-endian data, integer data with
scl_slope/scl_inter (nibabel's scaling of float values into uint8/int16), a
.nii without gzip, and a 2-D image."""
import os
import sys

import nibabel as nib
import numpy as np

d = sys.argv[1]
shape = (7, 6, 19)
c, s = np.cos(0.4), np.sin(0.4)
affine = np.array([[c * 0.9, -s * 0.8, 0, -30.5], [s * 0.9, c * 0.8, 0, 12.25], [0, 0, 2.5, 77.0], [0, 0, 0, 1]])
base = np.arange(np.prod(shape)).reshape(shape)
rng = np.random.default_rng(1)


def save(name, data, header=None, dtype=None):
    img = nib.Nifti1Image(data, affine, header=header)
    if dtype is not None:
        img.set_data_dtype(dtype)
    nib.save(img, os.path.join(d, name))
    back = nib.load(os.path.join(d, name)).get_fdata(dtype=np.float64).astype(np.float32)
    np.save(os.path.join(d, name.split(".")[0] + ".npy"), np.ascontiguousarray(back))


save("u8.nii.gz", (base % 251).astype(np.uint8))
save("i8.nii", (base % 200 - 100).astype(np.int8))
save("i16.nii.gz", (base * 7 - 3000).astype(np.int16))
save("i16_be.nii.gz", (base * 7 - 3000).astype(np.int16), header=nib.Nifti1Header(endianness=">"))
save("u16.nii.gz", (base * 3).astype(np.uint16))
save("i32.nii.gz", (base * 1001 - 50000).astype(np.int32))
save("f32.nii.gz", (rng.normal(0, 10, shape)).astype(np.float32))
save("f32_be.nii", (rng.normal(0, 10, shape)).astype(np.float32), header=nib.Nifti1Header(endianness=">"))
save("f64.nii.gz", rng.normal(0, 1e3, shape))
save("u8_scaled.nii.gz", rng.uniform(-3, 5, shape).astype(np.float32), dtype=np.uint8)
save("i16_scaled.nii.gz", rng.uniform(-300, 500, shape).astype(np.float32), dtype=np.int16)
save("2d.nii.gz", rng.normal(0, 1, shape[:2]).astype(np.float32))
mask = np.zeros(shape, np.uint8)
mask[2:4, 1:5, 3:17] = 3
save("mask_u8.nii.gz", mask)
for name in ("u8_scaled.nii.gz", "i16_scaled.nii.gz"):
    proxy = nib.load(os.path.join(d, name)).dataobj  # nibabel keeps the file's scaling here
    assert proxy.slope != 1 or proxy.inter != 0, (name, proxy.slope, proxy.inter)
