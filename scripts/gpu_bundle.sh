#!/usr/bin/env bash
# Run here (Debian 12): gathers the Debian packages the model plugins' build needs
# besides LibTorch (the GPU machine has PyTorch + CUDA but no package registry),
# unpacked into .gpu-bundle/root, to be carried there with the working tree:
#   run(command="scripts/gpu_check.sh", carry=[".gpu-bundle"])
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bundle=$root/.gpu-bundle
packages=(libtbb-dev libtbb12 libtbbmalloc2 libtbbbind-2-5 nlohmann-json3-dev libcli11-dev libspdlog-dev
  libspdlog1.10 libfmt-dev libfmt9 libgtest-dev libgmock-dev libbenchmark-dev libbenchmark1debian ninja-build)
rm -rf "$bundle"
mkdir -p "$bundle/debs" "$bundle/root"
(cd "$bundle/debs" && apt-get download "${packages[@]}" >/dev/null)
for deb in "$bundle"/debs/*.deb; do dpkg-deb -x "$deb" "$bundle/root"; done
rm -rf "$bundle/debs" "$bundle/root/usr/share/doc" "$bundle/root/usr/share/man"
du -sh "$bundle"
