#!/bin/sh
# test_audio_playback.sh: playback through PortAudio's JACK host API on a
# private JACK server with the dummy backend (no sound card needed).
#   sh test_audio_playback.sh TEST_BINARY [DRIFT_BINARY]
# 1. with no server (and no sound card): playing fails with a clear message;
# 2. jackd --no-realtime -d dummy is started under a private name;
# 3. the test binary plays tones and checks the frames reported; if the
#    drift CLI is given, `drift devices` and `drift play` are run too;
# 4. the server is stopped and its /dev/shm leftovers removed.
# Fails (never skips) if jackd cannot be started.
set -u
TEST_BIN=$1
DRIFT_BIN=${2:-}
NAME=drift_test_$$
export JACK_DEFAULT_SERVER=$NAME JACK_NO_START_SERVER=1
# LeakSanitizer: JACK's client library keeps a few process-lifetime
# allocations after PortAudio closes it; drift's own leaks still count.
export LSAN_OPTIONS="suppressions=$(dirname "$0")/fixtures/audio/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
JACK_PID=
WORK=$(mktemp -d)

cleanup() {
    if [ -n "$JACK_PID" ]; then
        kill "$JACK_PID" 2>/dev/null
        wait "$JACK_PID" 2>/dev/null
    fi
    rm -f /dev/shm/jack_"$NAME"_* /dev/shm/jack_sem.*_"$NAME"_*
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "test_audio_playback: FAILED: $*"; exit 1; }

if [ ! -e /proc/asound/cards ] || grep -q "no soundcards" /proc/asound/cards; then
    "$TEST_BIN" --none || fail "playing without any device did not fail cleanly"
    if [ -n "$DRIFT_BIN" ]; then
        "$DRIFT_BIN" play --help > /dev/null || fail "drift play --help"
        if "$DRIFT_BIN" devices > "$WORK/none.txt" 2>&1; then fail "drift devices succeeded without devices"; fi
        grep -q "no audio output device" "$WORK/none.txt" || fail "drift devices: unclear message: $(cat "$WORK/none.txt")"
    fi
else
    echo "sound card present: skipping only the no-device check"
fi

command -v jackd > /dev/null || fail "jackd not installed (Debian package jackd2)"
jackd --no-realtime -n "$NAME" -d dummy -r 48000 -p 256 > "$WORK/jackd.log" 2>&1 &
JACK_PID=$!
i=0
until [ -e /dev/shm/jack_"$NAME"_0_0 ] || [ -e /dev/shm/jack_"$NAME"_0 ] || ls /dev/shm/jack_"$NAME"* > /dev/null 2>&1; do
    i=$((i + 1))
    kill -0 "$JACK_PID" 2>/dev/null || fail "jackd exited: $(cat "$WORK/jackd.log")"
    [ "$i" -lt 100 ] || fail "jackd did not start within 10 s"
    sleep 0.1
done
sleep 0.5

"$TEST_BIN" jack || fail "playback through JACK"
if [ -n "$DRIFT_BIN" ]; then
    "$DRIFT_BIN" devices > "$WORK/devices.txt" || fail "drift devices"
    grep -q "JACK" "$WORK/devices.txt" || fail "drift devices does not list JACK: $(cat "$WORK/devices.txt")"
    sox -n -r 22050 -c 1 "$WORK/tone.wav" synth 0.5 sine 440 gain -12 2>/dev/null || fail "sox could not make a tone"
    "$DRIFT_BIN" play --device jack --quiet "$WORK/tone.wav" > "$WORK/play.txt" || fail "drift play"
    grep -q "played 24000 frames" "$WORK/play.txt" || fail "drift play reported: $(cat "$WORK/play.txt")"
fi
echo "test_audio_playback: passed"
