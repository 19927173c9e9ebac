"""Independent reading of an uncompressed CT series with pydicom and numpy:
pydicom_oracle.py OUT_PREFIX FILE_OR_DIR...

Writes OUT_PREFIX.npy (HU as float64, shape (columns, rows, slices): axis 0 =
DICOM column, 1 = row, 2 = slices sorted along the normal) and OUT_PREFIX.json
(size, origin, spacing, direction as a row-major 3x3 whose column k is axis k).
Padding pixels (PixelPaddingValue) become -2048.
"""
import json
import os
import sys

import numpy as np
import pydicom


def files_of(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for n in sorted(names):
                    yield os.path.join(root, n)
        else:
            yield p


def frames_of(ds):
    """(position, orientation, spacing, slope, intercept, pixels) per frame."""
    pixels = ds.pixel_array.astype(np.float64)
    if "PerFrameFunctionalGroupsSequence" in ds:
        shared = ds.SharedFunctionalGroupsSequence[0]
        for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
            def pick(seq, keyword):
                for group in (item, shared):
                    if seq in group and keyword in group[seq].value[0]:
                        return group[seq].value[0][keyword].value
                return None
            yield (pick("PlanePositionSequence", "ImagePositionPatient"),
                   pick("PlaneOrientationSequence", "ImageOrientationPatient"),
                   pick("PixelMeasuresSequence", "PixelSpacing"),
                   float(pick("PixelValueTransformationSequence", "RescaleSlope") or 1),
                   float(pick("PixelValueTransformationSequence", "RescaleIntercept") or 0),
                   pixels[f], ds)
    else:
        yield (ds.ImagePositionPatient, ds.ImageOrientationPatient, ds.PixelSpacing,
               float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0)), pixels, ds)


def single_slice_spacing(ds):
    """The documented rule for one slice: SpacingBetweenSlices, else SliceThickness, else 1 mm."""
    for keyword in ("SpacingBetweenSlices", "SliceThickness"):
        value = ds.get(keyword)
        if value not in (None, "") and float(value) > 0:
            return float(value)
    return 1.0


def main():
    out, paths = sys.argv[1], sys.argv[2:]
    frames = []
    for f in files_of(paths):
        frames.extend(frames_of(pydicom.dcmread(f)))
    iop = np.array([float(v) for v in frames[0][1]])
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    normal /= np.linalg.norm(normal)
    frames.sort(key=lambda fr: float(np.dot(np.array([float(v) for v in fr[0]]), normal)))
    positions = np.array([[float(v) for v in fr[0]] for fr in frames])
    hu_slices = []
    for position, _, _, slope, intercept, pixels, ds in frames:
        hu = pixels * slope + intercept
        if "PixelPaddingValue" in ds:
            hu[pixels == ds.PixelPaddingValue] = -2048
        hu_slices.append(hu.T)  # (rows, columns) -> (columns, rows)
    volume = np.stack(hu_slices, axis=-1)
    steps = np.diff(positions @ normal)
    spacing_z = float(np.median(steps)) if len(steps) else single_slice_spacing(frames[0][6])
    ps = [float(v) for v in frames[0][2]]
    direction = np.stack([row, col, normal], axis=1)
    np.save(out + ".npy", np.ascontiguousarray(volume))
    with open(out + ".json", "w") as fh:
        json.dump({"size": list(volume.shape), "origin": positions[0].tolist(), "spacing": [ps[1], ps[0], spacing_z],
                   "direction": direction.tolist()}, fh)


if __name__ == "__main__":
    main()
