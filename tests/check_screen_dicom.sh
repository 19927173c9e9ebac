#!/usr/bin/env bash
# DICOM in, results out: synthetic studies written as DICOM series, screened
# with pipelines/screen.json; the score map lands on the DICOM grid (the same
# affine as the generator's ground truth); a second run skips every study.
set -euo pipefail
bin=$1 root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/make_demo_dicom" "$work/data" 2 5 2 64,56,40 6,6,6 > /dev/null
run() {
  "$bin/screener" run "$root/pipelines/screen.json" --input "$work/data/dicom" --output "$work/out" \
    --set 'resample.target_spacing=[6.0,6.0,6.0]' --set 'patcher.roi=[32,32,16]' --threads 2 "$@"
}
# The generated files are valid CT Image objects (dicom3tools' dciodvfy: no errors).
for f in "$work"/data/dicom/DEMO-0000/slice-00[0-2].dcm; do
  if dciodvfy "$f" 2>&1 | grep -q '^Error'; then dciodvfy "$f"; exit 1; fi
done
run
/usr/bin/python3 - "$work" <<'PY'
import json, pathlib, sys
import nibabel as nib
import numpy as np
work = pathlib.Path(sys.argv[1])
summary = json.loads((work / "out" / "run_summary.json").read_text())
assert summary["counts"]["done"] == 2, summary["counts"]
for study in summary["studies"]:
    patient = study["id"].split("_")[0]
    d = work / "out" / study["id"]
    truth = nib.load(work / "data" / "truth" / f"{patient}.lesions.nii.gz")
    for name in ("image", "score"):
        img = nib.load(d / f"{name}.nii.gz")
        assert img.shape == truth.shape == (64, 56, 40), (name, img.shape)
        assert np.abs(img.affine - truth.affine).max() < 1e-4, (name, img.affine, truth.affine)
    assert (d / "preview.png").stat().st_size > 0
print("screen over DICOM ok")
PY
# The DICOM results are valid objects (dciodvfy: no errors) in the source study
# and frame of reference, referencing the source series, with the map's values.
# The Parametric Map is deflated (the writer's default), which Debian's dciodvfy
# cannot read: it validates the inflated copy (Python's zlib, not DCMTK).
for f in "$work"/out/*/score_pmap.dcm; do
  /usr/bin/python3 "$root/plugins/dicom_results_support/tests/inflate.py" "$f" "$f.inflated"
done
for f in "$work"/out/*/score_pmap.dcm.inflated "$work"/out/*/score_seg.dcm; do
  if dciodvfy "$f" 2>&1 | grep -q '^Error'; then dciodvfy "$f"; exit 1; fi
done
/usr/bin/python3 - "$work" <<'PY'
import pathlib, sys
import nibabel as nib
import numpy as np
import pydicom
work = pathlib.Path(sys.argv[1])
for d in sorted((work / "out").iterdir()):
    if not d.is_dir():
        continue
    patient = d.name.split("_")[0]
    source = pydicom.dcmread(next((work / "data" / "dicom" / patient).glob("*.dcm")))
    score = np.asarray(nib.load(d / "score.nii.gz").dataobj)
    pm, seg = pydicom.dcmread(d / "score_pmap.dcm"), pydicom.dcmread(d / "score_seg.dcm")
    for ds in (pm, seg):
        assert ds.StudyInstanceUID == source.StudyInstanceUID and ds.PatientID == source.PatientID
        assert ds.FrameOfReferenceUID == source.FrameOfReferenceUID
        assert ds.SeriesInstanceUID != source.SeriesInstanceUID
        assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID == source.SeriesInstanceUID
    # 16-bit pixels through the real-world value mapping: within half a step of 65535 over the map's range.
    assert pm.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1.99" and pm.BitsAllocated == 16
    rwvm = pm.SharedFunctionalGroupsSequence[0].RealWorldValueMappingSequence[0]
    frames = pm.pixel_array * float(rwvm.RealWorldValueSlope) + float(rwvm.RealWorldValueIntercept)
    assert frames.shape == (score.shape[2], score.shape[1], score.shape[0]), frames.shape
    step = (float(score.max()) - float(score.min())) / 65535
    assert np.abs(frames - np.transpose(score, (2, 1, 0))).max() <= step / 2 * (1 + 1e-6) + 1e-6
    # The segment is the top 0.5 % of the scores above the background minimum.
    inside = score[score > score.min()]
    cut = np.percentile(inside, 99.5)
    segmented = 0
    for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
        z = float(item.PlanePositionSequence[0].ImagePositionPatient[2])
        k = int(round((z - float(pm.PerFrameFunctionalGroupsSequence[0].PlanePositionSequence[0].ImagePositionPatient[2]))
                      / float(pm.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].SliceThickness)))
        mask = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)[f]
        assert np.array_equal(mask, (score[:, :, k].T >= cut - 1e-5 * abs(cut)).astype(np.uint8)) or \
            np.array_equal(mask, (score[:, :, k].T >= cut).astype(np.uint8)), (d.name, f)
        segmented += int(mask.sum())
    assert 0 < segmented <= int(np.ceil(0.005 * inside.size)) + 1, (segmented, inside.size)
print("DICOM Parametric Map and Segmentation ok: valid, in the source study, values match the NIfTI map")
PY
run 2>&1 | grep -q "2 skipped (done before)"
echo "second run skipped both studies"

# A hostile but valid PatientID (LO allows '/') must not take any output
# outside the output directory.
dcmodify -nb -m "(0010,0020)=../../../escaped/x" "$work"/data/dicom/DEMO-0000/*.dcm
"$bin/screener" run "$root/pipelines/screen.json" --input "$work/data/dicom/DEMO-0000" --output "$work/hostile/out" \
  --set 'resample.target_spacing=[6.0,6.0,6.0]' --set 'patcher.roi=[32,32,16]' > /dev/null 2>&1
test -z "$(find "$work" -path "$work/hostile/out" -prune -o -path "$work/data" -prune -o -path "$work/out" -prune -o -type f -print)"
test "$(find "$work/hostile/out" -name score.nii.gz | wc -l)" = 1
echo "hostile PatientID stayed inside the output directory"
# One with a backslash (two values where LO holds one) is refused by the reader, naming it.
dcmodify -nb -m "(0010,0020)=../../../escaped/..\\x" "$work"/data/dicom/DEMO-0000/*.dcm
"$bin/screener" run "$root/pipelines/screen.json" --input "$work/data/dicom/DEMO-0000" --output "$work/hostile2/out" \
  --set 'resample.target_spacing=[6.0,6.0,6.0]' --set 'patcher.roi=[32,32,16]' > /dev/null 2>&1 || true
/usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["studies"][0]
assert r["status"] == "failed" and "PatientID" in r["error"]["message"] and "backslash" in r["error"]["message"], r' \
  "$work/hostile2/out/run_summary.json"
test -z "$(find "$work" -path "$work/hostile" -prune -o -path "$work/hostile2/out" -prune -o -path "$work/data" -prune -o -path "$work/out" -prune -o -type f -print)"
echo "PatientID with a backslash refused by the reader"
