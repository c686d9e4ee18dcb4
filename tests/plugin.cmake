# tests/plugin.cmake: drift.lv2 tested through hosts: our lilv host
# (test_plugin), and the Turtle validator, nm, jalv on a dummy JACK server
# and lv2apply (plugin_hosts.sh).
set(DRIFT_LV2_PATH ${CMAKE_BINARY_DIR}/lv2)
file(MAKE_DIRECTORY ${DRIFT_LV2_PATH})
file(CREATE_LINK ${CMAKE_BINARY_DIR}/plugin/drift.lv2 ${DRIFT_LV2_PATH}/drift.lv2 SYMBOLIC)

add_executable(test_plugin test_plugin.c lv2host.c)
target_link_libraries(test_plugin PRIVATE drift_testutil drift_audio drift_core PkgConfig::LILV PkgConfig::LV2)
add_dependencies(test_plugin drift_lv2)
add_test(NAME test_plugin COMMAND test_plugin)
set_tests_properties(test_plugin PROPERTIES TIMEOUT 600 ENVIRONMENT "LV2_PATH=${DRIFT_LV2_PATH}")

add_test(NAME test_plugin_hosts
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/plugin_hosts.sh ${CMAKE_BINARY_DIR} $<TARGET_FILE:test_plugin>)
set_tests_properties(test_plugin_hosts PROPERTIES TIMEOUT 600 ENVIRONMENT "LV2_PATH=${DRIFT_LV2_PATH}")
