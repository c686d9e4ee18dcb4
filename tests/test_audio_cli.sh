#!/bin/sh
# test_audio_cli.sh: `drift spectrogram` end to end.
#   sh test_audio_cli.sh DRIFT_BINARY
# A good file gives a PNG; a broken file or bad option gives a one-line
# message naming the problem, a non-zero exit and no output file.
set -u
DRIFT=$1
FIX=$(dirname "$0")/fixtures/audio
export LSAN_OPTIONS="suppressions=$FIX/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "test_audio_cli: FAILED: $*"; exit 1; }

"$DRIFT" spectrogram --help | grep -q "example:" || fail "spectrogram --help has no example"
"$DRIFT" spectrogram "$FIX/good.flac" "$WORK/good.png" --n-fft 256 --n-mels 40 > "$WORK/out.txt" \
    || fail "spectrogram of good.flac"
grep -q "good.png" "$WORK/out.txt" || fail "output path not printed"
head -c 8 "$WORK/good.png" | od -An -c | grep -q "P   N   G" || fail "good.png is not a PNG"
"$DRIFT" spectrogram "$FIX/good.wav" -o "$WORK/o.png" --mel-scale htk --window hamming --fmax 3000 \
    > /dev/null || fail "spectrogram with -o and options"
[ -s "$WORK/o.png" ] || fail "-o output missing"

if "$DRIFT" spectrogram "$FIX/truncated.wav" "$WORK/bad.png" 2> "$WORK/err.txt"; then
    fail "truncated input accepted"
fi
grep -q "truncated.wav" "$WORK/err.txt" || fail "message does not name the file: $(cat "$WORK/err.txt")"
[ ! -e "$WORK/bad.png" ] || fail "a picture was written for a broken input"
if "$DRIFT" spectrogram "$FIX/good.wav" "$WORK/x.png" --fmax 9000 2> "$WORK/err.txt"; then
    fail "--fmax above the Nyquist frequency accepted"
fi
grep -q "9000" "$WORK/err.txt" || fail "unclear --fmax message: $(cat "$WORK/err.txt")"
[ "$(ls "$WORK" | grep -c png)" -eq 2 ] || fail "stray files: $(ls "$WORK")"
echo "test_audio_cli: passed"
