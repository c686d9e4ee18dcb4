# tests/mpi.cmake: data-parallel training over MPI (cli/mpi.c). The MPI
# tests run only in a build with -DDRIFT_MPI=ON (scripts/test.sh, stage 4:
# `ctest -R mpi`); without MPI, one test checks that drift refuses to run
# as several copies under mpirun.
if(NOT TARGET drift)
  return()
endif()
if(DRIFT_MPI)
  add_executable(test_mpi_weights ${CMAKE_CURRENT_LIST_DIR}/test_mpi_weights.c)
  target_link_libraries(test_mpi_weights PRIVATE drift_testutil)
  foreach(mode same kill hang)
    add_test(NAME test_mpi_${mode}
             COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_mpi.sh ${mode} $<TARGET_FILE:drift>
                     $<TARGET_FILE:test_mpi_weights>)
    set_tests_properties(test_mpi_${mode} PROPERTIES TIMEOUT 180)
  endforeach()
else()
  add_test(NAME test_mpi_stub COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_mpi_stub.sh $<TARGET_FILE:drift>)
endif()
