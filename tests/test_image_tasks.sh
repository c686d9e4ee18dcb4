#!/bin/sh
# test_image_tasks.sh: `drift image` end to end on a tiny model.
#   sh test_image_tasks.sh DRIFT_BINARY
# Trains a tiny unconditional Fashion-MNIST model for a few steps with
# `drift train`, then: generate a grid, denoise (given and estimated
# sigma), inpaint (the default, which is ddrm, and repaint) with a mask, upscale x2 and x4 (ddrm
# and ilvr), a folder in batch keeping its tree; and bad files, a mask of
# the wrong size and bad options give a one-line message naming the
# problem, a non-zero exit and no output file. Then the same for a tiny
# conditional restoration model (data = restore:FOLDER).
set -u
DRIFT=$1
FIX=$(dirname "$0")/fixtures
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "test_image_tasks: FAILED: $*"; exit 1; }
is_png() { head -c 8 "$1" | od -An -c | grep -q "P   N   G"; }
size_of() { od -An -tu1 -j16 -N8 "$1" | awk '{print $3*256+$4 "x" $7*256+$8}'; }

cat > "$WORK/tiny.recipe" <<'RECIPE'
data = fashion-mnist
size = 32
limit = 64
conditioning = none
base_channels = 8
channel_mults = 1,2
res_blocks = 1
groups = 4
attention_levels =
mid_attention = 0
time_embedding_in = 16
time_embedding = 32
steps = 10
batch = 8
lr = 1e-3
warmup = 2
checkpoint_every = 0
RECIPE
M="$WORK/tiny.safetensors"
"$DRIFT" train "$WORK/tiny.recipe" -o "$M" --quiet > /dev/null || fail "training the tiny model"
Q="--model $M --steps 4 --quiet"

"$DRIFT" image --help | grep -q "example" || fail "image --help has no example"
"$DRIFT" image generate -o "$WORK/grid.png" --count 4 $Q > "$WORK/out.txt" || fail "generate"
grep -q "grid.png" "$WORK/out.txt" || fail "output path not printed"
is_png "$WORK/grid.png" || fail "grid.png is not a PNG"
[ "$(size_of "$WORK/grid.png")" = "70x70" ] || fail "grid of 4 32x32 pictures is $(size_of "$WORK/grid.png")"

IN="$WORK/grid.png"
"$DRIFT" image denoise "$IN" "$WORK/den.png" --sigma 0.1 $Q > /dev/null || fail "denoise --sigma"
"$DRIFT" image denoise "$IN" -o "$WORK/den_est.png" $Q > /dev/null || fail "denoise, estimated sigma"
"$DRIFT" image inpaint "$IN" --mask "$FIX/imgtask/hole70.png" -o "$WORK/inp.png" $Q > /dev/null || fail "inpaint"
"$DRIFT" image inpaint "$IN" --mask "$FIX/imgtask/hole70.png" -o "$WORK/inp_ddrm.png" --method ddrm $Q \
    > /dev/null || fail "inpaint --method ddrm"
cmp -s "$WORK/inp.png" "$WORK/inp_ddrm.png" || fail "inpaint's default is not ddrm"
"$DRIFT" image inpaint "$IN" --mask "$FIX/imgtask/hole70.png" -o "$WORK/inp_repaint.png" --method repaint $Q \
    > /dev/null || fail "inpaint --method repaint"
"$DRIFT" image inpaint "$IN" --mask "$FIX/imgtask/hole70.png" -o "$WORK/inp_eta0.png" --eta 0 $Q > /dev/null \
    || fail "inpaint --eta 0"
cmp -s "$WORK/inp.png" "$WORK/inp_eta0.png" && fail "--eta 0 gives the default eta's picture"
"$DRIFT" image upscale "$IN" --scale 2 -o "$WORK/up2.png" $Q > /dev/null || fail "upscale x2"
"$DRIFT" image upscale "$IN" --scale 4 -o "$WORK/up4.png" --method ilvr $Q > /dev/null || fail "upscale x4 ilvr"
for f in den den_est inp inp_ddrm inp_repaint inp_eta0; do
    [ "$(size_of "$WORK/$f.png")" = "70x70" ] || fail "$f.png is $(size_of "$WORK/$f.png")"
