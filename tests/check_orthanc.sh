#!/usr/bin/env bash
# PACS round trip against a real Orthanc with its DICOMweb plugin, started
# here on 127.0.0.1 with a generated configuration (basic auth on): synthetic
# CT studies uploaded, pipelines/screen_dicomweb.json run over the server;
# every study gets a Parametric Map and a Segmentation in its own study that
# reference the CT series, and its score map equals the one read from the
# files. Also: a filter matching nothing, wrong URLs and passwords, and
# failures of single studies (a refused query, a part that is not DICOM, a
# timeout) met through a faulty proxy.
# Exits 77 (skipped) where Orthanc cannot start; SCREENER_REQUIRE_ORTHANC=1
# makes that a failure.
set -euo pipefail
bin=$(cd "$1" && pwd) root=$(cd "$2" && pwd)
py=/usr/bin/python3

skip() {
  echo "SKIPPED: $*" >&2
  [ -z "${SCREENER_REQUIRE_ORTHANC:-}" ] || exit 1
  exit 77
}
orthanc=$(PATH=$PATH:/usr/sbin command -v Orthanc || true)
[ -n "$orthanc" ] || skip "Orthanc not found (Debian: apt-get install orthanc orthanc-dicomweb)"
dicomweb_plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
[ -f "$dicomweb_plugin" ] || skip "no DICOMweb plugin at $dicomweb_plugin (Debian: apt-get install orthanc-dicomweb)"
command -v curl > /dev/null || skip "curl not found"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_ports() {
  $py -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))' "$1"
}
read -r http_port dicom_port closed_port < <(free_ports 3)
user=screener
password=$($py -c 'import secrets; print(secrets.token_hex(12))')
cat > "$work/orthanc.json" << EOF
{
  "Name": "screener-test",
  "StorageDirectory": "$work/orthanc-db",
  "IndexDirectory": "$work/orthanc-db",
  "HttpPort": $http_port,
  "DicomPort": $dicom_port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true,
  "RegisteredUsers": { "$user": "$password" },
  "Plugins": [ "$dicomweb_plugin" ],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }
}
EOF
"$orthanc" "$work/orthanc.json" > "$work/orthanc.log" 2>&1 &
pids+=($!)
origin=http://127.0.0.1:$http_port
url=$origin/dicom-web
api() { curl -sS --fail -u "$user:$password" "$@"; }
for _ in $(seq 150); do
  api "$origin/system" > /dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2> /dev/null || break
  sleep 0.2
done
api "$origin/system" > /dev/null 2>&1 || { tail -n 20 "$work/orthanc.log" >&2; skip "Orthanc did not start"; }
api -H 'Accept: application/dicom+json' "$url/studies" > /dev/null 2>&1 ||
  { tail -n 20 "$work/orthanc.log" >&2; skip "Orthanc's DICOMweb plugin did not load"; }
echo "Orthanc $(api "$origin/system" | $py -c 'import json,sys; print(json.load(sys.stdin)["Version"])') on $origin"

"$bin/make_demo_dicom" "$work/data" 4 5 2 64,56,40 6,6,6 > /dev/null
for f in "$work"/data/dicom/*/*.dcm; do api -X POST --data-binary "@$f" "$origin/instances" > /dev/null; done
echo "uploaded $(ls "$work"/data/dicom/*/*.dcm | wc -l) instances of 4 studies"

export SCREENER_DICOMWEB_USER=$user SCREENER_DICOMWEB_PASSWORD=$password
fast=(--set 'resample.target_spacing=[6.0,6.0,6.0]' --set 'patcher.roi=[32,32,16]' --threads 2)
no_secret() {
  if grep -rq "$password" "$@"; then
    echo "the password appears in $*" >&2
    exit 1
  fi
}

# Screened from Orthanc, results back into Orthanc (credentials from the
# environment); series spooled under TMPDIR.
mkdir "$work/tmp"
TMPDIR=$work/tmp "$bin/screener" run "$root/pipelines/screen_dicomweb.json" --input "$url" --output "$work/out" \
  "${fast[@]}" 2> "$work/run.log" || { cat "$work/run.log" >&2; exit 1; }
