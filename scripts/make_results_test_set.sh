#!/usr/bin/env bash
# The held-out test set of docs/results.md in WORK_DIR/test/{dicom,truth,body}
# (nothing done if WORK_DIR/test/dicom exists): 5 varied patients with 3
# lesions each (seed 2000) and 3 without (seed 3000, PatientID NORMAL-000N so
# that they are distinct patients). Every evaluation script builds it here.
# Usage: scripts/make_results_test_set.sh WORK_DIR   (SCREENER_BIN: the build's bin/)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${SCREENER_BIN:-$root/build/bin}
work=$1
[ -d "$work/test/dicom" ] && exit 0
mkdir -p "$work"
"$bin/make_demo_dicom" "$work/lesions" 5 2000 3 --variety > /dev/null
"$bin/make_demo_dicom" "$work/normal" 3 3000 0 --variety > /dev/null
mkdir -p "$work/test/dicom" "$work/test/truth" "$work/test/body"
for d in "$work"/normal/dicom/*; do  # DEMO-000N -> NORMAL-000N
  id=NORMAL-${d##*-}
  dcmodify -nb -m PatientID="$id" "$d"/*.dcm > /dev/null
  mv "$d" "$work/test/dicom/$id"
  mv "$work/normal/truth/DEMO-${d##*-}.lesions.nii.gz" "$work/test/truth/$id.lesions.nii.gz"
  mv "$work/normal/body/DEMO-${d##*-}.body.nii.gz" "$work/test/body/$id.body.nii.gz"
done
mv "$work"/lesions/dicom/* "$work/test/dicom/" && mv "$work"/lesions/truth/* "$work/test/truth/"
mv "$work"/lesions/body/* "$work/test/body/"
