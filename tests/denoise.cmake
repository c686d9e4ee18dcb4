# tests/denoise.cmake: audio denoising (audio/denoise, noise, pairs) and
# `drift denoise` end to end.
drift_test(test_denoise drift_audio)
if(TARGET drift)
  add_test(NAME test_denoise_cli COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_denoise_cli.sh $<TARGET_FILE:drift>)
  set_tests_properties(test_denoise_cli PROPERTIES TIMEOUT 300)
endif()
