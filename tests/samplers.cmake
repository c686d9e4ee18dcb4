# Noise schedules and samplers: schedule tables against PyTorch, single
# updates against double-precision formulas, and every sampler driven by
# the exact denoiser of a Gaussian mixture (tests/mixture.c).
add_library(drift_mixture STATIC mixture.c)
target_link_libraries(drift_mixture PUBLIC drift_core m)
drift_test(test_schedule drift_core)
drift_test(test_samplers drift_core drift_mixture)
