#!/bin/sh
# test.sh: installs what is needed, then builds and runs the whole suite in
# every configuration CI checks:
#   1. gcc, warnings as errors, every test (incl. install + outside consumer)
#   2. clang, warnings as errors, every test
#   3. clang with AddressSanitizer + UndefinedBehaviorSanitizer, every test
#   4. clang with ThreadSanitizer, the concurrency tests
# Build trees go to build/ci-*; each stage stops the script on failure.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh

jobs=$(nproc)
stage() { printf '\n=== %s\n' "$1"; }
build() {
  dir=$1
  shift
  cmake -S . -B "$dir" -DNLOG_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

stage "source checks"
sh scripts/checksrc.sh

stage "gcc -Werror: full suite"
build build/ci-gcc -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir build/ci-gcc -j"$jobs" --output-on-failure

stage "clang -Werror: full suite"
build build/ci-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir build/ci-clang -j"$jobs" --output-on-failure

stage "ASan+UBSan: full suite"
build build/ci-asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DNLOG_SANITIZE=address,undefined
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/ci-asan -j"$jobs" --output-on-failure

stage "TSan: concurrency tests"
build build/ci-tsan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNLOG_SANITIZE=thread
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$(pwd)/tests/tsan.supp:die_after_fork=0" \
  ctest --test-dir build/ci-tsan -j"$jobs" -L concurrency --output-on-failure
