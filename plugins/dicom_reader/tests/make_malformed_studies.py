"""Writes broken and hostile variants of one valid CT series, each a study of
its own in OUTDIR/<case>/, and OUTDIR/cases.json saying what the reader must
do with each:

  {"<case>": {"expect": "failed" | "excluded" | "skipped" | "warned" | "done" | "nothing",
              "cause": ["substring of the error or note", ...]}}   (any one matches)

failed: the study's record in run_summary.json has status failed and the
cause in its error; excluded / skipped: a discovery note naming the case's
folder has the cause; warned: the study is done and its record carries the
cause as a warning; done: read as a good study; nothing: no study, no crash.
A case with "unreadable": PATH made PATH mode 000; the reader must run as a
user who cannot open it.

make_malformed_studies.py SERIES_DIR OUTDIR   (SERIES_DIR: one valid series,
e.g. make_demo_dicom's dicom/<PatientID>/)
"""
import copy
import json
import os
import sys

import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_series import set_unchecked  # noqa: E402

CASES = {}


def case(expect, *cause):
    def register(fn):
        CASES[fn.__name__] = (expect, list(cause), fn)
        return fn
    return register


# Each case gets the series as a list of (file name, dataset) sorted along z,
# and returns what to write: (name, dataset or bytes) pairs. Slice 0 is at the
# lowest position; "mid" is a slice in the middle.

def mid(s):
    return len(s) // 2


def raw(ds):
    from io import BytesIO
    out = BytesIO()
    ds.save_as(out, write_like_original=False)
    return out.getvalue()


def truncate(s, fraction_or_bytes, k=None):
    k = mid(s) if k is None else k
    data = raw(s[k][1])
    n = fraction_or_bytes if isinstance(fraction_or_bytes, int) else int(len(data) * fraction_or_bytes)
    s[k] = (s[k][0], data[:n])
    return s


def set_all(s, *assignments):
    for _, ds in s:
        for a in assignments:
            set_unchecked(ds, a)
    return s


def set_one(s, *assignments, k=None):
    ds = s[mid(s) if k is None else k][1]
    for a in assignments:
        set_unchecked(ds, a)
    return s


def delete_one(s, keyword, k=None):
    ds = s[mid(s) if k is None else k][1]
    if keyword in ds:
        delattr(ds, keyword)
    return s


def new_instance(ds, suffix):
    ds.SOPInstanceUID = ds.SOPInstanceUID + "." + suffix
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID


# --- truncated and unreadable files ---------------------------------------
@case("failed", "missing slice(s)")
def truncated_in_preamble(s): return truncate(s, 100)
@case("failed", "missing slice(s)", "pixel data", "cannot read")
def truncated_in_header(s): return truncate(s, 700)
@case("failed", "pixel data holds", "cannot read", "no pixel data", "missing slice(s)")
def truncated_at_pixel_data_start(s): return truncate(s, len(raw(s[mid(s)][1])) - len(s[mid(s)][1].PixelData) - 2)
@case("failed", "pixel data holds", "cannot read")
def truncated_in_pixel_data(s): return truncate(s, 0.7)
@case("failed", "pixel data holds", "cannot read")
def truncated_by_one_byte(s): return truncate(s, len(raw(s[mid(s)][1])) - 1)
@case("failed", "pixel data holds", "cannot read")
def truncated_first_slice(s): return truncate(s, 0.9, k=0)
# Mode 000 (main() sets it): check_malformed_studies.sh runs the reader as a
# user who may not open them, and checks that it cannot.
@case("failed")  # the cause, which names the file, is set in main()
def unreadable_slice(s): return s
@case("excluded", "Permission denied")
def unreadable_folder(s): return s
@case("failed", "missing slice(s)")
def empty_file(s):
    s[mid(s)] = (s[mid(s)][0], b"")
    return s
@case("failed", "missing slice(s)")
def garbage_file(s):
    s[mid(s)] = (s[mid(s)][0], b"DICM" * 300)
    return s


