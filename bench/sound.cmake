# bench/sound.cmake: one generated sound (25-step sampler + phase recovery).
drift_bench(bench_generate drift_audio)
# Quality evaluation (scripts/eval_sound.sh runs it on the presets).
add_executable(eval_sound ${PROJECT_SOURCE_DIR}/scripts/eval_sound.c)
target_link_libraries(eval_sound PRIVATE drift_audio)
