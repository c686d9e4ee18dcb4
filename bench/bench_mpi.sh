#!/bin/sh
# Data-parallel training over MPI on this machine: samples/s of `drift
# train` on 1 rank and on 2 ranks (one core each: --bind-to core, 1 thread
# per rank), and the gradient exchange's share of a step, both with the
# default exchange (non-blocking MPI_Iallreduce polled against a deadline)
# and with a plain blocking MPI_Allreduce (--mpi-timeout 0). The network is
# presets/fashion.recipe's (class-conditional U-Net, 32x32, attention at
# 8x8), global batch BATCH. Medians of RUNS runs of STEPS steps each; the
# numbers come from drift's own summary line (time inside drift_train).
# usage: bench/bench_mpi.sh [BUILD_DIR] [RUNS] [STEPS] [BATCH]
# (BUILD_DIR configured with -DDRIFT_MPI=ON; default build/mpi)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build/mpi}
RUNS=${2:-3}
STEPS=${3:-5}
BATCH=${4:-32}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cmake --build "$BUILD" --target drift >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
grep -v -E '^(steps|batch|checkpoint_every|half_precision) ' presets/fashion.recipe > "$WORK/bench.recipe"
printf 'limit = 2048\nsteps = %s\nbatch = %s\ncheckpoint_every = 0\n' "$STEPS" "$BATCH" >> "$WORK/bench.recipe"

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# run RANKS [options]: one training run; prints "samples/s exchange_ms share% wait_ms"
run() {
    ranks=$1
    shift
    rm -f "$WORK"/m.*
    mpirun -np "$ranks" --bind-to core "$BUILD/drift" train "$WORK/bench.recipe" -o "$WORK/m.safetensors" "$@" \
        2> "$WORK/err" > /dev/null || { cat "$WORK/err" >&2; exit 1; }
    sed -n 's/.* steps in .* s, \([0-9.]*\) samples\/s; gradient exchange \([0-9.]*\) ms per step (\([0-9.]*\)% of a step), up to \([0-9.]*\) ms.*/\1 \2 \3 \4/p' "$WORK/err"
}

echo "machine: $(lscpu | sed -n 's/^Model name:[ \t]*//p'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$BUILD/drift" info | sed -n 's/^matrix kernels: //p' | cut -c1-60); $(mpirun --version | head -1)"
printf "| ranks | exchange | samples/s | speed-up | exchange ms/step | share of a step | with waiting ms/step |\n"
printf "|---|---|---|---|---|---|---|\n"
base=""
for spec in "1 default" "2 default" "2 blocking"; do
    set -- $spec
    opt=""
    [ "$2" = blocking ] && opt="--mpi-timeout 0"
    : > "$WORK/runs"
    i=0
    while [ $i -lt "$RUNS" ]; do
        # shellcheck disable=SC2086
        run "$1" $opt >> "$WORK/runs"
        i=$((i + 1))
    done
    sps=$(cut -d' ' -f1 "$WORK/runs" | median)
    ms=$(cut -d' ' -f2 "$WORK/runs" | median)
    share=$(cut -d' ' -f3 "$WORK/runs" | median)
    wait_ms=$(cut -d' ' -f4 "$WORK/runs" | median)
    [ -n "$base" ] || base=$sps
    name=$([ "$1" = 1 ] && echo "-" || echo "$2")
    echo "$1 $name $sps $base $ms $share $wait_ms" |
        awk '{printf "| %s | %s | %.2f | %.2fx | %.1f | %.1f%% | %.1f |\n", $1, $2, $3, $3 / $4, $5, $6, $7}'
done
echo "global batch $BATCH, $STEPS steps per run, medians of $RUNS runs"
