# tests/sound.cmake: the sound pipeline (audio/sound, sounddata, fluid) and
# its commands (drift dataset, train with sounds, generate, tags).
drift_test(test_sound drift_audio)
set_tests_properties(test_sound PROPERTIES
                     ENVIRONMENT "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/fixtures/audio/lsan.supp")

# The commands end to end through the drift binary.
if(TARGET drift)
  add_executable(test_sound_cli ${CMAKE_CURRENT_LIST_DIR}/test_sound_cli.c)
  target_link_libraries(test_sound_cli PRIVATE drift_testutil drift_audio)
  add_test(NAME test_sound_cli COMMAND test_sound_cli $<TARGET_FILE:drift>)
  set_tests_properties(test_sound_cli PROPERTIES TIMEOUT 300 ENVIRONMENT
                       "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/fixtures/audio/lsan.supp")
endif()
