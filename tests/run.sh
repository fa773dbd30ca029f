#!/bin/sh
# The whole test suite: installs what is missing, builds twice (optimised, and with
# AddressSanitizer+UndefinedBehaviorSanitizer) and runs every test in both builds.
# Exits non-zero when any test fails.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh .ci/install-deps
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMMEMU_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"
