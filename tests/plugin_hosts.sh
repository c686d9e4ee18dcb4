#!/bin/sh
# plugin_hosts.sh BUILD_DIR TEST_PLUGIN: drift.lv2 checked with other
# people's tools.
#  1. lv2_validate over every Turtle file of the bundle: 0 errors;
#  2. the shared object exports lv2_descriptor and nothing else;
#  3. jalv, headless on a private dummy JACK server, loads the instrument,
#     lists drift's presets, applies a preset (a test bundle; jalv's
#     `preset` command takes no dots in the URI, hence urn:) and shows its
#     settings, the preset's model loads (status 2) and its worker has
#     generated a sound ahead (ready >= 1);
#  4. lv2apply runs the texture effect on a WAV: a valid WAV of the same
#     length and rate comes out, and it is not silent.
set -u
build=$1
maker=$2
bundle=$build/plugin/drift.lv2
. "$(dirname "$0")/lv2_test_preset.sh"
uri=https://drift.invalid/plugins/drift
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

tmp=$(mktemp -d /tmp/drift_hosts_XXXXXX)
server=drift_test_$$
jack_pid=
cleanup() {
    [ -n "$jack_pid" ] && kill "$jack_pid" 2>/dev/null && wait "$jack_pid" 2>/dev/null
    rm -rf "$tmp" /dev/shm/jack_"$server"* /dev/shm/jack_sem.*"$server"* 2>/dev/null
}
trap cleanup EXIT

# Sanitizer builds: outside hosts need the sanitizer runtimes loaded first.
if nm -D "$bundle/drift.so" | grep -q "U __asan_init"; then
    preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=detect_leaks=0
else
    preload=
fi
host() { LD_PRELOAD="$preload" "$@"; }

# 1. Turtle
out=$(lv2_validate "$bundle/manifest.ttl" "$bundle/instrument.ttl" "$bundle/texture.ttl" \
      "$bundle/drift-drums.ttl" "$bundle/drift-notes.ttl" 2>&1)
rc=$?
echo "$out" | tail -1
if [ $rc -eq 0 ] && echo "$out" | grep -q "Found 0 errors"; then ok "lv2_validate: 0 errors"
else bad "lv2_validate (exit $rc)"; echo "$out" | grep -i error | head -20; fi

# 2. exports
syms=$(nm -D --defined-only "$bundle/drift.so" | awk '{print $3}' | sort -u | tr '\n' ' ')
if [ "$syms" = "lv2_descriptor " ]; then ok "exports only lv2_descriptor"
else bad "exported symbols: $syms"; fi

# 3. jalv with a preset
pb=$tmp/lv2/drift-test.lv2
make_test_preset "$pb" "$maker" "$uri" || bad "making the test model"
export LV2_PATH="${LV2_PATH:-$build/lv2}:$tmp/lv2"
jackd --no-realtime -n "$server" -d dummy -r 48000 -p 256 >"$tmp/jackd.log" 2>&1 &
jack_pid=$!
sleep 2
{
    sleep 1
    echo "presets"
    echo "preset urn:drift:presets:test"
    sleep 4
    echo "controls"
    echo "monitors"
    sleep 1
    echo "quit"
} | JACK_DEFAULT_SERVER=$server host timeout 60 jalv -p -n drift_test "$uri#instrument" >"$tmp/jalv.log" 2>&1
rc=$?
tail -n 25 "$tmp/jalv.log"
# Controls print as "seed = 77.000000", monitored outputs as "status = 0.000000".
if [ $rc -eq 0 ] && grep -q "urn:drift:preset:drums (drift drums)" "$tmp/jalv.log"; then ok "jalv: runs and lists drift's presets"
else bad "jalv: exit $rc or presets not listed"; cat "$tmp/jackd.log"; fi
if grep -q "seed = 77" "$tmp/jalv.log" && grep -q "steps = 4" "$tmp/jalv.log"; then ok "jalv: the preset's settings applied"
else bad "jalv: preset controls not applied"; fi
if grep -q "status = 2" "$tmp/jalv.log"; then ok "jalv: the preset's model loaded"
else bad "jalv: the preset's model is not ready"; fi
if grep -Eq "ready = [1-9]" "$tmp/jalv.log"; then ok "jalv: a sound generated ahead in jalv's worker"
else bad "jalv: no sound generated"; fi

# 4. lv2apply on a WAV
sox -n -r 48000 -c 1 -b 16 "$tmp/in.wav" synth 1.5 sine 440 gain -6 2>/dev/null
host lv2apply -i "$tmp/in.wav" -o "$tmp/out.wav" -c amount 0.6 -c smear 0.4 "$uri#texture" >"$tmp/apply.log" 2>&1
rc=$?
n_in=$(soxi -s "$tmp/in.wav" 2>/dev/null)
n_out=$(soxi -s "$tmp/out.wav" 2>/dev/null)
r_out=$(soxi -r "$tmp/out.wav" 2>/dev/null)
level=$(sox "$tmp/out.wav" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
echo "lv2apply: exit $rc, $n_in frames in, $n_out frames out at $r_out Hz, rms $level"
if [ $rc -eq 0 ] && [ -n "$n_out" ] && [ "$n_in" = "$n_out" ] && [ "$r_out" = 48000 ]; then
    ok "lv2apply: a WAV of the same length"
else bad "lv2apply"; cat "$tmp/apply.log"; fi
if awk -v l="${level:-0}" 'BEGIN { exit !(l > 0.01) }'; then ok "lv2apply: output not silent"
else bad "lv2apply: silent output"; fi

echo "plugin_hosts: $passed passed, $failed failed"
[ $failed -eq 0 ]
