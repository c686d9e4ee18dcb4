# tests/vision.cmake: tests of vision/ (image files, IDX data, plots, metrics).
add_library(drift_vision_testutil STATIC ${CMAKE_CURRENT_SOURCE_DIR}/test_vision_util.c)
target_link_libraries(drift_vision_testutil PUBLIC drift_testutil)

drift_test(test_vision_image drift_vision drift_vision_testutil)
drift_test(test_vision_idx drift_vision drift_vision_testutil)
drift_test(test_vision_plot drift_vision drift_vision_testutil)
drift_test(test_vision_metrics drift_vision)
