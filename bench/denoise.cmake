# bench/denoise.cmake: audio denoising speed (bench_denoise) and the helper
# of scripts/eval_denoise.sh (denoise_eval: mixtures and scores).
drift_bench(denoise_eval drift_audio)
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/bench_denoise.c)
  drift_bench(bench_denoise drift_audio)
endif()
