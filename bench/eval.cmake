# bench/eval.cmake: the image evaluation's helper (scripts/eval_images.sh:
# the Fashion-MNIST classifier, generation accuracy and Frechet distance)
# and the image tasks' timings.
drift_bench(eval_images drift_vision)
drift_bench(bench_image drift_vision)
drift_bench(bench_fill drift_vision)
target_compile_definitions(bench_fill PRIVATE BENCH_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