# --- pixel attributes -----------------------------------------------------
@case("failed", "BitsAllocated 12")
def bits_allocated_12(s): return set_one(s, "BitsAllocated=12")
@case("failed", "samples per pixel")
def samples_per_pixel_3(s): return set_all(s, "SamplesPerPixel=3")
@case("failed", "PixelRepresentation 7")
def pixel_representation_7(s): return set_all(s, "PixelRepresentation=7")
@case("failed", "inconsistent BitsStored 0")
def bits_stored_0(s): return set_one(s, "BitsStored=0")
@case("failed", "inconsistent BitsStored")
def high_bit_20(s): return set_one(s, "HighBit=20")
@case("failed", "pixel data holds")
def rows_larger_than_pixel_data(s): return set_all(s, "Rows=%d" % (s[0][1].Rows + 1))
@case("failed", "pixel data holds")
def columns_half_of_pixel_data(s): return set_all(s, "Columns=%d" % (s[0][1].Columns // 2))
@case("failed", "pixel data holds")
def pixel_data_twice_as_long(s):
    ds = s[mid(s)][1]
    ds.PixelData = ds.PixelData * 2
    return s
@case("failed", "no pixel data", "pixel data holds")
def pixel_data_missing(s): return delete_one(s, "PixelData")
@case("failed", "missing slice(s)")
def rows_missing(s): return delete_one(s, "Rows")
@case("done")
def unknown_transfer_syntax(s):
    # pydicom will not write an unknown one: patched in the bytes (same length).
    # DCMTK detects the encoding the bytes really have (explicit little
    # endian) and reads them: no reason to refuse the study.
    name, ds = s[mid(s)]
    data = raw(ds)
    explicit_le = b"1.2.840.10008.1.2.1\0"
    assert explicit_le in data
    s[mid(s)] = (name, data.replace(explicit_le, b"1.2.840.10008.1.2.99", 1))
    return s


# --- the stack ------------------------------------------------------------
@case("failed", "duplicate slice position")
def two_instances_at_one_position(s):
    name, ds = s[mid(s)]
    dup = copy.deepcopy(ds)
    new_instance(dup, "9")
    s.append(("dup-" + name, dup))
    return s
@case("failed", "missing slice(s)")
def slice_missing(s):
    del s[mid(s)]
    return s
@case("failed", "has no ImagePositionPatient")
def position_missing(s): return delete_one(s, "ImagePositionPatient")
@case("failed", "has no ImageOrientationPatient")
def orientation_missing(s): return delete_one(s, "ImageOrientationPatient")
@case("failed", "has no PixelSpacing")
def pixel_spacing_missing(s): return delete_one(s, "PixelSpacing")
@case("failed", "mixed orientations")
def mixed_orientation(s): return set_one(s, "ImageOrientationPatient=1\\\\0\\\\0\\\\0\\\\0\\\\-1")
@case("failed", "not two orthogonal unit vectors")
def orientation_not_unit(s): return set_all(s, "ImageOrientationPatient=2\\\\0\\\\0\\\\0\\\\1\\\\0")
@case("failed", "mixed image sizes")
def mixed_size(s):
    ds = s[mid(s)][1]
    import numpy as np
    img = ds.pixel_array[:, : ds.Columns // 2].copy()
    ds.Columns = img.shape[1]
    ds.PixelData = img.tobytes()
    return s
@case("failed", "non-uniform slice spacing")
def uneven_step(s):
    ds = s[mid(s)][1]
    p = [float(v) for v in ds.ImagePositionPatient]
    p[2] += 0.3 * float(s[1][1].ImagePositionPatient[2]) - 0.3 * float(s[0][1].ImagePositionPatient[2])
    ds.ImagePositionPatient = [f"{v:.4f}" for v in p]
    return s
@case("failed", "in-plane from the line")
def shifted_in_plane(s):
    ds = s[mid(s)][1]
    p = [float(v) for v in ds.ImagePositionPatient]
    p[0] += 20
    ds.ImagePositionPatient = [f"{v:.4f}" for v in p]
    return s
@case("failed", "sheared stack")
def gantry_tilt(s):
    for k, (_, ds) in enumerate(s):
        p = [float(v) for v in ds.ImagePositionPatient]
        p[1] += 0.5 * k
        ds.ImagePositionPatient = [f"{v:.4f}" for v in p]
    return s


# --- geometry values --------------------------------------------------------
@case("failed", "PixelSpacing nan")
def pixel_spacing_nan(s): return set_all(s, "PixelSpacing=nan\\\\nan")
@case("failed", "PixelSpacing inf")
def pixel_spacing_infinite(s): return set_all(s, "PixelSpacing=inf\\\\1")
@case("failed", "is not positive")
def pixel_spacing_negative(s): return set_all(s, "PixelSpacing=-6\\\\6")
@case("failed", "is not positive")
def pixel_spacing_zero(s): return set_all(s, "PixelSpacing=0\\\\0")
@case("failed", "at most 1000 mm")
def pixel_spacing_absurd(s): return set_all(s, "PixelSpacing=1e30\\\\1e30")
@case("failed", "ImagePositionPatient")
def slice_at_z_nan(s): return set_one(s, "ImagePositionPatient=0\\\\0\\\\nan")
@case("failed", "ImagePositionPatient")
def slice_at_z_1e300(s): return set_one(s, "ImagePositionPatient=0\\\\0\\\\1e300")
@case("failed", "ImageOrientationPatient")
def orientation_nan(s): return set_all(s, "ImageOrientationPatient=nan\\\\0\\\\0\\\\0\\\\1\\\\0")
@case("failed", "RescaleSlope/RescaleIntercept is not finite")
def rescale_slope_nan(s): return set_one(s, "RescaleSlope=nan")
@case("failed", "SliceThickness is not finite")
def slice_thickness_nan(s): return set_one(s, "SliceThickness=nan")


# --- identity values --------------------------------------------------------
@case("failed", "StudyInstanceUID '../..': not a DICOM UID")
def study_uid_dot_dot(s): return set_all(s, "StudyInstanceUID=../..")
@case("failed", "SeriesInstanceUID '1.2/../3': not a DICOM UID")
def series_uid_with_slash(s): return set_all(s, "SeriesInstanceUID=1.2/../3")
@case("failed", "StudyDate '2026/../x': not a DICOM date")
def study_date_traversal(s): return set_all(s, "StudyDate=2026/../x")
@case("failed", "holds control characters")
def description_with_control_characters(s): return set_all(s, "StudyDescription=red\\x1b[31m\\x07bell")
@case("failed", "(10000 bytes)': longer than 64 characters (LO)")
def patient_id_10_kb(s): return set_all(s, "PatientID={10000*A}")
@case("failed", "(10000 bytes)': longer than 64 characters (LO)")
def series_description_10_kb(s): return set_all(s, "SeriesDescription={10000*x}")
@case("failed", "PatientID '../../escaped/x\\x0A': holds control characters")
def patient_id_traversal_and_newline(s): return set_all(s, "PatientID=../../escaped/x\\x0a")
@case("done")
def patient_id_traversal(s): return set_all(s, "PatientID=../../escaped/..")
@case("failed", "FrameOfReferenceUID")
def frame_of_reference_uid_long(s): return set_all(s, "FrameOfReferenceUID={100*1}")


# --- what is read, and what is not ------------------------------------------
@case("excluded", "Modality MR is not CT")
def not_ct(s): return set_all(s, "Modality=MR")
@case("excluded", "Modality C/T is not CT")
def modality_hostile(s): return set_all(s, "Modality=C/T")
@case("excluded", "fewer than min_slices")
def too_few_slices(s): return s[:5]
@case("excluded", "are LOCALIZER")
def localizer_only(s): return set_all(s, "ImageType=ORIGINAL\\\\PRIMARY\\\\LOCALIZER")
@case("warned", "read although of ImageType DERIVED")
def derived_only(s): return set_all(s, "ImageType=DERIVED\\\\SECONDARY\\\\AXIAL")
@case("warned", "of another modality than CT")
def stray_pt_slice(s):
    name, ds = s[mid(s)]
    pt = copy.deepcopy(ds)
    new_instance(pt, "7")
    pt.Modality = "PT"
    s.append(("pt-" + name, pt))
    return s


# --- sizes -------------------------------------------------------------------
@case("failed", "exceed max_voxels")
def rows_columns_65535(s): return set_all(s, "Rows=65535", "Columns=65535")
@case("failed", "missing slice(s)")
def frames_2e9(s): return set_one(s, "NumberOfFrames=2000000000")


def main():
    src, out = sys.argv[1], sys.argv[2]
    files = sorted(os.path.join(src, f) for f in os.listdir(src))
    base = [pydicom.dcmread(f) for f in files]
    base.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    expectations = {}
    for n, (name, (expect, cause, make)) in enumerate(sorted(CASES.items())):
        series = []
        for k, ds in enumerate(base):
            ds = copy.deepcopy(ds)
            # A study of its own, named by the case (hostile values may replace these).
            ds.PatientID = "BAD-" + name[:55]
            ds.StudyInstanceUID = ds.StudyInstanceUID + ".9" + str(n + 1)
            ds.SeriesInstanceUID = ds.SeriesInstanceUID + ".9" + str(n + 1)
            new_instance(ds, "9" + str(n + 1))
            series.append((f"slice-{k:03d}.dcm", ds))
        series = make(series)
        d = os.path.join(out, name)
        os.makedirs(d)
        for file_name, content in series:
            data = content if isinstance(content, bytes) else raw(content)
            with open(os.path.join(d, file_name), "wb") as f:
                f.write(data)
        expectations[name] = {"expect": expect, "cause": cause}
        if name == "unreadable_slice":
            file_name = series[mid(series)][0]
            os.chmod(os.path.join(d, file_name), 0)
            expectations[name]["cause"] = [f"{file_name}' (Permission denied)"]
            expectations[name]["unreadable"] = os.path.join(d, file_name)
        elif name == "unreadable_folder":
            os.chmod(d, 0)
            expectations[name]["unreadable"] = d
    # Folders without a study: loops of symbolic links, a named pipe.
    loops = os.path.join(out, "symlink_loops")
    os.makedirs(loops)
    os.symlink(".", os.path.join(loops, "self"))
    os.symlink("b.dcm", os.path.join(loops, "a.dcm"))
    os.symlink("a.dcm", os.path.join(loops, "b.dcm"))
    os.mkfifo(os.path.join(loops, "pipe.dcm"))
    expectations["symlink_loops"] = {"expect": "nothing", "cause": []}
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(expectations, f, indent=1)
    print(len(expectations), "cases")


if __name__ == "__main__":
    main()
