# tests/ardour.cmake: the drift instrument inside Ardour, headless (Debian's
# ardour7-lua on the dummy backend): a MIDI track with the instrument, a
# region played, the export checked (tests/ardour/run_ardour_test.sh). Fails
# when ardour7-lua is missing; scripts/install-deps.sh installs it.
add_test(NAME test_ardour
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/ardour/run_ardour_test.sh ${CMAKE_BINARY_DIR}
                 $<TARGET_FILE:test_plugin>)
set_tests_properties(test_ardour PROPERTIES TIMEOUT 300)
