#!/usr/bin/env bash
# `screener train` end to end on small DICOM studies, with the shipped training
# configurations: the descriptor, the condition and the density (conditional
# Gaussian and Glow) train; a run stopped after some steps and resumed equals
# an uninterrupted one (weights and loss log); the trained checkpoints load in
# PyTorch and run in the inference pipeline; misuse gets clear errors.
set -euo pipefail
bin=$1 root=$2
screener=$bin/screener
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin/make_demo_dicom" "$out/data" 2 3 1 96,96,40 3.0,3.0,4.0 > /dev/null

ssl=(--config "$root/pipelines/train_ssl.json" --input "$out/data/dicom" --threads 2
  --set trainer.size=micro --set 'trainer.roi=[32,32,32]' --set trainer.crop_pairs=2 --set trainer.positives=256
  --set trainer.expander_width=64 --set trainer.steps=6 --set trainer.warmup_steps=2 --set trainer.save_every=2
  --set trainer.log_every=2 --set trainer.device=cpu --set trainer.steps_per_study=2)

"$screener" train descriptor "${ssl[@]}" --output "$out/a"
# The same training, stopped after 3 steps (a time-limited job), then resumed.
"$screener" train descriptor "${ssl[@]}" --output "$out/b" --set trainer.max_steps_this_run=3
grep -q '"complete": false' "$out/b/descriptor_training.json"
if "$screener" train descriptor "${ssl[@]}" --output "$out/b" 2> "$out/err"; then
  echo "training over an unfinished run without --resume must be refused"; exit 1
fi
grep -q -- "--resume" "$out/err"
"$screener" train descriptor "${ssl[@]}" --output "$out/b" --resume
cmp "$out/a/descriptor_loss.csv" "$out/b/descriptor_loss.csv"
[ "$(wc -l < "$out/a/descriptor_loss.csv")" -eq 7 ]

"$screener" train condition "${ssl[@]}" --output "$out/c" --set trainer.loss=infonce --set trainer.channels=16

dens=(--config "$root/pipelines/train_density.json" --input "$out/data/dicom" --threads 2
  --set descriptor.checkpoint="$out/a/descriptor.pt" --set descriptor.size=micro --set descriptor.device=cpu
  --set condition.checkpoint="$out/c/condition.pt" --set condition.size=micro --set condition.d_cond=16
  --set condition.device=cpu --set 'patcher.roi=[64,64,32]' --set trainer.hidden=8 --set trainer.steps=5
  --set trainer.warmup_steps=1 --set trainer.save_every=2 --set trainer.device=cpu)
"$screener" train density "${dens[@]}" --output "$out/d"
"$screener" train density "${dens[@]}" --output "$out/e" --set trainer.max_steps_this_run=2
"$screener" train density "${dens[@]}" --output "$out/e" --resume
# Not byte-identical: the descriptor and condition stages before the trainer
# batch patches across studies as they arrive, which moves their outputs in
# the last float bits; the trainer itself is deterministic (compared below).
"$screener" train density "${dens[@]}" --output "$out/g" --set trainer.model=conditional_glow --set trainer.blocks=2

if "$screener" train density --config "$root/pipelines/train_ssl.json" --input "$out/data/dicom" --output "$out/x" 2> "$out/err"; then
  echo "a configuration without a density trainer must be refused"; exit 1
fi
grep -q "no stage of this configuration trains 'density'; it can train: descriptor" "$out/err"

/usr/bin/python3 - "$out" <<'PY'
import csv, pathlib, sys
import torch
out = pathlib.Path(sys.argv[1])
a = torch.load(out / "a/descriptor.pt")
b = torch.load(out / "b/descriptor.pt")
assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), "resumed != uninterrupted"
assert tuple(a["unet.stem_conv.weight"].shape) == (8, 1, 3, 3, 3) and tuple(a["convs.5.weight"].shape) == (32, 32, 1, 1, 1)
c = torch.load(out / "c/condition.pt")
assert tuple(c["unet.stem_conv.weight"].shape) == (8, 2, 3, 3, 3), "the condition takes a mask channel"
d, e = torch.load(out / "d/density.pt"), torch.load(out / "e/density.pt")
assert all(torch.allclose(d[k], e[k], rtol=1e-4, atol=1e-6) for k in d) and "mean_head.0.weight" in d
ld = list(csv.DictReader(open(out / "d/density_loss.csv")))
le = list(csv.DictReader(open(out / "e/density_loss.csv")))
assert [r["step"] for r in ld] == [r["step"] for r in le] == [str(i) for i in range(5)]
assert all(abs(float(x["loss"]) - float(y["loss"])) <= 1e-4 * abs(float(x["loss"])) for x, y in zip(ld, le)), "resumed density"
assert float(ld[-1]["loss"]) < float(ld[0]["loss"]), "the density's loss should fall"
g = torch.load(out / "g/density.pt")
assert float(g["flows.1.actnorm.initialized"]) == 1 and g["flows.0.actnorm.loc"].abs().sum() > 0, "ActNorm data init"
rows = list(csv.DictReader(open(out / "a/descriptor_loss.csv")))
assert [int(r["step"]) for r in rows] == list(range(6)) and all(float(r["loss"]) > 0 for r in rows)
print("trained checkpoints load in PyTorch; resumed runs equal uninterrupted ones")
PY

# The trained models run in the inference pipeline.
"$screener" run "$root/pipelines/screen_model.json" --input "$out/data/dicom" --output "$out/run" --threads 2 \
  --set descriptor.checkpoint="$out/a/descriptor.pt" --set descriptor.size=micro \
  --set condition.checkpoint="$out/c/condition.pt" --set condition.size=micro --set condition.d_cond=16 \
  --set density.checkpoint="$out/d/density.pt" --set 'patcher.roi=[64,64,32]'
ls "$out"/run/*/score.nii.gz > /dev/null
echo "training end to end: ok"
