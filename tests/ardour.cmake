# tests/ardour.cmake: the drift instrument inside Ardour, headless (Debian's
# ardour7-lua on the dummy backend): a MIDI track with the instrument, a
# region played, the export checked (tests/ardour/run_ardour_test.sh). Fails
# when ardour7-lua is missing; scripts/install-deps.sh installs it.
#
# Not in sanitizer builds: a sanitized drift.so needs libasan preloaded into
# the host, and Ardour 7.3's luasession with libasan preloaded hangs at
# start-up (before any plugin loads) in glibc's bindtextdomain lock, called
# from ARDOUR::init; see docs/ARDOUR.md.
if(DRIFT_SANITIZE)
  message(STATUS "test_ardour: not registered in sanitizer builds (Ardour hangs with libasan preloaded)")
  return()
endif()
add_test(NAME test_ardour
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/ardour/run_ardour_test.sh ${CMAKE_BINARY_DIR}
                 $<TARGET_FILE:test_plugin>)
set_tests_properties(test_ardour PROPERTIES TIMEOUT 300)
