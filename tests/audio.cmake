# tests/audio.cmake: the audio front end's tests (audio/).
drift_test(test_audio_stft drift_audio)