done
[ "$(size_of "$WORK/up2.png")" = "140x140" ] || fail "up2.png is $(size_of "$WORK/up2.png")"
[ "$(size_of "$WORK/up4.png")" = "280x280" ] || fail "up4.png is $(size_of "$WORK/up4.png")"

mkdir -p "$WORK/in/sub"
cp "$IN" "$WORK/in/a.png"
cp "$IN" "$WORK/in/sub/b.png"
"$DRIFT" image denoise "$WORK/in" -o "$WORK/outdir" --sigma 0.05 $Q > /dev/null || fail "folder denoise"
[ -s "$WORK/outdir/a.png" ] && [ -s "$WORK/outdir/sub/b.png" ] || fail "folder tree not kept: $(ls -R "$WORK/outdir")"

expect_fail() { # expect_fail WORD OUTPUT ARGS...: fails, says WORD, writes no OUTPUT
    word=$1 out=$2
    shift 2
    if "$DRIFT" image "$@" 2> "$WORK/err.txt" > /dev/null; then fail "accepted: $*"; fi
    grep -q -- "$word" "$WORK/err.txt" || fail "message for '$*' lacks '$word': $(cat "$WORK/err.txt")"
    [ "$(wc -l < "$WORK/err.txt")" -le 1 ] || fail "more than one line for '$*': $(cat "$WORK/err.txt")"
    [ ! -e "$out" ] || fail "output written for '$*'"
}
expect_fail "badcrc.png" "$WORK/bad.png" denoise "$FIX/images/badcrc.png" "$WORK/bad.png" --sigma 0.1 $Q
expect_fail "32 x 32" "$WORK/bad.png" inpaint "$IN" --mask "$FIX/imgtask/hole32.png" -o "$WORK/bad.png" $Q
expect_fail "scale" "$WORK/bad.png" upscale "$IN" --scale 3 -o "$WORK/bad.png" $Q
expect_fail "ilvr" "$WORK/bad.png" inpaint "$IN" --mask "$FIX/imgtask/hole70.png" -o "$WORK/bad.png" --method sr3 $Q
expect_fail "sigma" "$WORK/bad.png" denoise "$IN" "$WORK/bad.png" --sigma 2 $Q
expect_fail "eta" "$WORK/bad.png" denoise "$IN" "$WORK/bad.png" --eta 1.5 $Q
expect_fail "eta" "$WORK/bad.png" inpaint "$IN" --mask "$FIX/imgtask/hole70.png" -o "$WORK/bad.png" --method repaint \
    --eta 0.5 $Q
expect_fail "mask" "$WORK/bad.png" inpaint "$IN" -o "$WORK/bad.png" $Q
expect_fail "nosuch.safetensors" "$WORK/bad.png" denoise "$IN" "$WORK/bad.png" --model "$WORK/nosuch.safetensors"
expect_fail "unknown task" "$WORK/bad.png" sharpen "$IN" "$WORK/bad.png"

# A conditional restoration model (data = restore:FOLDER): trained a few
# steps on pictures degraded on the fly, it upscales and inpaints through
# the same commands, keeps what the measurement fixes, and refuses to denoise.
mkdir -p "$WORK/pics"
cp "$IN" "$WORK/pics/a.png"
cat > "$WORK/restore.recipe" <<RECIPE
data = restore:$WORK/pics
size = 16
channels = 3
base_channels = 8
channel_mults = 1,2
res_blocks = 1
groups = 4
attention_levels =
mid_attention = 0
time_embedding_in = 16
time_embedding = 32
prediction = sample
min_snr_gamma = 0
steps = 4
batch = 4
warmup = 1
checkpoint_every = 0
RECIPE
R="$WORK/restore.safetensors"
"$DRIFT" train "$WORK/restore.recipe" -o "$R" --quiet > /dev/null || fail "training the tiny restoration model"
"$DRIFT" info "$R" | grep -q '"restore":1' || fail "the restoration model's task does not say restore"
"$DRIFT" image upscale "$IN" --scale 4 -o "$WORK/r_up4.png" --model "$R" --quiet > /dev/null \
    || fail "upscale x4, restoration model"
"$DRIFT" image inpaint "$IN" --mask "$FIX/imgtask/hole70.png" -o "$WORK/r_inp.png" --model "$R" --quiet > /dev/null \
    || fail "inpaint, restoration model"
