#!/usr/bin/env bash
# Trains the bundled CPU-sized ceVAE (models/cevae.pt) on the same 16 normal
# synthetic studies as the bundled Screener model (models/train_default.sh),
# with pipelines/train_cevae.json: 32x32x32 windows without overlap, as the
# density was trained. Writes out/cevae_model/ and copies the results here.
#   models/train_cevae.sh [WORK_DIR]      (CEVAE_STEPS=700 by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SCREENER_BIN:-$root/build/bin}
work=${1:-$root/out/cevae_model}
mkdir -p "$work"
[ -d "$work/train/dicom" ] || "$bin/make_demo_dicom" "$work/train" 16 1000 0 --variety > /dev/null  # 16 normal studies

"$bin/screener" train cevae --config "$root/pipelines/train_cevae.json" --input "$work/train/dicom" --threads 2 \
  --output "$work/cevae" --set patcher.overlap=0 --set 'patcher.roi=[32,32,32]' \
  --set 'trainer.widths=[16,32,64,128]' --set trainer.latent=128 --set trainer.batch=16 \
  --set trainer.steps=${CEVAE_STEPS:-700} --set trainer.warmup_steps=50 --set trainer.lr=5e-4 \
  --set trainer.log_every=50 --set trainer.save_every=250 --set trainer.device=cpu --set trainer.seed=1 \
  --set trainer.save_precision=fp16 $([ -f "$work/cevae/cevae_training_state.pt" ] && echo --resume)

cp "$work/cevae/cevae.pt" "$work/cevae/cevae_training.json" "$work/cevae/cevae_loss.csv" "$root/models/"
ls -l "$root/models/cevae"*
