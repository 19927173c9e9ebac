#!/usr/bin/env bash
# make_test_models.sh DIR [SIZE]: random-initialised checkpoints in the official
# formats (tests/reference), for running the model pipelines without trained
# weights: DIR/descriptor.pt (UNet, d 32), DIR/condition.pt (UNet with a mask
# channel, d 16), DIR/density.pt (conditional Gaussian on them),
# DIR/density_sincos.pt (conditional Gaussian on 24 sin-cos channels),
# DIR/density_none.pt (Gaussian), DIR/glow.pt (Glow, 8 blocks).
set -euo pipefail
dir=$1 size=${2:-tiny}
ref=$(cd "$(dirname "${BASH_SOURCE[0]}")/reference" && pwd)/make_reference_case.py
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make() {  # make NAME KIND ARGS...
  local name=$1 kind=$2; shift 2
  "${SCREENER_PYTHON:-/usr/bin/python3}" "$ref" "$kind" "$tmp/$name" "$@" --shape 32 32 32 --seed 11 >/dev/null
  mv "$tmp/$name/state_dict.pt" "$dir/$name.pt"
}
make descriptor descriptor --size "$size" --d 32
make condition descriptor --size "$size" --in-channels 2 --d 16
make density conditional_gaussian --d 32 --dc 16 --hidden 16
make density_sincos conditional_gaussian --d 32 --dc 24 --hidden 16
make density_none gaussian --d 32 --dc 0
make glow glow --d 32 --dc 0 --blocks 8 --hidden 64
