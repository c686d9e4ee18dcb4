# tests/audio.cmake: the audio front end's tests (audio/).
drift_test(test_audio_stft drift_audio)
drift_test(test_audio_mel drift_audio)
drift_test(test_audio_phase drift_audio)
drift_test(test_audio_files drift_audio)
set_tests_properties(test_audio_files PROPERTIES
                     ENVIRONMENT "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/fixtures/audio/lsan.supp")
drift_test(test_audio_ring drift_audio)

# Playback through a private JACK server with the dummy backend (started and
# stopped by the script; the test fails if jackd cannot run).
add_executable(test_audio_playback ${CMAKE_CURRENT_LIST_DIR}/test_audio_playback.c)
target_link_libraries(test_audio_playback PRIVATE drift_testutil drift_audio)
add_test(NAME test_audio_playback
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_audio_playback.sh $<TARGET_FILE:test_audio_playback>
                 $<$<TARGET_EXISTS:drift>:$<TARGET_FILE:drift>>)
set_tests_properties(test_audio_playback PROPERTIES TIMEOUT 120)

# `drift spectrogram` end to end (needs the CLI, which needs vision/).
if(TARGET drift)
  add_test(NAME test_audio_cli COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_audio_cli.sh $<TARGET_FILE:drift>)
endif()
