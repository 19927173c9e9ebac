"""Writes a synthetic CT series built from pydicom's real CT_small.dcm: the
slice replicated along the normal with shifted ImagePositionPatient, each
slice's pixels changed a little so that the slices differ.

make_series.py OUTDIR [options]; see the argument parser for the variants
(irregular stacks, per-slice rescale, padding, an enhanced multi-frame file).
"""
import argparse
import copy
import hashlib
import os
import random
import re

import numpy as np
import pydicom
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

CT_SMALL = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "CT_small.dcm")


def uid(*parts):
    return "1.2.826.0.1.3680043.10.1." + str(int(hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:20], 16))


def rotation(oblique):
    if not oblique:
        return np.eye(3)
    a, b = np.radians(30), np.radians(20)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return rx @ rz


def main():
    p = argparse.ArgumentParser()
    p.add_argument("outdir")
    p.add_argument("--tag", default="a", help="distinguishes the UIDs of series made in one test")
    p.add_argument("--study-tag", default=None, help="series with the same study tag share a study")
    p.add_argument("--slices", type=int, default=12)
    p.add_argument("--spacing", type=float, default=2.5)
    p.add_argument("--oblique", action="store_true")
    p.add_argument("--names", choices=["ordered", "reverse", "shuffled"], default="shuffled")
    p.add_argument("--slope", type=float, default=1.0)
    p.add_argument("--vary-intercept", action="store_true", help="intercept -1024, -1023, -1022, ... per slice")
    p.add_argument("--no-padding", action="store_true", help="remove PixelPaddingValue")
    p.add_argument("--pad-corner", action="store_true", help="set an 8x8 corner of every slice to the padding value")
    p.add_argument("--bits-stored", type=int, default=16)
    p.add_argument("--eight-bit", action="store_true",
                   help="unsigned 8-bit pixels (BitsAllocated 8), the image scaled to 0..255 (use with --no-padding)")
    p.add_argument("--image-type", default="ORIGINAL\\PRIMARY\\AXIAL")
    p.add_argument("--modality", default="CT")
    p.add_argument("--series-number", type=int, default=2)
    p.add_argument("--duplicate-position", type=int, default=None, help="extra instance at slice K's position")
    p.add_argument("--jitter", nargs=2, type=float, default=None, metavar=("K", "MM"), help="move slice K along the normal")
    p.add_argument("--shift-in-plane", nargs=2, type=float, default=None, metavar=("K", "MM"))
    p.add_argument("--tilt", type=float, default=0.0, help="gantry tilt in degrees (slices offset along the column direction)")
    p.add_argument("--mixed-orientation", type=int, default=None, metavar="K")
    p.add_argument("--mixed-size", type=int, default=None, metavar="K")
    p.add_argument("--enhanced", action="store_true", help="one Enhanced CT multi-frame file, frames shuffled")
    p.add_argument("--latin1-name", default=None, help="PatientName, stored in ISO_IR 100 (Latin-1)")
    p.add_argument("--set", action="append", default=[], metavar="KEYWORD=VALUE",
                   help="write VALUE (Python escapes such as \\x01 decoded; '{N*c}' repeats c N times) "
                        "as KEYWORD in every slice, unchecked: hostile values")
    p.add_argument("--set-slice", action="append", nargs=2, default=[], metavar=("K", "KEYWORD=VALUE"),
                   help="as --set, in slice K only")
    p.add_argument("--delete", action="append", default=[], metavar="KEYWORD", help="remove KEYWORD from every slice")
    p.add_argument("--pixel-data-factor", type=int, default=1, help="PixelData repeated this many times")
    p.add_argument("--crop", type=int, default=None, metavar="N", help="images of N x N pixels (small files: fuzz seeds)")
    p.add_argument("--strip-private", action="store_true", help="without CT_small's private tags (small files)")
    a = p.parse_args()

    os.makedirs(a.outdir, exist_ok=True)
    base = pydicom.dcmread(CT_SMALL)
    if a.strip_private:
        base.remove_private_tags()
    pixels = base.pixel_array.astype(np.int32)
    rot = rotation(a.oblique)
    row_dir, col_dir = rot @ np.array([1.0, 0, 0]), rot @ np.array([0, 1.0, 0])
    normal = np.cross(row_dir, col_dir)
    origin = np.array([float(v) for v in base.ImagePositionPatient])
    study_uid = uid("study", a.study_tag or a.tag)
    series_uid = uid("series", a.tag)
    max_stored = 2 ** (a.bits_stored - 1) - 1
    rng = random.Random(a.tag)

    slices = []
    for k in range(a.slices):
        ds = copy.deepcopy(base)
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = uid("instance", a.tag, k)
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SeriesNumber = a.series_number
        if a.latin1_name:
            ds.SpecificCharacterSet = "ISO_IR 100"
            ds.PatientName = a.latin1_name
        ds.InstanceNumber = k + 1
        ds.Modality = a.modality
        ds.ImageType = a.image_type.split("\\")
        position = origin + normal * a.spacing * k
        position = position + col_dir * np.tan(np.radians(a.tilt)) * a.spacing * k
        if a.jitter and int(a.jitter[0]) == k:
            position = position + normal * a.jitter[1]
        if a.shift_in_plane and int(a.shift_in_plane[0]) == k:
            position = position + row_dir * a.shift_in_plane[1]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in position]
        iop = list(row_dir) + list(col_dir)
        if a.mixed_orientation == k:
            iop = [1, 0, 0, 0, 0, -1]
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in iop]
        ds.SliceLocation = f"{float(np.dot(position, normal)):.6f}"
        # Non-square pixels and images, so that a swapped row/column shows.
        img = np.roll(pixels, 3 * k, axis=0)[:, :112] + 5 * k
        img = np.minimum(img, max_stored)
        if a.pad_corner:
            img[:8, :8] = -2000
        if a.mixed_size == k:
            img = img[:, :96]
        if a.crop:
            img = img[: a.crop, : a.crop]
        ds.Rows, ds.Columns = img.shape
        ds.PixelSpacing = ["0.661468", "0.75"]
        if a.eight_bit:
            lo, hi = int(pixels.min()), int(pixels.max()) + 5 * a.slices
            img = np.clip((img - lo) * 255 // (hi - lo), 0, 255)
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
            ds.PixelData = img.astype(np.uint8).tobytes()
        else:
            ds.BitsStored = a.bits_stored
            ds.HighBit = a.bits_stored - 1
            ds.PixelData = img.astype(np.int16).tobytes()
        ds.RescaleSlope = f"{a.slope:g}"
        ds.RescaleIntercept = str(-1024 + (k if a.vary_intercept else 0))
        if a.no_padding:
            del ds.PixelPaddingValue
        ds.PixelData = ds.PixelData * a.pixel_data_factor
        for keyword in a.delete:
            if keyword in ds:
                delattr(ds, keyword)
        for assignment in a.set + [v for s, v in a.set_slice if int(s) == k]:
            set_unchecked(ds, assignment)
        slices.append(ds)

    if a.duplicate_position is not None:
        dup = copy.deepcopy(slices[a.duplicate_position])
        dup.SOPInstanceUID = uid("instance", a.tag, "duplicate")
        dup.file_meta.MediaStorageSOPInstanceUID = dup.SOPInstanceUID
        dup.PixelData = (np.frombuffer(dup.PixelData, np.int16) + 1).astype(np.int16).tobytes()
        slices.append(dup)

    if a.enhanced:
        write_enhanced(slices, a, rng)
        return

    order = list(range(len(slices)))
    if a.names == "reverse":
        order.reverse()
    elif a.names == "shuffled":
        rng.shuffle(order)
    for name_index, k in enumerate(order):
        slices[k].save_as(os.path.join(a.outdir, f"{a.tag}{name_index:03d}.dcm"), write_like_original=False)


def set_unchecked(ds, assignment):
    """KEYWORD=VALUE written as the raw bytes of VALUE, so that values a valid
    file could not hold (NaN spacing, '../..' as a UID, control characters)
    reach the reader as a broken or hostile file would bring them."""
    keyword, value = assignment.split("=", 1)
    value = re.sub(r"\{(\d+)\*(.)\}", lambda m: m.group(2) * int(m.group(1)), value)
    value = value.encode("latin-1", "backslashreplace").decode("unicode_escape")
    tag = pydicom.datadict.tag_for_keyword(keyword)
    vr = pydicom.datadict.dictionary_VR(tag)
    if vr in ("US", "SS", "UL", "SL"):
        ds[tag] = DataElement(tag, vr, int(value))
        return
    raw = value.encode("latin-1")
    if len(raw) % 2:
        raw += b"\0" if vr == "UI" else b" "
    ds[tag] = RawDataElement(Tag(tag), vr, len(raw), raw, 0, False, True)


def write_enhanced(slices, a, rng):
    frames = list(range(len(slices)))
    rng.shuffle(frames)
    first = slices[0]
    ds = copy.deepcopy(first)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"  # Enhanced CT Image Storage
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.SOPInstanceUID = uid("enhanced", a.tag)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    for keyword in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "RescaleSlope",
                    "RescaleIntercept", "SliceLocation", "InstanceNumber"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.NumberOfFrames = len(frames)
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = first.PixelSpacing
    measures.SliceThickness = first.SliceThickness
    shared.PixelMeasuresSequence = Sequence([measures])
    orientation = Dataset()
    orientation.ImageOrientationPatient = first.ImageOrientationPatient
    shared.PlaneOrientationSequence = Sequence([orientation])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame = []
    for k in frames:
        item = Dataset()
        position = Dataset()
        position.ImagePositionPatient = slices[k].ImagePositionPatient
        item.PlanePositionSequence = Sequence([position])
        transform = Dataset()
        transform.RescaleSlope = slices[k].RescaleSlope
        transform.RescaleIntercept = slices[k].RescaleIntercept
        transform.RescaleType = "HU"
        item.PixelValueTransformationSequence = Sequence([transform])
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = b"".join(slices[k].PixelData for k in frames)
    ds.save_as(os.path.join(a.outdir, f"{a.tag}_enhanced.dcm"), write_like_original=False)


if __name__ == "__main__":
    main()
