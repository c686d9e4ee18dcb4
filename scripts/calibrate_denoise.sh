#!/bin/sh
# calibrate_denoise.sh: the mask gain a denoising model does best with, measured on
# the training distribution only, and optionally stored in a copy of the model.
#   sh scripts/calibrate_denoise.sh --model M.safetensors [--gains "0 1 2 3 4"] [--steps N] [--draws N]
#                                   [--write OUT.safetensors] [--build DIR] [--data DIR] [--out DIR]
# The calibration set: 12 training clips (8 voices, 4 instruments; DIR/train of
# scripts/render_denoise_data.sh), their first 4 s mixed with the seven training
# noise kinds (white, pink, brown, hum, clicks, rumble, tones) at 0, 5 and 10 dB
# (252 mixtures). No evaluation clip and no held-out noise kind is used, so the
# held-out evaluation (scripts/eval_denoise.sh) stays unseen. For each gain the
# model's mean SI-SDR improvement is printed (drift denoise at its default
# settings, or with --steps N and --draws N); the best is the calibration, and --write
# stores it with `drift calibrate`.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build/release
DATA=$ROOT/data/denoise
OUT=$ROOT/out/calibrate_denoise
MODEL=""
GAINS="0 1 2 3 4"
WRITE=""
STEPS=""
while [ $# -gt 0 ]; do
    case $1 in
    --model) MODEL=$2; shift 2 ;;
    --gains) GAINS=$2; shift 2 ;;
    --write) WRITE=$2; shift 2 ;;
    --steps) STEPS="--steps $2"; shift 2 ;;
    --draws) STEPS="$STEPS --draws $2"; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "calibrate_denoise: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$MODEL" ] || { echo "calibrate_denoise: --model is required" >&2; exit 2; }
[ -d "$DATA/train" ] || sh "$ROOT/scripts/render_denoise_data.sh" "$DATA"
rm -rf "$OUT"
mkdir -p "$OUT/clips"
for f in speech/espeak_de_f1_0 speech/espeak_en-us_f1_0 speech/espeak_en_f1_0 speech/espeak_es_f1_0 \
         speech/espeak_fr_f1_0 speech/espeak_nl_f1_0 speech/festival_1 speech/festival_7 \
         instruments/bass instruments/flute instruments/piano instruments/violin; do
    [ -f "$DATA/train/$f.wav" ] || { echo "calibrate_denoise: $DATA/train/$f.wav is missing" >&2; exit 1; }
    ln -s "$DATA/train/$f.wav" "$OUT/clips/$(echo "$f" | tr '/' '_').wav"
done
best=""
bestv=-1000
for g in $GAINS; do
    sh "$ROOT/scripts/eval_denoise.sh" --model "$MODEL" --mask-gain "$g" $STEPS --build "$BUILD" --data "$DATA" \
        --out "$OUT/gain$g" --clips "$OUT/clips" --noises "white pink brown hum clicks rumble tones" --seconds 4 \
        --amounts 0.2 > "$OUT/gain$g.log" 2>&1 || { cat "$OUT/gain$g.log" >&2; exit 1; }
    v=$(awk -F'|' '$2 ~ /mean/ { gsub(/ /, "", $4); print $4 }' "$OUT/gain$g/table.md")
    echo "mask gain $g dB: mean SI-SDRi $v dB (spectral $(awk -F'|' '$2 ~ /mean/ { gsub(/ /, "", $5); print $5 }' \
        "$OUT/gain$g/table.md"))"
    if awk -v a="$v" -v b="$bestv" 'BEGIN { exit !(a > b) }'; then best=$g; bestv=$v; fi
done
echo "best mask gain: $best dB (mean SI-SDRi $bestv dB on the calibration set)"
if [ -n "$WRITE" ]; then
    "$BUILD/drift" calibrate "$MODEL" --mask-gain "$best" -o "$WRITE"
fi
