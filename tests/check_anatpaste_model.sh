#!/usr/bin/env bash
# The bundled AnatPaste classifier (models/anatpaste.pt): it loads in PyTorch
# (official UNet layout, one output channel, float16), and
# pipelines/screen_anatpaste.json as shipped screens the demo study (seed 0,
# held out from the training seeds) above the local z-score baseline
# (pipelines/screen.json), both scored by `screener eval`.
set -euo pipefail
bin=$1 root=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 - "$root/models/anatpaste.pt" <<'PY'
import sys, torch
sd = torch.load(sys.argv[1])
assert tuple(sd["unet.stem_conv.weight"].shape) == (8, 1, 3, 3, 3) and tuple(sd["convs.0.weight"].shape) == (1, 8, 1, 1, 1)
assert all(t.dtype == torch.float16 and torch.isfinite(t.float()).all() for t in sd.values() if t.is_floating_point())
print("models/anatpaste.pt loads in PyTorch")
PY
"$bin/make_demo_dicom" "$out/data" 1 > /dev/null
cd "$root"  # the pipeline's checkpoint is models/anatpaste.pt
"$bin/screener" run pipelines/screen_anatpaste.json --input "$out/data/dicom" --output "$out/anatpaste" --threads 2
"$bin/screener" run pipelines/screen.json --input "$out/data/dicom" --output "$out/baseline" --threads 2
for v in anatpaste baseline; do
  "$bin/screener" eval --maps "$out/$v" --truth "$out/data/truth" --output "$out/eval_$v" > /dev/null
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
keys = ("voxel_auroc", "auroc_at_max_fpr", "aupro", "average_precision")
m = json.load(open(f"{sys.argv[1]}/eval_anatpaste/eval.json"))["metrics"]
b = json.load(open(f"{sys.argv[1]}/eval_baseline/eval.json"))["metrics"]
print("anatpaste", {k: m[k] for k in keys})
print("baseline ", {k: b[k] for k in keys})
assert m["voxel_auroc"] > b["voxel_auroc"] and m["auroc_at_max_fpr"] > b["auroc_at_max_fpr"], "should beat the baseline"
PY
echo "bundled anatpaste classifier: ok"
