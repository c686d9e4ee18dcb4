#!/bin/sh
# The README's first command: installs drift's dependencies (Debian 12, as
# root), builds drift, and generates a few drum sounds with the default
# preset (presets/drums.safetensors) into out/.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)"
DRIFT=./build/release/drift
$DRIFT info
mkdir -p out
for prompt in "kick" "snare" "closed hat" "crash" "clap" "low tom"; do
    name=$(echo "$prompt" | tr ' ' '-')
    $DRIFT generate "$prompt" --seed 1 --quiet -o "out/$name.wav" --spectrogram "out/$name.png"
done
echo
echo "drift wrote these sounds (and a spectrogram picture of each) with presets/drums.safetensors:"
ls -1 out/*.wav
echo "play one with: $DRIFT play out/snare.wav"