[ "$(size_of "$WORK/r_up4.png")" = "280x280" ] || fail "r_up4.png is $(size_of "$WORK/r_up4.png")"
[ "$(size_of "$WORK/r_inp.png")" = "70x70" ] || fail "r_inp.png is $(size_of "$WORK/r_inp.png")"
# fine-tuning: --init starts from R's weights; here with the fill under
# tension, which the model file then names and inpainting uses
"$DRIFT" train "$WORK/restore.recipe" -o "$WORK/tuned.safetensors" --init "$R" --set fill=tension --set steps=2 \
    --quiet > /dev/null || fail "fine-tuning the restoration model with --init"
"$DRIFT" info "$WORK/tuned.safetensors" | grep -q '"fill":"tension"' || fail "the tuned model does not name its fill"
"$DRIFT" image inpaint "$IN" --mask "$FIX/imgtask/hole70.png" -o "$WORK/t_inp.png" --model "$WORK/tuned.safetensors" \
    --quiet > /dev/null || fail "inpaint, fill under tension"
if "$DRIFT" train "$WORK/restore.recipe" -o "$WORK/bad.safetensors" --init "$M" --quiet 2> "$WORK/err.txt" > /dev/null
then
    fail "--init with another network's weights was accepted"
fi
grep -q "has shape" "$WORK/err.txt" || fail "--init message lacks the shapes: $(cat "$WORK/err.txt")"
[ ! -e "$WORK/bad.safetensors" ] || fail "a model was written after a refused --init"
# the default model is found through $DRIFT_PRESETS from any folder
cp "$R" "$WORK/photo-restore.safetensors"
(cd / && DRIFT_PRESETS="$WORK" "$DRIFT" image upscale "$IN" --scale 4 -o "$WORK/r_up4_preset.png" --quiet) \
    > /dev/null || fail "upscale with the default model from \$DRIFT_PRESETS"
cmp -s "$WORK/r_up4.png" "$WORK/r_up4_preset.png" || fail "the default model is not \$DRIFT_PRESETS's"
# --draws: the default averages several draws; one draw is another picture
"$DRIFT" image upscale "$IN" --scale 4 -o "$WORK/r_up4_d1.png" --model "$R" --draws 1 --quiet > /dev/null \
    || fail "upscale x4 --draws 1, restoration model"
cmp -s "$WORK/r_up4.png" "$WORK/r_up4_d1.png" && fail "--draws 1 gives the default draws' picture"
expect_fail "restoration models" "$WORK/bad.png" upscale "$IN" --scale 2 -o "$WORK/bad.png" --draws 2 $Q
expect_fail "draws" "$WORK/bad.png" upscale "$IN" --scale 2 -o "$WORK/bad.png" --model "$R" --draws 65
expect_fail "not generate" "$WORK/bad.png" generate -o "$WORK/bad.png" --count 4 --draws 2 $Q
expect_fail "upscales and inpaints" "$WORK/bad.png" denoise "$IN" "$WORK/bad.png" --model "$R" --quiet
expect_fail "restoration model" "$WORK/bad.png" upscale "$IN" --scale 2 -o "$WORK/bad.png" --model "$R" --method ilvr
expect_fail "restoration model" "$WORK/bad.png" upscale "$IN" --scale 2 -o "$WORK/bad.png" --model "$R" --eta 0.5
expect_fail "not generate" "$WORK/bad.png" generate -o "$WORK/bad.png" --count 4 --eta 0.5 $Q
printf 'data = restore:%s\nsize = 64\nsteps = 1\n' "$WORK/pics" > "$WORK/big.recipe"
if "$DRIFT" train "$WORK/big.recipe" -o "$WORK/big.safetensors" --quiet 2> "$WORK/err.txt" > /dev/null; then
    fail "restoration training on pictures smaller than twice the crop was accepted"
fi
grep -q "128 x 128" "$WORK/err.txt" || fail "message lacks the size needed: $(cat "$WORK/err.txt")"
ls -a "$WORK" | grep -q "^\.drift\|\.tmp" && fail "temporary files left: $(ls -a "$WORK")"
echo "test_image_tasks: passed"
