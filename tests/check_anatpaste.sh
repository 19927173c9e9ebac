#!/usr/bin/env bash
# AnatPaste end to end: `screener train anatpaste` with the shipped training
# configuration on small normal DICOM studies (a run stopped and resumed equals
# an uninterrupted one: weights and loss log; the checkpoint loads in PyTorch);
# pipelines/screen_anatpaste.json on a demo study with pasted anomalies writes
# the same outputs as screen_model.json; `screener eval` scores it with the
# MOOD protocol named.
set -euo pipefail
bin=$1 root=$2
screener=$bin/screener
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin/make_demo_dicom" "$out/normal" 2 3 0 96,96,40 3.0,3.0,4.0 > /dev/null
"$bin/make_demo_dicom" "$out/test" 1 9 1 96,96,40 3.0,3.0,4.0 --anatpaste 2 > /dev/null

train=(--config "$root/pipelines/train_anatpaste.json" --input "$out/normal/dicom" --threads 2
  --set trainer.crops=2 --set trainer.steps=6 --set trainer.warmup_steps=2 --set trainer.save_every=2
  --set trainer.log_every=2 --set trainer.device=cpu --set trainer.steps_per_study=2)
"$screener" train anatpaste "${train[@]}" --output "$out/a"
"$screener" train anatpaste "${train[@]}" --output "$out/b" --set trainer.max_steps_this_run=3
grep -q '"complete": false' "$out/b/anatpaste_training.json"
"$screener" train anatpaste "${train[@]}" --output "$out/b" --resume
cmp "$out/a/anatpaste_loss.csv" "$out/b/anatpaste_loss.csv"
[ "$(wc -l < "$out/a/anatpaste_loss.csv")" -eq 7 ]
/usr/bin/python3 - "$out" <<'PY'
import csv, pathlib, sys
import torch
out = pathlib.Path(sys.argv[1])
a, b = torch.load(out / "a/anatpaste.pt"), torch.load(out / "b/anatpaste.pt")
assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), "resumed != uninterrupted"
assert tuple(a["unet.stem_conv.weight"].shape) == (8, 1, 3, 3, 3) and tuple(a["convs.0.weight"].shape) == (1, 8, 1, 1, 1)
rows = list(csv.DictReader(open(out / "a/anatpaste_loss.csv")))
assert all(0 < float(r["pasted_fraction"]) < 0.5 for r in rows), "every step has pasted voxels"
print("anatpaste: the checkpoint loads in PyTorch; the resumed run equals the uninterrupted one")
PY

small=(--threads 2 --set 'resample.target_spacing=[3.0,3.0,4.0]')
"$screener" run "$root/pipelines/screen_anatpaste.json" --input "$out/test/dicom" --output "$out/run" "${small[@]}" \
  --set classifier.checkpoint="$out/a/anatpaste.pt"
"$screener" run "$root/pipelines/screen_model.json" --input "$out/test/dicom" --output "$out/model" "${small[@]}" \
  --set descriptor.checkpoint="$root/models/descriptor.pt" --set condition.checkpoint="$root/models/condition.pt" \
  --set density.checkpoint="$root/models/density.pt"
# The same files, study by study.
diff <(cd "$out/run" && find . -type f ! -name '*.jsonl' ! -name 'run_summary*' | sort) \
     <(cd "$out/model" && find . -type f ! -name '*.jsonl' ! -name 'run_summary*' | sort)
"$screener" eval --maps "$out/run" --truth "$out/test/truth" --output "$out/eval" > /dev/null
/usr/bin/python3 - "$out" <<'PY'
import json, pathlib, sys
import nibabel as nib
import numpy as np
out = pathlib.Path(sys.argv[1])
study = next((out / "run").glob("*/score.nii.gz"))
score = nib.load(study).get_fdata()
image = nib.load(study.parent / "image.nii.gz").get_fdata()
assert score.shape == image.shape and np.isfinite(score).all() and score.std() > 0
report = json.load(open(out / "eval/eval.json"))
assert report["mood"]["protocol"].startswith("MOOD 2020"), report["mood"]
assert report["mood"]["voxel_average_precision"] is not None
print("screen_anatpaste: same outputs as screen_model; eval MOOD voxel AP", report["mood"]["voxel_average_precision"])
PY
