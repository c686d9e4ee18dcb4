#!/bin/sh
# eval_denoise.sh: drift's denoising quality against its peers, in one run.
#   sh scripts/eval_denoise.sh [--model M.safetensors] [--steps N] [--strength S] [--mask-gain DB] [--draws N] [--griffin-lim N]
#                              [--label TEXT] [--build DIR] [--data DIR]
#                              [--out DIR] [--clips DIR] [--noises "fan whine"] [--amounts "0.1 ... 0.6"]
#                              [--seconds S]
# Mixes every held-out clean clip (DIR/eval of scripts/render_denoise_data.sh:
# voices, languages, sentences and instruments never used in training) with
# the two held-out noise types (fan, whine) at 0, 5 and 10 dB SNR, denoises
# each mixture with
#   drift   --method diffusion (default settings, the given model)
#   drift   --method spectral  (the classical Wiener baseline)
#   sox     noisered with a profile of the noise alone (its best case), the
#           amount tuned per SNR over 0.1 .. 0.6 on the same mixtures
# and prints, per SNR, the mean SI-SDR improvement (dB, higher is better)
# and log-spectral distance (dB, lower is better) of each, then drift's and
# the spectral mode's SI-SDR improvement per noise kind. Without --model
# only the spectral method and sox run. --clips, --noises and --seconds
# (keep the first S seconds of each clip) make other mixture sets, e.g. the
# training distribution: --clips data/denoise/train --noises "pink hum".
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build/release
DATA=$ROOT/data/denoise
OUT=$ROOT/out/eval_denoise
MODEL=""
LABEL=""
STEPS=""
CLIPS=""
NOISES="fan whine"
AMOUNTS="0.1 0.2 0.3 0.4 0.5 0.6"
SECONDS_KEPT=""
EXTRA=""
while [ $# -gt 0 ]; do
    case $1 in
    --model) MODEL=$2; shift 2 ;;
    --label) LABEL=$2; shift 2 ;;
    --steps) STEPS="--steps $2"; shift 2 ;;
    --strength) EXTRA="$EXTRA --strength $2"; shift 2 ;;
    --mask-gain) EXTRA="$EXTRA --mask-gain $2"; shift 2 ;;
    --draws) EXTRA="$EXTRA --draws $2"; shift 2 ;;
    --griffin-lim) EXTRA="$EXTRA --griffin-lim $2"; shift 2 ;;
    --clips) CLIPS=$2; shift 2 ;;
    --noises) NOISES=$2; shift 2 ;;
    --amounts) AMOUNTS=$2; shift 2 ;;
    --seconds) SECONDS_KEPT="trim 0 $2"; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "eval_denoise: unknown option $1" >&2; exit 2 ;;
    esac
done
DRIFT=$BUILD/drift
EVAL=$BUILD/bench/denoise_eval
[ -x "$DRIFT" ] && [ -x "$EVAL" ] || { echo "eval_denoise: build drift and denoise_eval in $BUILD first" >&2; exit 1; }
[ -d "$DATA/eval" ] || sh "$ROOT/scripts/render_denoise_data.sh" "$DATA"
[ -n "$CLIPS" ] || CLIPS=$DATA/eval
rm -rf "$OUT"
mkdir -p "$OUT/clean" "$OUT/noisy" "$OUT/noise" "$OUT/drift" "$OUT/spectral" "$OUT/sox"

# Mixtures: name = clip_kind_snr.
seed=1
for f in $(find "$CLIPS" -name '*.wav' | sort); do
    base=$(basename "$f" .wav)
    sox "$f" -r 16000 -c 1 -b 32 -e float "$OUT/clean/$base.wav" $SECONDS_KEPT
    for kind in $NOISES; do
        for snr in 0 5 10; do
            "$EVAL" mix "$OUT/clean/$base.wav" $kind $snr $seed "$OUT/noisy/${base}_${kind}_$snr.wav" \
                "$OUT/noise/${base}_${kind}_$snr.wav"
            seed=$((seed + 1))
        done
    done
done
echo "eval_denoise: $(ls "$OUT/noisy" | wc -l) mixtures of $(ls "$OUT/clean" | wc -l) clips" >&2

