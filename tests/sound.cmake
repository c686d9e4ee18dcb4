# tests/sound.cmake: the sound pipeline (audio/sound, sounddata, fluid) and
# its commands (drift dataset, train with sounds, generate, tags).
drift_test(test_sound drift_audio)
set_tests_properties(test_sound PROPERTIES
                     ENVIRONMENT "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/fixtures/audio/lsan.supp")
