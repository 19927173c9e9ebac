"""Independent check of a Parametric Map or Segmentation written by Screener:
pydicom reads it back; transfer syntax, pixel values (for a Parametric Map
through its real-world value mapping), frame geometry, identity and
references are compared with what the test expected.
Usage: OBJECT MAP.npy EXPECTED.json"""
import json
import sys

import numpy as np
import pydicom

path, map_path, expected_path = sys.argv[1:4]
ds = pydicom.dcmread(path)
expected = json.load(open(expected_path))
study = expected["study"]
volume = np.load(map_path)  # (columns, rows, frames) like the screener grid
kind = expected["kind"]

assert ds.file_meta.TransferSyntaxUID == expected["transfer_syntax"], ds.file_meta.TransferSyntaxUID

# Identity: same patient, study and frame of reference as the source; a new series.
for keyword in ("PatientName", "PatientID", "StudyInstanceUID", "StudyDate", "AccessionNumber", "FrameOfReferenceUID"):
    assert str(getattr(ds, keyword)) == study[keyword], (keyword, getattr(ds, keyword), study[keyword])
assert ds.SeriesInstanceUID == expected["series_instance_uid"] != study["SeriesInstanceUID"]
assert ds.SOPInstanceUID == expected["sop_instance_uid"]

# The source series and all its instances are referenced.
ref_series = ds.ReferencedSeriesSequence
assert len(ref_series) == 1 and ref_series[0].SeriesInstanceUID == study["SeriesInstanceUID"]
source_uids = [i["SOPInstanceUID"] for i in study["ReferencedInstances"]]
assert sorted(i.ReferencedSOPInstanceUID for i in ref_series[0].ReferencedInstanceSequence) == sorted(source_uids)

# Geometry: orientation and spacing shared, one position per frame.
direction = np.array(expected["direction"])
spacing = np.array(expected["spacing"])
origin = np.array(expected["origin"])
shared = ds.SharedFunctionalGroupsSequence[0]
iop = np.array(shared.PlaneOrientationSequence[0].ImageOrientationPatient, dtype=float)
assert np.allclose(iop, np.concatenate([direction[:, 0], direction[:, 1]]), atol=1e-6), iop
measures = shared.PixelMeasuresSequence[0]
assert np.allclose([float(x) for x in measures.PixelSpacing], [spacing[1], spacing[0]]), measures.PixelSpacing
assert abs(float(measures.SliceThickness) - spacing[2]) < 1e-6
assert ds.Rows == volume.shape[1] and ds.Columns == volume.shape[0]

def expected_sources(position):
    normal = np.cross(direction[:, 0], direction[:, 1])
    distance = {i["SOPInstanceUID"]: abs(float(np.dot(np.array(i["FramePositions"][0]) - position, normal)))
                for i in study["ReferencedInstances"]}
    within = sorted(uid for uid, d in distance.items() if d <= spacing[2] / 2 * (1 + 1e-6))
    return within or [min(distance, key=distance.get)]


frames = ds.PerFrameFunctionalGroupsSequence
pixels = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
if kind == "pmap":
    # The values a viewer shows: the stored pixels through the real-world value mapping.
    rwvm = shared.RealWorldValueMappingSequence[0]
    slope, intercept = float(rwvm.RealWorldValueSlope), float(rwvm.RealWorldValueIntercept)
    if expected["pixels"] == "float32":
        assert "FloatPixelData" in ds and ds.BitsAllocated == 32 and pixels.dtype == np.float32
        assert slope == 1.0 and intercept == 0.0
        assert abs(rwvm.DoubleFloatRealWorldValueFirstValueMapped - volume.min()) < 1e-6
        assert abs(rwvm.DoubleFloatRealWorldValueLastValueMapped - volume.max()) < 1e-6
    else:
        assert "PixelData" in ds and ds.BitsAllocated == 16 and ds.BitsStored == 16 and ds.HighBit == 15
        assert ds.PixelRepresentation == 0 and pixels.dtype == np.uint16
        assert rwvm.RealWorldValueFirstValueMapped == 0 and rwvm.RealWorldValueLastValueMapped == pixels.max()
        # The full 16-bit range spans the map's: the lowest and highest values come back.
        assert abs(intercept - volume.min()) < 1e-6 and abs(slope * pixels.max() + intercept - volume.max()) < 1e-5
    values = pixels.astype(np.float64) * slope + intercept
slices = []
for f, item in enumerate(frames):
    position = np.array(item.PlanePositionSequence[0].ImagePositionPatient, dtype=float)
    k = float(np.dot(position - origin, direction[:, 2]) / spacing[2])
    assert abs(k - round(k)) < 1e-4 and 0 <= round(k) < volume.shape[2], (f, position)
    k = int(round(k))
    assert np.allclose(position, origin + direction[:, 2] * spacing[2] * k, atol=1e-4)
    slices.append(k)
    want = volume[:, :, k].T  # rows x columns
    if kind == "pmap":
        error = np.abs(values[f] - want.astype(np.float64)).max()
        assert error <= expected["precision"], (f, error, expected["precision"])
    else:
        assert np.array_equal(pixels[f], (want >= expected["threshold"]).astype(np.uint8)), f
    # Each frame names the source slices it covers (within half a slice), else the nearest one.
    sources = sorted(s.ReferencedSOPInstanceUID for s in item.DerivationImageSequence[0].SourceImageSequence)
    assert sources == expected_sources(position), (f, sources, expected_sources(position))

if kind == "pmap":
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.30"
    assert slices == list(range(volume.shape[2])), slices
else:
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.4" and ds.SegmentationType == "BINARY"
    segment = ds.SegmentSequence[0]
    assert segment.SegmentAlgorithmType == "AUTOMATIC"
    assert segment.SegmentedPropertyTypeCodeSequence[0].CodingSchemeDesignator == "SCT"
    occupied = [k for k in range(volume.shape[2]) if (volume[:, :, k] >= expected["threshold"]).any()]
    assert slices == (occupied or [volume.shape[2] - 1]), (slices, occupied)
print(kind, "ok:", len(slices), "frames")
