# tests/image.cmake: constrained samplers (core/inverse) and the image tasks
# (vision/imgtask, `drift image`).
drift_test(test_inverse drift_core)
drift_test(test_image_tasks drift_vision)

# `drift image` end to end on a tiny model trained by the script.
if(TARGET drift)
  add_test(NAME test_image_cli COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_image_tasks.sh $<TARGET_FILE:drift>)
  set_tests_properties(test_image_cli PROPERTIES TIMEOUT 300)
endif()
