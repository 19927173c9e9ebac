#!/usr/bin/env bash
# End to end: `screener eval` over a generated maps/truth tree (NIfTI masks
# by each matching rule, one DICOM SEG, one study on another grid, one
# without a mask), checked against scikit-learn/scipy (check_eval_report.py).
#   check_eval_cli.sh SCREENER EVAL_MAKE_SEG TESTS_DIR
set -euo pipefail
screener=$1 make_seg=$2 tests=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$tests/make_eval_data.py" "$work"
"$make_seg" "$work/seg_source.nii.gz" "$work/truth/P4_20240101_S1/seg.dcm"

run_eval() {  # OUT [extra options]; exit code 1 expected: one study fails
  local out=$1; shift
  set +e
  "$screener" eval --maps "$work/maps" --truth "$work/truth" --output "$out" --threads 1 "$@" >"$out.log" 2>&1
  local rc=$?
  set -e
  if [ "$rc" -ne 1 ]; then
    cat "$out.log"
    echo "screener eval exited $rc, expected 1 (one study on another grid fails)"
    exit 1
  fi
}

run_eval "$work/out"
/usr/bin/python3 "$tests/check_eval_report.py" "$work" "$work/out"

# Another max_fpr.
run_eval "$work/out-fpr" --max-fpr 0.1
/usr/bin/python3 "$tests/check_eval_report.py" "$work" "$work/out-fpr"

# The official protocol: the same draw twice, another with another seed.
run_eval "$work/sub-a" --subsample 40 --seed 5
run_eval "$work/sub-b" --subsample 40 --seed 5 --max-in-flight 1
run_eval "$work/sub-c" --subsample 40 --seed 6
/usr/bin/python3 "$tests/check_eval_report.py" "$work" "$work/sub-a" 40
/usr/bin/python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
a, b, c = (json.load(open(f"{w}/{n}/eval.json")) for n in ("sub-a", "sub-b", "sub-c"))
assert a["protocol"]["name"] == "subsampled", a["protocol"]
assert a["voxel"] == b["voxel"], (a["voxel"], b["voxel"])
assert a["voxel"]["auroc"] != c["voxel"]["auroc"], "another seed drew the same voxels"
print("subsampled protocol deterministic:", a["voxel"]["auroc"], "; seed 6:", c["voxel"]["auroc"])
PY

# No study evaluated: finish fails the run, saying so.
mkdir -p "$work/empty-truth"
set +e
"$screener" eval --maps "$work/maps" --truth "$work/empty-truth" --output "$work/none" >"$work/none.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$work/none.log"; echo "expected exit 1 with no study, got $rc"; exit 1; }
[ ! -e "$work/none/eval.json" ] || { echo "eval.json written without studies"; exit 1; }
grep -q "no ground-truth mask" "$work/none/run_summary.json" || { echo "no notes about the missing masks"; exit 1; }
echo "check_eval_cli: all checks passed"
