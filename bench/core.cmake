drift_bench(bench_gemm drift_core)
drift_bench(bench_unet drift_core)
drift_bench(bench_ops drift_core)
