#!/bin/sh
# Image quality of a Fashion-MNIST model (see docs/IMAGES.md): builds drift
# and bench/eval_images, then scores denoising, inpainting and
# super-resolution against OpenCV, scikit-image and ImageMagick on the
# first N test pictures, and generation by a classifier trained here.
# Needs the peers: sh scripts/install-deps.sh --peers
# Usage: scripts/eval_images.sh MODEL [N (1000)] [PER_CLASS (100)] [more eval_images.py options]
#   e.g. scripts/eval_images.sh presets/fashion.safetensors
#        scripts/eval_images.sh /tmp/f.safetensors 100 20 --classifier-train 20000
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: scripts/eval_images.sh MODEL [N] [PER_CLASS] [options]" >&2; exit 2; }
MODEL=$1
N=${2:-1000}
PER=${3:-100}
[ $# -ge 3 ] && shift 3 || shift $#
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target drift eval_images >/dev/null
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "model: $MODEL"
/usr/bin/python3 scripts/eval_images.py --drift build/release/drift --eval-bin build/release/bench/eval_images \
    --model "$MODEL" --n "$N" --per-class "$PER" "$@"
