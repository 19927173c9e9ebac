#!/usr/bin/env bash
# Trains the bundled default model from scratch, with fixed seeds, on CPU:
# synthetic normal CT studies of varied patients (examples/demo_data, make_demo_dicom
# --variety: body outline, fat, skin, soft tissue, noise, table), then
#   descriptor  micro UNet, d_desc 32, VICReg     -> models/descriptor.pt
#   condition   micro UNet, d_cond 32, VICReg, block masking 0.6 -> models/condition.pt
#   density     conditional Gaussian on the learned condition   -> models/density.pt
# and, for the comparison in docs/results.md, the densities of the other
# conditions: Gaussian (no condition) -> models/density_none.pt,
# conditional Gaussian on sin-cos positions -> models/density_sincos.pt.
# The SSL crops are resized to 32x32x32, not the official 96x96x64, to fit a
# 2-core CPU; the windows of the density's training and of inference
# (pipelines/screen_model.json) are 32x32x32 too, so the UNets see at
# inference the scale and the GroupNorm statistics they were trained on.
# Interrupted runs resume (the SSL trainings from their last checkpoint).
# Usage: models/train_default.sh [WORK_DIR=out/default_model]   (build first: scripts/setup.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SCREENER_BIN:-$root/build/bin}
work=${1:-$root/out/default_model}
mkdir -p "$work"
[ -d "$work/train/dicom" ] || "$bin/make_demo_dicom" "$work/train" 16 1000 0 --variety > /dev/null  # 16 normal studies

ssl=(--config "$root/pipelines/train_ssl.json" --input "$work/train/dicom" --threads 2
  --set trainer.size=micro --set trainer.channels=32 --set 'trainer.roi=[32,32,32]' --set trainer.crop_pairs=2
  --set trainer.positives=2048 --set trainer.expander_width=256 --set trainer.lr=1e-3 --set trainer.warmup_steps=60
  --set trainer.steps=${SSL_STEPS:-600} --set trainer.save_every=100 --set trainer.log_every=20 --set trainer.device=cpu
  --set trainer.seed=1 --set trainer.save_precision=fp16)
# A finished training is kept (a no-op resume would overwrite its summary); an unfinished one resumes.
train_ssl() {
  local out=$work/$1
  grep -qs '"complete": true' "$out/$1_training.json" && return 0
  "$bin/screener" train "$1" "${ssl[@]}" --output "$out" $([ -f "$out/$1_training_state.pt" ] && echo --resume)
}
train_ssl descriptor
train_ssl condition

# The density configurations of the three conditions (the condition stage swapped, as at inference).
/usr/bin/python3 - "$root/pipelines/train_density.json" "$work" <<'PY'
import json, sys
base = json.load(open(sys.argv[1]))
for name, condition, model in (("sincos", {"plugin": "condition_sincos", "params": {}}, "conditional_gaussian"),
                               ("none", {"plugin": "condition_none", "params": {}}, "gaussian")):
    p = json.loads(json.dumps(base))
    p["stages"] = [dict(s, **condition) if s["id"] == "condition" else s for s in p["stages"]]
    for s in p["stages"]:
        if s["id"] == "trainer":
            s["params"]["model"] = model
    json.dump(p, open(f"{sys.argv[2]}/train_density_{name}.json", "w"), indent=1)
PY
dens=(--input "$work/train/dicom" --threads 2
  --set descriptor.checkpoint="$work/descriptor/descriptor.pt" --set descriptor.size=micro --set descriptor.device=cpu
  --set patcher.overlap=0 --set 'patcher.roi=[32,32,32]' --set descriptor.batch_size=16
  --set trainer.batch=16 --set trainer.hidden=32 --set trainer.steps=${DENSITY_STEPS:-4000} --set trainer.warmup_steps=100 --set trainer.lr=1e-3
  --set trainer.log_every=100 --set trainer.device=cpu --set trainer.seed=1)
learned=(--set condition.checkpoint="$work/condition/condition.pt" --set condition.size=micro --set condition.device=cpu
  --set condition.batch_size=16)
"$bin/screener" train density --config "$root/pipelines/train_density.json" "${dens[@]}" "${learned[@]}" --output "$work/density"
"$bin/screener" train density --config "$work/train_density_sincos.json" "${dens[@]}" --output "$work/density_sincos"
"$bin/screener" train density --config "$work/train_density_none.json" "${dens[@]}" --output "$work/density_none"

cp "$work/descriptor/descriptor.pt" "$work/condition/condition.pt" "$work/density/density.pt" "$root/models/"
cp "$work/density_sincos/density.pt" "$root/models/density_sincos.pt"
cp "$work/density_none/density.pt" "$root/models/density_none.pt"
for m in descriptor/descriptor condition/condition density/density density_sincos/density density_none/density; do
  cp "$work/${m}_training.json" "$root/models/$(dirname $m)_training.json"
  cp "$work/${m}_loss.csv" "$root/models/$(dirname $m)_loss.csv"
done
ls -l "$root/models"
