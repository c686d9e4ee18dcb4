#!/bin/sh
# Each operator's forward + backward at the ref U-Net's sizes (batch 32):
# drift vs PyTorch 1.13 (2 threads), same machine, same run, medians.
# usage: bench/run_ops.sh [BUILD_DIR] [RUNS]
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
RUNS=${2:-9}
cmake --build "$BUILD" --target bench_ops >/dev/null
"$BUILD/bench/bench_ops" "$RUNS" > /tmp/drift_ops.txt
/usr/bin/python3 bench/bench_ops.py "$RUNS" > /tmp/torch_ops.txt
echo "machine: $(lscpu | sed -n 's/^Model name:[ \t]*//p'), $(nproc) cores"
printf "| operator (batch 32) | drift ms | PyTorch ms | speed-up |\n|---|---|---|---|\n"
paste /tmp/drift_ops.txt /tmp/torch_ops.txt | awk -F'\t' '{printf "| %s | %.2f | %.2f | %.2fx |\n", $1, $2, $4, $4/$2}'
