#!/bin/sh
# test_denoise_cli.sh: `drift denoise` end to end.
#   sh test_denoise_cli.sh DRIFT_BINARY
# Trains a tiny denoise model for a few steps through `drift train` on clips
# made with sox, then denoises a short stereo 44.1 kHz file with it (and a
# folder in batch, and with --method spectral): outputs keep the input's
# rate, channels and length. A corrupt input, a missing model and an
# unwritable output give a clear one-line message, a non-zero exit and no
# output file.
set -u
DRIFT=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "test_denoise_cli: FAILED: $*"; exit 1; }
frames() { soxi -s "$1"; }

mkdir -p "$WORK/data/speech" "$WORK/data/tones" "$WORK/in/sub"
sox -n -r 16000 -b 16 "$WORK/data/speech/a.wav" synth 2 sine 200-900 tremolo 3 60 || fail "sox"
sox -n -r 16000 -b 16 "$WORK/data/speech/b.wav" synth 2 square 150-300 vol 0.3 || fail "sox"
sox -n -r 22050 -b 16 "$WORK/data/tones/c.wav" synth 1.5 pluck C4 || fail "sox"
cat > "$WORK/tiny.recipe" <<EOF
data = denoise:$WORK/data
frames = 16
base_channels = 16
channel_mults = 1,2
res_blocks = 1
groups = 4
mid_attention = 0
time_embedding_in = 16
time_embedding = 32
batch = 4
steps = 4
warmup = 1
checkpoint_every = 0
EOF
"$DRIFT" train "$WORK/tiny.recipe" -o "$WORK/tiny.safetensors" --quiet > "$WORK/train.txt" \
    || fail "training the tiny model: $(cat "$WORK/train.txt")"
[ -s "$WORK/tiny.safetensors" ] || fail "no model written"

"$DRIFT" denoise --help | grep -q "example:" || fail "denoise --help has no example"
sox -n -r 44100 -b 16 -c 2 "$WORK/in/noisy.wav" synth 1.3 sine 440 whitenoise vol 0.3 || fail "sox"
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/out.wav" --model "$WORK/tiny.safetensors" --steps 2 --seed 3 \
    > "$WORK/out.txt" 2> "$WORK/err.txt" || fail "denoise: $(cat "$WORK/err.txt")"
grep -q "out.wav" "$WORK/out.txt" || fail "output path not printed"
[ "$(soxi -r "$WORK/out.wav")" = 44100 ] || fail "rate changed"
[ "$(soxi -c "$WORK/out.wav")" = 2 ] || fail "channels changed"
[ "$(frames "$WORK/out.wav")" = "$(frames "$WORK/in/noisy.wav")" ] || fail "length changed"
"$DRIFT" denoise "$WORK/in/noisy.wav" -o "$WORK/again.wav" --model "$WORK/tiny.safetensors" --steps 2 --seed 3 \
    --quiet > /dev/null || fail "denoise with -o"
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/spectral.flac" --method spectral --quiet > /dev/null \
    || fail "spectral"
[ "$(frames "$WORK/spectral.flac")" = "$(frames "$WORK/in/noisy.wav")" ] || fail "spectral length"
# Determinism: the same seed and settings give the same file, whatever the
# thread count (the STFT's FFTW plans are FFTW_ESTIMATE; randomness is
# counter-based); another seed gives another file.
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/d1.wav" --model "$WORK/tiny.safetensors" --steps 2 --seed 3 \
    --threads 1 --quiet > /dev/null || fail "diffusion, 1 thread"
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/d2.wav" --model "$WORK/tiny.safetensors" --steps 2 --seed 3 \
    --threads 2 --quiet > /dev/null || fail "diffusion, 2 threads"
cmp -s "$WORK/out.wav" "$WORK/d1.wav" || fail "diffusion: the same seed gave another output"
cmp -s "$WORK/d1.wav" "$WORK/d2.wav" || fail "diffusion: 1 and 2 threads gave different outputs"
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/d3.wav" --model "$WORK/tiny.safetensors" --steps 2 --seed 4 \
    --quiet > /dev/null || fail "diffusion, seed 4"