test -z "$(ls -A "$work/tmp")" || { echo "left in TMPDIR: $(ls "$work/tmp")" >&2; exit 1; }
no_secret "$work/run.log" "$work/out"

# The same series read from the files, for comparison (and the CT as read).
$py - "$root/pipelines/screen_dicomweb.json" "$work/local.json" << 'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["stages"] = [dict(s, plugin="dicom_reader", params={}) if s["id"] == "source" else s
               for s in p["stages"] if s["id"] != "send"]
p["stages"].append({"id": "write_image", "plugin": "nifti_writer", "params": {"name": "image"}})
p["edges"] = [e for e in p["edges"] if e["to"] != "send"] + [{"from": "source", "to": "write_image"}]
json.dump(p, open(sys.argv[2], "w"))
PY
"$bin/screener" run "$work/local.json" --input "$work/data/dicom" --output "$work/local" "${fast[@]}" 2> /dev/null

$py - "$work" "$origin" "$user" "$password" << 'PY'
import base64, io, json, pathlib, sys, urllib.request
import nibabel as nib
import numpy as np
import pydicom

work, origin, user, password = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

def http(path, accept="application/json", data=None):
    request = urllib.request.Request(origin + path, data=data, headers={"Authorization": auth, "Accept": accept})
    with urllib.request.urlopen(request) as response:
        return response.read()

def qido(path):
    return json.loads(http("/dicom-web" + path, "application/dicom+json") or b"[]")

def first(dataset, tag):
    values = dataset.get(tag, {}).get("Value")
    return values[0] if values else None

def instance(sop_instance_uid):
    found = json.loads(http("/tools/lookup", data=sop_instance_uid.encode()))
    assert len(found) == 1 and found[0]["Type"] == "Instance", found
    return pydicom.dcmread(io.BytesIO(http(f"/instances/{found[0]['ID']}/file")))

SOP_CLASS = {"pmap": "1.2.840.10008.5.1.4.1.1.30", "seg": "1.2.840.10008.5.1.4.1.1.66.4"}
summary = json.loads((work / "out" / "run_summary.json").read_text())
assert summary["counts"]["done"] == 4, summary["counts"]
uids = {}
for study in summary["studies"]:
    folder = work / "out" / study["id"]
    receipt = json.loads((folder / "dicomweb_stored.json").read_text())
    study_uid, ct_uid = receipt["StudyInstanceUID"], receipt["source_series"]
    series = {first(s, "0020000E"): s for s in qido(f"/studies/{study_uid}/series")}
    assert len(series) == 3, f"{study['id']}: {len(series)} series, expected the CT, the map and the segmentation"
    ct_instances = {first(i, "00080018") for i in qido(f"/studies/{study_uid}/series/{ct_uid}/instances")}
    assert len(ct_instances) == 40, len(ct_instances)
    ct = instance(sorted(ct_instances)[0])
    uids[str(ct.PatientID)] = study_uid
    assert {s["object"] for s in receipt["stored"]} == {"pmap", "seg"}, receipt
    for stored in receipt["stored"]:
        kind = stored["object"]
        modality = first(series[stored["SeriesInstanceUID"]], "00080060")
        assert modality == ("SEG" if kind == "seg" else ct.Modality), (kind, modality)
        ds = instance(stored["SOPInstanceUID"])
        assert ds.SOPClassUID == SOP_CLASS[kind], (kind, ds.SOPClassUID)
        assert ds.StudyInstanceUID == study_uid and ds.SeriesInstanceUID == stored["SeriesInstanceUID"]
        for keyword in ("PatientID", "PatientName", "PatientBirthDate", "StudyDate", "AccessionNumber",
                        "FrameOfReferenceUID"):
            assert ds.get(keyword) == ct.get(keyword), (kind, keyword, ds.get(keyword), ct.get(keyword))
        referenced = ds.ReferencedSeriesSequence
        assert [r.SeriesInstanceUID for r in referenced] == [ct_uid], (kind, referenced)
        assert {r.ReferencedSOPInstanceUID for r in referenced[0].ReferencedInstanceSequence} == ct_instances, kind
        print(f"{study['id']}: {kind} {modality} {ds.SOPInstanceUID} in study {study_uid}, references CT series {ct_uid}")
    # Blending order varies between runs with threads: scores agree to float rounding.
    ours, theirs = nib.load(folder / "score.nii.gz"), nib.load(work / "local" / study["id"] / "score.nii.gz")
    assert np.allclose(ours.get_fdata(), theirs.get_fdata(), rtol=0, atol=1e-5), study["id"]
    assert np.allclose(ours.affine, theirs.affine, rtol=0, atol=1e-6), study["id"]