time_of() { # command... ; prints seconds
    t0=$(date +%s.%N)
    "$@" > /dev/null
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}'
}
if [ -n "$MODEL" ]; then
    echo "eval_denoise: drift diffusion took $(time_of "$DRIFT" denoise "$OUT/noisy" "$OUT/drift" --model "$MODEL" \
        $STEPS $EXTRA --quiet) s" >&2
fi
echo "eval_denoise: drift spectral took $(time_of "$DRIFT" denoise "$OUT/noisy" "$OUT/spectral" --method spectral \
    --quiet) s" >&2

# Scores: one line per (method, mixture): method snr si_in si_out lsd_in lsd_out.
SCORES=$OUT/scores.txt
LIST=$OUT/list.txt
: > "$LIST"
for noisy in "$OUT"/noisy/*.wav; do
    name=$(basename "$noisy" .wav)
    clip=${name%_*_*}
    snr=${name##*_}
    clean=$OUT/clean/$clip.wav
    sox "$OUT/noise/$name.wav" -n noiseprof "$OUT/sox/$name.prof" 2>/dev/null
    for a in $AMOUNTS; do
        sox "$noisy" "$OUT/sox/${name}_$a.wav" noisered "$OUT/sox/$name.prof" "$a" 2>/dev/null
        echo "sox_$a/$snr $clean $OUT/sox/${name}_$a.wav $noisy" >> "$LIST"
    done
    echo "spectral/$snr $clean $OUT/spectral/$name.wav $noisy" >> "$LIST"
    if [ -n "$MODEL" ]; then
        echo "drift/$snr $clean $OUT/drift/$name.wav $noisy" >> "$LIST"
    fi
done
"$EVAL" score-list < "$LIST" | tr '/' ' ' > "$SCORES"

# Means per (method, snr); sox keeps its best amount per SNR.
awk -v label="$LABEL" '
{ k = $1 " " $2; n[k]++; si[k] += $4 - $3; lsd[k] += $6; lin[$2] += $5; nin[$2]++; snr_in[$2] += $3 }
END {
    split("0 5 10", snrs, " ")
    print "| SNR | input SI-SDR | SI-SDRi drift" (label ? " (" label ")" : "") " | SI-SDRi spectral | SI-SDRi sox noisered (amount) | LSD input | LSD drift | LSD spectral | LSD sox |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= 3; i++) {
        s = snrs[i]; best = ""; bv = -1e9
        for (k in n) { split(k, p, " "); if (p[2] == s && p[1] ~ /^sox_/ && si[k] / n[k] > bv) { bv = si[k] / n[k]; best = k } }
        split(best, bp, " "); amount = substr(bp[1], 5)
        d = "drift " s; sp = "spectral " s
        dv = (d in n) ? sprintf("%.2f", si[d] / n[d]) : "-"; dl = (d in n) ? sprintf("%.2f", lsd[d] / n[d]) : "-"
        printf "| %s dB | %.2f | %s | %.2f | %.2f (%s) | %.2f | %s | %.2f | %.2f |\n", s, snr_in[s] / nin[s], dv,
               si[sp] / n[sp], bv, amount, lin[s] / nin[s], dl, lsd[sp] / n[sp], lsd[best] / n[best]
        if (d in n) { md += si[d] / n[d] }
        ms += si[sp] / n[sp]; mx += bv
    }
    printf "| mean | | %s | %.2f | %.2f | | | | |\n", (md ? sprintf("%.2f", md / 3) : "-"), ms / 3, mx / 3
}' "$SCORES" | tee "$OUT/table.md"

# Per noise kind (mixture names are clip_kind_snr): mean SI-SDRi over the
# three SNRs of drift and of the spectral mode.
paste -d ' ' "$LIST" "$SCORES" | awk '
{ n = $3; sub(".*/", "", n); sub("[.]wav$", "", n); c = split(n, p, "_"); kind = p[c - 1]
  split($1, m, "/"); if (m[1] != "drift" && m[1] != "spectral") next
  k = m[1] " " kind; s[k] += $8 - $7; cnt[k]++; kinds[kind] = 1 }
END {
    print ""
    print "| noise | SI-SDRi drift | SI-SDRi spectral |"
    print "|---|---|---|"
    for (kind in kinds) {
        d = "drift " kind; sp = "spectral " kind
        printf "| %s | %s | %.2f |\n", kind, (d in cnt) ? sprintf("%.2f", s[d] / cnt[d]) : "-", s[sp] / cnt[sp]
    }
}' | tee -a "$OUT/table.md"
