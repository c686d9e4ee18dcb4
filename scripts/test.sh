#!/bin/sh
# drift's whole test suite, as CI runs it (the README's second command).
#  1. release build with gcc, warnings as errors, and every ctest test;
#  2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer;
#  3. a clang build with warnings as errors (compile only);
#  4. a build with data-parallel training over MPI (-DDRIFT_MPI=ON) and its
#     tests (`ctest -R mpi`: mpirun with 2 ranks on this machine).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
JOBS=$(nproc)

echo "== gcc release build, -Werror"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DDRIFT_WERROR=ON -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build build/release -j "$JOBS"
(cd build/release && ctest --output-on-failure -j "$JOBS")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDRIFT_SANITIZE=ON -DDRIFT_WERROR=ON \
      -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build build/asan -j "$JOBS"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 DRIFT_TEST_LIGHT=1 ctest --output-on-failure -j "$JOBS")

echo "== clang build, -Werror"
cmake -S . -B build/clang -DCMAKE_BUILD_TYPE=Release -DDRIFT_WERROR=ON -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build build/clang -j "$JOBS"
echo "== MPI build (-DDRIFT_MPI=ON), MPI tests"
cmake -S . -B build/mpi -DCMAKE_BUILD_TYPE=Release -DDRIFT_WERROR=ON -DDRIFT_MPI=ON -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build build/mpi -j "$JOBS" --target drift test_mpi_weights
(cd build/mpi && ctest --output-on-failure -R mpi)
echo "== all suites passed"