(work / "uids").write_text("".join(f"{patient} {uid}\n" for patient, uid in sorted(uids.items())))
print("4 studies screened from Orthanc, results stored back and referencing their CT series;"
      " score maps equal to those read from the files")
PY

"$bin/screener" run "$root/pipelines/screen_dicomweb.json" --input "$url" --output "$work/out" "${fast[@]}" 2>&1 |
  grep -q "4 skipped (done before)"
echo "second run skipped all 4 studies"

# Credentials in the url parameter work and are never repeated (--input is
# echoed by the runtime: not the place for them); a filter matching nothing is
# a run over zero studies (exit 1 like any input without studies).
creds_url="http://$user:$password@127.0.0.1:$http_port/dicom-web"
status=0
env -u SCREENER_DICOMWEB_USER -u SCREENER_DICOMWEB_PASSWORD "$bin/screener" run "$root/pipelines/screen_dicomweb.json" --input pacs \
  --set "source.url=$creds_url" --output "$work/none" --set 'source.filters=["PatientID=NOBODY"]' \
  > "$work/none.log" 2>&1 || status=$?
grep -q "no studies found" "$work/none.log" && ! grep -q "error" "$work/none.log" && [ "$status" = 1 ] ||
  { cat "$work/none.log" >&2; exit 1; }
$py -c 'import json,sys; s = json.load(open(sys.argv[1])); assert s["studies"] == [], s' "$work/none/run_summary.json"
no_secret "$work/none.log" "$work/none"
echo "a filter matching nothing: zero studies, no error"

expect_setup_error() {  # expected text, then the run's arguments
  local expected=$1 status=0
  shift
  "$bin/screener" run "$root/pipelines/screen_dicomweb.json" --output "$work/bad" "$@" > "$work/bad.log" 2>&1 || status=$?
  if [ "$status" != 2 ] || ! grep -qF -- "$expected" "$work/bad.log"; then
    echo "expected exit 2 and '$expected', got $status:" >&2
    cat "$work/bad.log" >&2
    exit 1
  fi
  no_secret "$work/bad.log"
  echo "  $(grep -F -- "$expected" "$work/bad.log")"
}
echo "wrong URLs and credentials stop the run with a clear error:"
expect_setup_error "GET $origin/no-such-root/studies?limit=1000&offset=0: HTTP 404" --input "$origin/no-such-root"
expect_setup_error "GET http://127.0.0.1:$closed_port/dicom-web/studies?limit=1000&offset=0: Failed to connect" \
  --input "http://127.0.0.1:$closed_port/dicom-web"
SCREENER_DICOMWEB_PASSWORD=wrong expect_setup_error "GET $url/studies?limit=1000&offset=0: HTTP 401" --input "$url"
expect_setup_error "is not a DICOMweb URL" --input pacs --set source.url=ftp://example.org/dicom-web

# Failures of single studies through a faulty proxy: each fails on its own,
# naming its UID, the URL and what happened; the fourth study is read. Then
# that study alone (a StudyInstanceUID filter), whose results are refused.
read -r refused_uid not_dicom_uid slow_uid good_uid < <(awk '{ printf "%s ", $2 } END { print "" }' "$work/uids")
$py "$root/tests/dicomweb_fault_proxy.py" "$work/proxy.port" "$origin" --series-query-fails "$refused_uid" \
  --not-dicom "$not_dicom_uid" --slow "$slow_uid" --slow-seconds 5 --store-refused "$good_uid" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
