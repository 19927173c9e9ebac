#!/usr/bin/env bash
# compare_devices.sh BIN_DIR OUT [STEPS] [DEVICE_A] [DEVICE_B]: trains the
# descriptor, the condition and the density from the same seed on DEVICE_A
# (the reference, default cpu) and on DEVICE_B (default cuda), STEPS steps each
# (default 200), on synthetic phantom studies (the shipped training
# configurations with the phantom source instead of the DICOM reader: the GPU
# machine has no DICOM libraries), then compares each model's loss curves
# (compare_loss_curves.py): one PASS or FAIL line per model, on stdout and in
# OUT/summary.txt; exits 1 if any failed.
# The two devices' runs go side by side (A's three trainings one after the
# other, B's likewise), with SCREENER_TRAIN_THREADS_A / _B CPU threads (default
# 0: all). SCREENER_TRAIN_RTOL: the largest relative difference per step
# (default 1e-4: fp32 with TF32 off, the trainers' only precision; two CPU runs
# of 200 steps on 1 and 2 threads differed by at most 3.1e-7).
# The density trains on the bundled micro descriptor and condition
# (models/), run on the CPU with `deterministic` in both runs, so that the two
# trainers see the same maps. SCREENER_TRAIN_MODELS: some of the three only.
set -uo pipefail
bin=$1 out=$2 steps=${3:-200} device_a=${4:-cpu} device_b=${5:-cuda}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
py=${SCREENER_PYTHON:-python3}
rtol=${SCREENER_TRAIN_RTOL:-1e-4}
models=${SCREENER_TRAIN_MODELS:-descriptor condition density}
mkdir -p "$out"
"$py" "$root/bench/training/with_phantom_source.py" "$root/pipelines/train_ssl.json" "$out/train_ssl.json" || exit 2
"$py" "$root/bench/training/with_phantom_source.py" "$root/pipelines/train_density.json" "$out/train_density.json" ||
  exit 2

common=(--set 'source.size=[128,128,48]' --set 'source.spacing=[3,3,5]' --set trainer.steps="$steps"
  --set trainer.warmup_steps=$((steps / 10)) --set trainer.save_every="$steps" --set trainer.log_every=50)
ssl=(--config "$out/train_ssl.json" --input phantom:3:7 "${common[@]}" --set trainer.size=micro
  --set 'trainer.roi=[32,32,32]' --set trainer.crop_pairs=2 --set trainer.positives=256 --set trainer.expander_width=64)
# Windows without overlap (about 60 a study): the frozen UNets on the CPU, one
# window at a time, are most of the density's time.
density=(--config "$out/train_density.json" --input phantom:2:7 "${common[@]}" --set patcher.overlap=0
  --set descriptor.checkpoint="$root/models/descriptor.pt" --set descriptor.device=cpu --set descriptor.deterministic=true
  --set condition.checkpoint="$root/models/condition.pt" --set condition.device=cpu --set condition.deterministic=true)

# train DEVICE THREADS: the three trainings on DEVICE, one after the other.
train() {
  local device=$1 threads=$2 dir=$out/$1 model rc=0
  [ "$device_a" = "$device_b" ] && dir=$out/$1-$3
  mkdir -p "$dir"
  for model in $models; do
    local args=("${ssl[@]}")
    [ $model = density ] && args=("${density[@]}")
    local t0=$SECONDS
    "$bin/screener" train $model "${args[@]}" --set trainer.device="$device" --threads "$threads" \
      --output "$dir/$model" >"$dir/$model.log" 2>&1 || { rc=1; tail -5 "$dir/$model.log"; }
    echo "$device: $model trained in $((SECONDS - t0)) s" >>"$dir/times.txt"
  done
  return $rc
}
dir_a=$out/$device_a dir_b=$out/$device_b
[ "$device_a" = "$device_b" ] && dir_a=$out/$device_a-a dir_b=$out/$device_b-b
train "$device_a" "${SCREENER_TRAIN_THREADS_A:-0}" a &
pid_a=$!
train "$device_b" "${SCREENER_TRAIN_THREADS_B:-0}" b
wait $pid_a
cat "$dir_a/times.txt" "$dir_b/times.txt" 2>/dev/null | tee -a "$out/summary.txt"
failed=0
for model in $models; do
  "$py" "$root/bench/training/compare_loss_curves.py" "$model $device_b vs $device_a" \
    "$dir_a/$model/${model}_loss.csv" "$dir_b/$model/${model}_loss.csv" --rtol "$rtol" | tee -a "$out/summary.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
done
exit $failed
