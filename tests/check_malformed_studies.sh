#!/usr/bin/env bash
# Broken and hostile studies screened together with good ones: 59 variants of
# one valid series (plugins/dicom_reader/tests/make_malformed_studies.py,
# written at test time: truncated files, wrong pixel attributes, irregular
# stacks, NaN/absurd geometry, hostile identifiers, huge sizes, symlink loops,
# a slice and a study folder the reader may not open: run as root, the test
# runs screener as user 65534, and fails if it cannot make them unreadable)
# run through pipelines/screen.json beside two good studies. Per case: no
# crash, the error (or note) naming the study and the cause in
# run_summary.json; nothing written outside the output directory, no temp
# files left, and the good studies' maps byte-identical to a clean run.
set -euo pipefail
bin=$1 root=$2
work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] && echo "work: $work" || trap 'rm -rf "$work"' EXIT
"$bin/make_demo_dicom" "$work/data" 2 5 2 64,56,40 6,6,6 > /dev/null
mkdir -p "$work/good" "$work/mixed" "$work/tmp"
cp -r "$work/data/dicom/." "$work/good/"
cp -r "$work/data/dicom/." "$work/mixed/"
/usr/bin/python3 "$root/plugins/dicom_reader/tests/make_malformed_studies.py" "$work/data/dicom/DEMO-0000" \
  "$work/mixed/malformed" 2>/dev/null
# Files mode 000 stop every user but root, so root runs the reader as nobody.
as_reader=()
if [ "$(id -u)" = 0 ]; then
  chown -R 65534:65534 "$work"
  as_reader=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  "${as_reader[@]}" test -x "$bin/screener" -a -r "$root/pipelines/screen.json" || {
    echo "NOT COVERED: unreadable files: the tests run as root and user 65534 cannot run $bin/screener" >&2; exit 1; }
fi
for path in $(/usr/bin/python3 -c 'import json, sys; print(" ".join(c["unreadable"] for c in json.load(open(sys.argv[1])).values() if "unreadable" in c))' "$work/mixed/malformed/cases.json"); do
  if "${as_reader[@]}" test -r "$path"; then
    echo "NOT COVERED: unreadable files: $path (mode 000) is readable to the user running the reader ($(id -un))" >&2
    exit 1
  fi
done
run() {  # INPUT OUTPUT
  set +e
  TMPDIR="$work/tmp" "${as_reader[@]}" "$bin/screener" run "$root/pipelines/screen.json" --input "$1" --output "$2" \
    --set 'resample.target_spacing=[6.0,6.0,6.0]' --set 'patcher.roi=[32,32,16]' --threads 2 > "$2.log" 2>&1
  echo $?
  set -e
}
clean=$(run "$work/good" "$work/out-clean")
mixed=$(run "$work/mixed" "$work/out-mixed")
[ "$clean" = 0 ] || { cat "$work/out-clean.log"; echo "clean run: exit $clean"; exit 1; }
# 1: some studies failed; a crash would be 134/139, an uncaught error 2.
[ "$mixed" = 1 ] || { tail -30 "$work/out-mixed.log"; echo "mixed run: exit $mixed"; exit 1; }

/usr/bin/python3 - "$work" <<'PY'
import gzip, json, pathlib, sys
work = pathlib.Path(sys.argv[1])
cases = json.loads((work / "mixed" / "malformed" / "cases.json").read_text())
summary = json.loads((work / "out-mixed" / "run_summary.json").read_text())
notes = summary["notes"]
by_source = {}
for r in summary["studies"]:
    by_source.setdefault(pathlib.Path(r["source"]).name, []).append(r)
problems = []
for name, c in sorted(cases.items()):
    expect, causes = c["expect"], c["cause"]
    records = by_source.get(name, [])
    folder = str(work / "mixed" / "malformed" / name)
    def has(text):
        return any(cause in text for cause in causes)
    def error(r):
        return r.get("error", {}).get("message", "")
    if expect == "failed":
        ok = len(records) == 1 and records[0]["status"] == "failed" and has(error(records[0])) \
            and error(records[0]).startswith("series " + records[0]["id"])
    elif expect in ("excluded", "skipped"):
        ok = not records and any(folder in n and has(n) for n in notes)
    elif expect == "warned":
        ok = len(records) == 1 and records[0]["status"] == "done" and any(has(w) for w in records[0]["warnings"])
    elif expect == "done":
        ok = len(records) == 1 and records[0]["status"] == "done"
    else:  # nothing
        ok = not records
    if not ok:
        problems.append(f"{name}: expected {expect} {causes}; records {records}; notes "
                        f"{[n for n in notes if folder in n]}")
    # Messages stay short and printable whatever the values were.
    for r in records:
        if len(error(r)) > 1000 or any(ord(ch) < 32 for ch in error(r)):
            problems.append(f"{name}: error not short and printable: {error(r)[:200]!r}")
assert not problems, "\n".join(problems)
print(f"{len(cases)} malformed cases: each failed, was left out or read as expected, naming the cause")

# The good studies: done, maps identical to the clean run's (uncompressed bytes).
clean = json.loads((work / "out-clean" / "run_summary.json").read_text())
good = [r["id"] for r in clean["studies"]]
assert len(good) == 2 and all(r["status"] == "done" for r in clean["studies"]), clean["counts"]
status = {r["id"]: r["status"] for r in summary["studies"]}
for study in good:
    assert status.get(study) == "done", (study, status.get(study))
    for name in ("score.nii.gz", "image.nii.gz"):
        a = gzip.decompress((work / "out-clean" / study / name).read_bytes())
        b = gzip.decompress((work / "out-mixed" / study / name).read_bytes())
        assert a == b, (study, name)
print("good studies: maps byte-identical to a clean run")
PY
# Nothing outside the output directories, no temp files left anywhere.
outside=$(find "$work" \( -path "$work/data" -o -path "$work/good" -o -path "$work/mixed" -o -path "$work/out-clean" \
  -o -path "$work/out-mixed" \) -prune -o -type f -print | grep -v -e "$work/out-clean.log" -e "$work/out-mixed.log" || true)
[ -z "$outside" ] || { echo "written outside the output directories:"; echo "$outside"; exit 1; }
leftover=$(find "$work/out-clean" "$work/out-mixed" -name '.screener-tmp-*')
[ -z "$leftover" ] || { echo "temp files left: $leftover"; exit 1; }
echo "nothing outside the output directories, no temp files left"