proxy=http://127.0.0.1:$(cat "$work/proxy.port")/dicom-web
cat > "$work/read.json" << 'EOF'
{"name": "read", "stages": [{"id": "source", "plugin": "dicomweb_reader"},
                            {"id": "write", "plugin": "nifti_writer", "params": {"name": "image"}}],
 "edges": [{"from": "source", "to": "write"}]}
EOF
status=0
"$bin/screener" run "$work/read.json" --input "$proxy" --output "$work/faults" --set source.user=$user \
  --set source.timeout_s=2 > "$work/faults.log" 2>&1 || status=$?
[ "$status" = 1 ] || { cat "$work/faults.log" >&2; exit 1; }
$py - "$work" "$proxy" "$refused_uid" "$not_dicom_uid" "$slow_uid" "$good_uid" << 'PY'
import json, pathlib, sys
import nibabel as nib
import numpy as np
work, proxy, refused, not_dicom, slow, good = sys.argv[1:]
work = pathlib.Path(work)
studies = json.loads((work / "faults" / "run_summary.json").read_text())["studies"]
def error_of(uid):
    [study] = [s for s in studies if uid in (s.get("source") or "") or uid in s["id"]]
    error = study.get("error") or {}
    return study["status"], error.get("message", "") if isinstance(error, dict) else str(error)
expected = {
    refused: f"study {refused}: QIDO-RS GET {proxy}/studies/{refused}/series?Modality=CT&limit=1000&offset=0: "
             "HTTP 503 Service Unavailable: injected fault: series query refused",
    not_dicom: f"WADO-RS GET {proxy}/studies/{not_dicom}/series/",
    slow: f"WADO-RS GET {proxy}/studies/{slow}/series/",
}
for uid, text in expected.items():
    status, message = error_of(uid)
    assert status == "failed" and message.startswith(text), (uid, status, message, text)
    print("  " + message)
assert "part 1 of 1 is not a readable DICOM instance" in error_of(not_dicom)[1]
assert "timed out" in error_of(slow)[1]
assert error_of(good)[0] == "done", error_of(good)
[good_id] = [s["id"] for s in studies if s["status"] == "done"]
ours, theirs = nib.load(work / "faults" / good_id / "image.nii.gz"), nib.load(work / "local" / good_id / "image.nii.gz")
assert ours.get_data_dtype() == theirs.get_data_dtype() and np.array_equal(ours.get_fdata(), theirs.get_fdata())
assert np.array_equal(ours.affine, theirs.affine)
print("a refused query, a part that is not DICOM and a timeout each failed their own study; the fourth was read,"
      " voxel for voxel as dicom_reader reads its files")
PY

status=0
"$bin/screener" run "$root/pipelines/screen_dicomweb.json" --input "$proxy" --output "$work/refused" \
  --set source.user=$user --set send.user=$user --set "source.filters=[\"StudyInstanceUID=$good_uid\"]" "${fast[@]}" \
  > "$work/refused.log" 2>&1 || status=$?
[ "$status" = 1 ] || { cat "$work/refused.log" >&2; exit 1; }
$py - "$work/refused" "$proxy" "$good_uid" << 'PY'
import json, pathlib, re, sys
out, proxy, uid = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
[study] = json.loads((out / "run_summary.json").read_text())["studies"]
error = study["error"]
assert study["status"] == "failed" and error["stage"] == "send", study
pattern = (re.escape(f"STOW-RS POST {proxy}/studies/{uid} (HTTP 409): ") +
           r"Parametric Map [0-9.]+ failed: 0xA700 \(refused: out of resources\); "
           r"Segmentation [0-9.]+ failed: 0xA700 \(refused: out of resources\)$")
assert re.match(pattern, error["message"]), error["message"]
assert not list(out.glob("*/dicomweb_stored.json"))
print("  " + error["message"])
print("results the server refused fail their study, naming each object and the reason; no receipt written")
PY
