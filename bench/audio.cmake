# bench/audio.cmake: the audio front end against torchaudio.
drift_bench(bench_audio drift_audio)
target_compile_definitions(bench_audio PRIVATE BENCH_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
