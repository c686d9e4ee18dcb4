#!/bin/sh
# sgemm GFLOP/s: drift vs PyTorch's matmul, same machine, same run.
# usage: bench/run_gemm.sh [BUILD_DIR]   (default build/release)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
cmake --build "$BUILD" --target bench_gemm >/dev/null
"$BUILD/bench/bench_gemm" > /tmp/drift_gemm.txt
/usr/bin/python3 bench/bench_gemm.py > /tmp/torch_gemm.txt
grep '^#' /tmp/drift_gemm.txt
echo "machine: $(lscpu | sed -n 's/^Model name:[ \t]*//p'), $(nproc) cores"
printf "| size | threads | drift GFLOP/s | PyTorch GFLOP/s | ratio |\n|---|---|---|---|---|\n"
grep -v '^#' /tmp/drift_gemm.txt | tail -n +2 | while read -r n t g; do
    p=$(awk -v n="$n" -v t="$t" '$1==n && $2==t {print $3}' /tmp/torch_gemm.txt)
    awk -v n="$n" -v t="$t" -v g="$g" -v p="$p" 'BEGIN{printf "| %d | %d | %.0f | %.0f | %.2fx |\n", n, t, g, p, g/p}'
done