if cmp -s "$WORK/d1.wav" "$WORK/d3.wav"; then fail "diffusion: seeds 3 and 4 gave the same output"; fi
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/s1.wav" --method spectral --quiet > /dev/null || fail "spectral 1"
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/s2.wav" --method spectral --quiet > /dev/null || fail "spectral 2"
cmp -s "$WORK/s1.wav" "$WORK/s2.wav" || fail "spectral: two runs gave different outputs"

# The 2-D network (one (bins, frames) plane per window) trains and denoises
# through the same commands (here with noise augmentation on every
# training noise), and is a different model from the 1-D one.
sed -e 's/^base_channels = .*/base_channels = 8/' "$WORK/tiny.recipe" > "$WORK/tiny2d.recipe"
printf 'dims = 2\nnoise_augment = 1\n' >> "$WORK/tiny2d.recipe"
if "$DRIFT" train "$WORK/tiny2d.recipe" -o "$WORK/bad.safetensors" --set noise_augment=2 --quiet \
    > /dev/null 2> "$WORK/err.txt"; then
    fail "noise_augment = 2 accepted"
fi
grep -q "noise_augment" "$WORK/err.txt" || fail "noise_augment message: $(cat "$WORK/err.txt")"
[ ! -e "$WORK/bad.safetensors" ] || fail "a model written for a bad recipe"
"$DRIFT" train "$WORK/tiny2d.recipe" -o "$WORK/tiny2d.safetensors" --quiet > "$WORK/train.txt" \
    || fail "training the tiny 2-D model: $(cat "$WORK/train.txt")"
"$DRIFT" info "$WORK/tiny2d.safetensors" | grep -q "2-D U-Net, 1 input channel + 2 conditioning" \
    || fail "the 2-D model's info: $("$DRIFT" info "$WORK/tiny2d.safetensors")"
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/d2d.wav" --model "$WORK/tiny2d.safetensors" --steps 2 --seed 3 \
    --quiet > /dev/null || fail "denoise with the 2-D model"
[ "$(frames "$WORK/d2d.wav")" = "$(frames "$WORK/in/noisy.wav")" ] || fail "2-D: length changed"
if cmp -s "$WORK/d1.wav" "$WORK/d2d.wav"; then fail "the 1-D and 2-D models gave the same output"; fi

# A calibration (drift calibrate) travels in the model file and equals
# --mask-gain given by hand; it changes the output; bad values and models
# that are not denoisers are refused with no file written.
"$DRIFT" calibrate "$WORK/tiny2d.safetensors" --mask-gain 2 -o "$WORK/cal.safetensors" > /dev/null \
    || fail "calibrate"
"$DRIFT" info "$WORK/cal.safetensors" | grep -q '"mask_gain_db":2' || fail "no mask gain in the calibrated model"
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/dcal.wav" --model "$WORK/cal.safetensors" --steps 2 --seed 3 \
    --quiet > /dev/null || fail "denoise with the calibrated model"
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/dgain.wav" --model "$WORK/tiny2d.safetensors" --steps 2 --seed 3 \
    --mask-gain 2 --quiet > /dev/null || fail "denoise --mask-gain 2"
cmp -s "$WORK/dcal.wav" "$WORK/dgain.wav" || fail "the stored calibration differs from --mask-gain 2"
if cmp -s "$WORK/dcal.wav" "$WORK/d2d.wav"; then fail "a mask gain of 2 dB changed nothing"; fi
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/dzero.wav" --model "$WORK/cal.safetensors" --steps 2 --seed 3 \
    --mask-gain 0 --quiet > /dev/null || fail "denoise --mask-gain 0"
cmp -s "$WORK/dzero.wav" "$WORK/d2d.wav" || fail "--mask-gain 0 does not override the stored calibration"
# --draws: the default is several draws averaged; one draw is another output.
"$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/draw1.wav" --model "$WORK/tiny2d.safetensors" --steps 2 --seed 3 \
    --draws 1 --quiet > /dev/null || fail "denoise --draws 1"
