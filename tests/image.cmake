# tests/image.cmake: constrained samplers (core/inverse) and the image tasks
# (vision/imgtask, `drift image`).
drift_test(test_inverse drift_core)
