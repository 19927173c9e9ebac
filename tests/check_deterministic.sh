#!/usr/bin/env bash
# check_deterministic.sh SCREENER ROOT [model]: the same run with --threads 1
# and with --threads 2 (and other flow-control bounds, so patches arrive in
# other orders) writes byte-identical images and maps. With `model`, the
# learned pipeline (random-initialised checkpoints) is checked too, with the
# model stages' `deterministic` on (by default they batch for speed).
set -euo pipefail
screener=$1 root=$2 what=${3:-demo}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
small=(--input phantom:2:7 --set 'source.size=[64,56,40]' --set 'source.spacing=[6.0,6.0,6.0]'
  --set 'resample.target_spacing=[6.0,6.0,6.0]' --set 'patcher.roi=[32,32,16]' --set 'patcher.overlap=0.5')
pipeline=$root/pipelines/demo.json
if [ "$what" = model ]; then
  "$root/tests/make_test_models.sh" "$out/models"
  m=$out/models
  pipeline=$root/pipelines/demo_model.json
  # The UNet takes sides in multiples of 32.
  small=(--input phantom:2:7 --set 'source.size=[96,96,48]' --set 'source.spacing=[3.0,3.0,3.0]'
    --set 'resample.target_spacing=[3.0,3.0,3.0]' --set 'patcher.roi=[64,64,32]' --set 'patcher.overlap=0.5')
  small+=(--set "descriptor.checkpoint=$m/descriptor.pt" --set descriptor.size=tiny
    --set "condition.checkpoint=$m/condition.pt" --set condition.size=tiny --set condition.d_cond=16
    --set "density.checkpoint=$m/density.pt" --set 'density.pool=[2,2,2]'
    --set descriptor.deterministic=true --set condition.deterministic=true --set density.deterministic=true)
fi
"$screener" run "$pipeline" --output "$out/one" "${small[@]}" --threads 1 --max-in-flight 1 --max-patches-in-flight 1 \
  --progress-interval 0
"$screener" run "$pipeline" --output "$out/two" "${small[@]}" --threads 2 --max-in-flight 2 --max-patches-in-flight 5 \
  --progress-interval 0
compared=0 differ=0
while IFS= read -r -d '' f; do
  rel=${f#"$out/one/"}
  case $rel in run_summary*|manifest*) continue ;; esac
  compared=$((compared + 1))
  cmp -s "$f" "$out/two/$rel" && continue
  differ=$((differ + 1))
  echo "differs between --threads 1 and --threads 2: $rel" >&2
  case $rel in
    *.nii.gz) /usr/bin/python3 - "$f" "$out/two/$rel" <<'PY' >&2 || true
import sys
import nibabel as nib
import numpy as np
a, b = (nib.load(p).get_fdata() for p in sys.argv[1:3])
d = np.abs(a - b)
print(f"  max |difference| {d.max():.3g} on {(d > 0).mean() * 100:.2f}% of voxels")
PY
    ;;
  esac
done < <(find "$out/one" -type f -print0 | sort -z)
[ "$compared" -ge 8 ] || { echo "only $compared files compared" >&2; exit 1; }
[ "$differ" -eq 0 ] || { echo "$differ of $compared files differ" >&2; exit 1; }
echo "deterministic ($what): $compared files byte-identical across thread counts"