if cmp -s "$WORK/draw1.wav" "$WORK/d2d.wav"; then fail "--draws 1 gives the default draws' output"; fi
if "$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/bad.wav" --model "$WORK/tiny2d.safetensors" --draws 0 \
    2> "$WORK/err.txt"; then fail "--draws 0 accepted"; fi
grep -q "draws" "$WORK/err.txt" || fail "--draws 0 message: $(cat "$WORK/err.txt")"
if "$DRIFT" calibrate "$WORK/tiny2d.safetensors" --mask-gain 25 -o "$WORK/bad.safetensors" 2> "$WORK/err.txt"; then
    fail "mask gain 25 accepted"
fi
grep -q "mask-gain" "$WORK/err.txt" || fail "mask gain message: $(cat "$WORK/err.txt")"
if "$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/bad.wav" --model "$WORK/tiny2d.safetensors" --mask-gain x \
    2> /dev/null; then fail "--mask-gain x accepted"; fi
if "$DRIFT" calibrate "$WORK/nosuch.safetensors" --mask-gain 1 -o "$WORK/bad.safetensors" 2> "$WORK/err.txt"; then
    fail "calibrating a missing model accepted"
fi
grep -q "nosuch" "$WORK/err.txt" || fail "missing model message: $(cat "$WORK/err.txt")"
[ ! -e "$WORK/bad.safetensors" ] && [ ! -e "$WORK/bad.wav" ] || fail "an output written for a refused call"

# A folder in batch keeps the tree.
sox -n -r 8000 -b 16 "$WORK/in/sub/mono.flac" synth 0.7 sine 300 vol 0.5 || fail "sox"
"$DRIFT" denoise "$WORK/in" "$WORK/outdir" --model "$WORK/tiny.safetensors" --steps 1 --quiet > /dev/null \
    || fail "batch"
[ -s "$WORK/outdir/noisy.wav" ] && [ -s "$WORK/outdir/sub/mono.flac" ] || fail "batch tree: $(find "$WORK/outdir")"
[ "$(soxi -r "$WORK/outdir/sub/mono.flac")" = 8000 ] || fail "batch rate"

# Errors: a clear message, a non-zero exit, no output.
head -c 3000 "$WORK/in/noisy.wav" > "$WORK/corrupt.wav"
if "$DRIFT" denoise "$WORK/corrupt.wav" "$WORK/bad1.wav" --model "$WORK/tiny.safetensors" 2> "$WORK/err.txt"; then
    fail "corrupt input accepted"
fi
grep -q "corrupt.wav" "$WORK/err.txt" || fail "corrupt input message: $(cat "$WORK/err.txt")"
printf 'not audio at all' > "$WORK/text.wav"
if "$DRIFT" denoise "$WORK/text.wav" "$WORK/bad2.wav" --method spectral 2> "$WORK/err.txt"; then
    fail "text file accepted"
fi
grep -q "text.wav" "$WORK/err.txt" || fail "text input message: $(cat "$WORK/err.txt")"
if "$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/bad3.wav" --model "$WORK/missing.safetensors" 2> "$WORK/err.txt"; then
    fail "missing model accepted"
fi
grep -q "missing.safetensors" "$WORK/err.txt" || fail "missing model message: $(cat "$WORK/err.txt")"
if "$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/no/such/dir/x.wav" --method spectral 2> "$WORK/err.txt"; then
    fail "unwritable output accepted"
fi
grep -q "no/such/dir" "$WORK/err.txt" || fail "unwritable output message: $(cat "$WORK/err.txt")"
if "$DRIFT" denoise "$WORK/in/noisy.wav" "$WORK/bad4.wav" --strength 2 2> "$WORK/err.txt"; then
    fail "--strength 2 accepted"
fi
for f in bad1.wav bad2.wav bad3.wav bad4.wav; do
    [ ! -e "$WORK/$f" ] || fail "$f was written"
done
[ "$(ls -a "$WORK" | grep -c '^\.')" -eq 2 ] || fail "temporary files left: $(ls -a "$WORK")"
[ "$(ls -a "$WORK/outdir" "$WORK/outdir/sub" | grep -c '^\.[^.]')" -eq 0 ] || fail "temporary files left in outdir"
echo "test_denoise_cli: passed"
