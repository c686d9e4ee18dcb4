drift_bench(bench_gemm drift_core)
