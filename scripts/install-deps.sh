#!/bin/sh
# Installs everything drift needs on Debian 12 (run as root). Idempotent:
# when every package is already there it only checks and returns.
#   scripts/install-deps.sh          build, run and test drift
#   scripts/install-deps.sh --peers  also the benchmark peers, golden-data tools and the
#                                    photographs presets/photo.recipe trains on
set -eu

PACKAGES="build-essential cmake pkg-config clang
libopenblas-dev libfftw3-dev libsndfile1-dev libsoxr-dev portaudio19-dev
lv2-dev liblilv-dev lilv-utils sordi jalv lv2file jackd2
libpng-dev zlib1g-dev libjpeg-dev libcjson-dev
libfluidsynth-dev fluidsynth fluid-soundfont-gm dataset-fashion-mnist mate-backgrounds
sox espeak-ng festival festvox-kallpc16k ardour
libopenmpi-dev openmpi-bin"
PEERS="python3-torch python3-torchaudio python3-scipy python3-numpy python3-skimage
python3-opencv imagemagick plasma-workspace-wallpapers"

if [ "${1:-}" = "--peers" ]; then
    PACKAGES="$PACKAGES $PEERS"
fi

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
