# Sampler quality against denoiser calls on a Gaussian mixture with its
# exact denoiser (the mixture code is shared with the tests).
drift_bench(bench_samplers drift_core)
target_sources(bench_samplers PRIVATE ${PROJECT_SOURCE_DIR}/tests/mixture.c)
target_include_directories(bench_samplers PRIVATE ${PROJECT_SOURCE_DIR}/tests)
