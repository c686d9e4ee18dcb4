#!/bin/sh
# render_denoise_data.sh: the clean sounds drift's denoiser trains and is
# evaluated on, rendered with Debian's espeak-ng, festival and fluidsynth.
#   sh scripts/render_denoise_data.sh DIR [--small]
# writes
#   DIR/train/speech/*.wav       espeak-ng voices (en, en-us, de, fr, es, nl;
#                                variants m1 m3 f1 f3) and festival's voice
#                                reading the training sentences
#   DIR/train/instruments/*.wav  General MIDI melodies (12 programs) through
#                                FluidSynth with FluidR3_GM
#   DIR/eval/speech/*.wav        held out: espeak-ng Italian and Portuguese
#                                voices with variants m5 / f4 (never used in
#                                training) and festival, all reading sentences
#                                that are not in the training set
#   DIR/eval/instruments/*.wav   held out: clarinet and vibraphone melodies
# --small renders a few clips only (for tests). Deterministic: the same
# packages give the same files.
set -eu
DIR=${1:?usage: render_denoise_data.sh DIR [--small]}
SMALL=${2:-}
SF2=/usr/share/sounds/sf2/FluidR3_GM.sf2
mkdir -p "$DIR/train/speech" "$DIR/train/instruments" "$DIR/eval/speech" "$DIR/eval/instruments"

TRAIN_TEXT="The quick brown fox jumps over the lazy dog near the river bank.
Please call Stella and ask her to bring these things with her from the store.
We walked along the shore while the sun went down behind the hills.
A large crowd gathered in the square to hear the band play old songs.
The recording starts in five seconds, so keep your voice down.
Heavy rain is expected tomorrow morning across most of the country.
She asked whether the train to the city leaves from platform nine.
Turn the volume up a little and listen to the bass line carefully.
Every morning he reads the paper and drinks a cup of strong coffee.
The meeting has been moved to Thursday at half past three.
Could you describe the sound of the wind in the tall pine trees?
Numbers like seven, twelve and forty two are easy to remember.
My grandmother grew tomatoes, beans and sunflowers in her garden.
The engineer checked every cable twice before the concert began.
Bright colours and loud music filled the hall until midnight."
EVAL_TEXT="Nobody expected the old lighthouse keeper to win the chess tournament.
Six thin sheets of paper slid quietly under the heavy wooden door.
Our neighbours painted their fence a cheerful shade of yellow last spring.
The violinist tuned her instrument while the audience found their seats.
Fresh bread from the bakery smells wonderful on a cold winter day.
Which of these two roads leads to the harbour and the fish market?"

n=0
say_espeak() { # voice text out
    espeak-ng -v "$1" -s 160 -w "$3" "$2"
}
say_festival() { # text out
    printf '%s\n' "$1" | text2wave -o "$2" >/dev/null 2>&1
}

# Training speech: each voice reads a rotating subset of the sentences.
voices="en en-us de fr es nl"
variants="m1 m3 f1 f3"
[ "$SMALL" = "--small" ] && voices="en de" && variants="m1 f1"
i=0
for v in $voices; do
    for var in $variants; do
        for k in 0 1 2; do
            line=$(( (i * 3 + k) % 15 + 1 ))
            text=$(printf '%s\n' "$TRAIN_TEXT" | sed -n "${line}p")
            say_espeak "$v+$var" "$text" "$DIR/train/speech/espeak_${v}_${var}_$k.wav"
        done
        i=$((i + 1))
    done
done
nf=15
[ "$SMALL" = "--small" ] && nf=2
for line in $(seq 1 $nf); do
    text=$(printf '%s\n' "$TRAIN_TEXT" | sed -n "${line}p")
    say_festival "$text" "$DIR/train/speech/festival_$line.wav"
done

# Held-out speech.
ne=6
[ "$SMALL" = "--small" ] && ne=1
for line in $(seq 1 $ne); do
    text=$(printf '%s\n' "$EVAL_TEXT" | sed -n "${line}p")
    say_espeak "it+f4" "$text" "$DIR/eval/speech/espeak_it_f4_$line.wav"
    say_espeak "pt+m5" "$text" "$DIR/eval/speech/espeak_pt_m5_$line.wav"
    say_festival "$text" "$DIR/eval/speech/festival_$line.wav"
done

# A format-0 MIDI file: one program, a melody of quarter notes at 120 bpm.
byte() { printf "\\$(printf %03o "$1")"; }
midi() { # out program notes...
    out=$1 prog=$2
    shift 2
    len=$((7 + 3 + 8 * $# + 4)) # tempo, program, notes, end of track
    {
        printf 'MThd'; byte 0; byte 0; byte 0; byte 6; byte 0; byte 0; byte 0; byte 1; byte 0; byte 96
        printf 'MTrk'; byte 0; byte 0; byte $((len / 256)); byte $((len % 256))
        byte 0; byte 255; byte 81; byte 3; byte 7; byte 161; byte 32 # tempo: 500000 us a quarter
        byte 0; byte 192; byte "$prog"
        for note in "$@"; do
            byte 0; byte 144; byte "$note"; byte 90
            byte 96; byte 128; byte "$note"; byte 64
        done
        byte 0; byte 255; byte 47; byte 0
    } > "$out"
}
render() { # program name dir
    midi "$DIR/tmp.mid" "$1" 60 62 64 65 67 69 71 72 67 64 60 55 57 59 60 64 67 72 76 79
    fluidsynth -ni -q -F "$3/$2.wav" -r 16000 -g 0.6 "$SF2" "$DIR/tmp.mid" >/dev/null 2>&1
    rm -f "$DIR/tmp.mid"
}
programs="0:piano 4:epiano 19:organ 24:guitar 32:bass 40:violin 42:cello 56:trumpet 65:sax 73:flute 12:marimba 48:strings"
[ "$SMALL" = "--small" ] && programs="0:piano 40:violin"
for p in $programs; do
    render "${p%%:*}" "${p#*:}" "$DIR/train/instruments"
done
render 71 clarinet "$DIR/eval/instruments"
[ "$SMALL" = "--small" ] || render 11 vibraphone "$DIR/eval/instruments"
echo "$DIR: $(find "$DIR/train" -name '*.wav' | wc -l) training clips, $(find "$DIR/eval" -name '*.wav' | wc -l) evaluation clips"
