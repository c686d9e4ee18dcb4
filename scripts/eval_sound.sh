#!/bin/sh
# Quality of the sound presets (see docs/SOUND.md): builds eval_sound, then
# for each preset trains the evaluation classifier (audio/classify.h, a
# small CNN over log-mels) on the real training clips, reports its
# held-out accuracy and scores generated clips (recognition and Frechet
# distance), prompting each class by its name alone ("snare", "piano") and
# then by the tags of its held-out clips ("snare 808 kit hard", "grand
# piano piano C4 soft"). CLIPS_PER_CLASS 0 scores only the classifier.
# Usage: scripts/eval_sound.sh [DATA_DIR (default data/sounds)] [CLIPS_PER_CLASS (default 10)]
set -eu
cd "$(dirname "$0")/.."
DATA=${1:-data/sounds}
PER=${2:-10}
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target eval_sound drift >/dev/null
[ -f "$DATA/drums.csv" ] || build/release/drift dataset render "$DATA"
for prompts in label heldout; do
    echo "== drums (classes: drum names; prompts: $prompts)"
    build/release/bench/eval_sound "$DATA/drums.csv" presets/drums.safetensors name "$PER" 25 "$prompts"
    echo "== notes (classes: instrument families; prompts: $prompts)"
    build/release/bench/eval_sound "$DATA/notes.csv" presets/notes.safetensors family "$PER" 25 "$prompts"
done
