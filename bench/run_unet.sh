#!/bin/sh
# The ref U-Net, drift vs PyTorch 1.13 (2 threads), same machine, same run:
# forward at batch 1 and 16, AdamW training step at batch 32, 2-D (1x32x32)
# and 1-D (80x128). Medians of RUNS runs (default 7); peak memory per process.
# usage: bench/run_unet.sh [BUILD_DIR] [RUNS]
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
RUNS=${2:-7}
cmake --build "$BUILD" --target bench_unet >/dev/null
echo "machine: $(lscpu | sed -n 's/^Model name:[ \t]*//p'), $(nproc) cores; $("$BUILD/drift" info | sed -n 's/^matrix kernels: //p' | cut -c1-60)"
printf "| config | work | drift ms | PyTorch ms | speed-up | drift GFLOP/s | drift MB | PyTorch MB |\n|---|---|---|---|---|---|---|---|\n"
for dims in 2 1; do
    for spec in "fwd 1" "fwd 16" "train 32"; do
        set -- $spec
        d=$("$BUILD/bench/bench_unet" "$dims" "$1" "$2" "$RUNS")
        p=$(/usr/bin/python3 bench/bench_unet.py "$dims" "$1" "$2" "$RUNS")
        name=$([ "$dims" = 2 ] && echo "2-D 1x32x32" || echo "1-D 80x128")
        echo "$d $p" | awk -v n="$name" -v w="$1 b=$2" '{printf "| %s | %s | %.1f | %.1f | %.2fx | %.0f | %.0f | %.0f |\n", n, w, $1, $4, $4/$1, $3, $2, $5}'
    done
done
