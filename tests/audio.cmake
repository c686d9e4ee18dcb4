# tests/audio.cmake: the audio front end's tests (audio/).
drift_test(test_audio_stft drift_audio)
drift_test(test_audio_mel drift_audio)
drift_test(test_audio_phase drift_audio)
drift_test(test_audio_files drift_audio)
