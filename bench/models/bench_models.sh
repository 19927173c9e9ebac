#!/usr/bin/env bash
# bench_models.sh BUILD_DIR DEVICE [PRECISIONS] [SIZES] [FLAGS...]: patches/s of
# the model stages' networks on 96×96×64 patches, one JSON line per
# configuration. Checkpoints are random-initialised in the official formats
# (speed does not depend on the values). FLAGS go to every bench_models call
# (--threads N, --channels-last, --cudnn-benchmark). On the CPU in fp32 each
# descriptor configuration gets three lines: the UNet's inference path, its
# reference path (--reference: LibTorch's operators one for one, the path
# before issue 17) and PyTorch's own model(x) under torch.no_grad()
# (bench_pytorch.py, same checkpoint, patch size, batch and threads).
# Example: bench/models/bench_models.sh build cpu fp32 "tiny small base" --threads 2
set -euo pipefail
build=$1 device=$2 precisions=${3:-fp32} sizes=${4:-tiny small base}
shift $(($# < 4 ? $# : 4))
flags=("$@")
threads=$(nproc)
for ((i = 0; i < ${#flags[@]}; ++i)); do [ "${flags[i]}" = --threads ] && threads=${flags[i + 1]}; done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ref=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/reference" && pwd)/make_reference_case.py
py=${SCREENER_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
bench() {  # one configuration; a failure is reported and the others still run
  "$build/bin/bench_models" ${flags[@]+"${flags[@]}"} "$@" || { failed=1; echo "{\"failed\": \"$*\"}"; }
}
batches="1 4" iterations=3
[ "$device" != cpu ] && batches="1 4 16" iterations=20
for size in $sizes; do
  "$py" "$ref" descriptor "$tmp/$size" --size "$size" --shape 32 32 32 --seed 1 >/dev/null
  for precision in $precisions; do
    for batch in $batches; do
      [ "$device" = cpu ] && [ "$batch" = 4 ] && [ "$size" = base ] && continue  # ~40 s a batch here
      bench descriptor "$tmp/$size/state_dict.pt" "$size" "$device" "$precision" "$batch" $iterations
      if [ "$device" = cpu ] && [ "$precision" = fp32 ]; then
        bench --reference descriptor "$tmp/$size/state_dict.pt" "$size" cpu fp32 "$batch" $iterations
        "$py" "$here/bench_pytorch.py" "$tmp/$size/state_dict.pt" "$size" "$batch" $iterations "$threads" ||
          { failed=1; echo "{\"failed\": \"bench_pytorch.py $size $batch\"}"; }
      fi
    done
  done
done
"$py" "$ref" gaussian "$tmp/g" --d 32 --dc 0 --seed 1 >/dev/null
"$py" "$ref" conditional_gaussian "$tmp/cg" --d 32 --dc 32 --hidden 64 --seed 1 >/dev/null
"$py" "$ref" glow "$tmp/glow" --d 32 --dc 0 --blocks 64 --hidden 512 --seed 1 >/dev/null
"$py" "$ref" conditional_glow "$tmp/cglow" --d 32 --dc 32 --blocks 64 --hidden 512 --seed 1 >/dev/null
for m in g cg glow cglow; do
  if [ "$device" = cpu ]; then
    # The official Glow is ~1.2 TFLOP per patch: one at a time on a CPU.
    batch=4 iterations=3
    [[ $m == *glow ]] && batch=1 iterations=1
    bench density "$tmp/$m/state_dict.pt" "$m" cpu fp32 "$batch" "$iterations"
  else
    for precision in fp32 tf32; do  # the density stage offers no half precision
      bench density "$tmp/$m/state_dict.pt" "$m" "$device" "$precision" 4 10
    done
  fi
done
exit $failed
