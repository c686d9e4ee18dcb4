# bench/sound.cmake: one generated sound (25-step sampler + phase recovery).
drift_bench(bench_generate drift_audio)
