#!/usr/bin/env bash
# Installs the dependencies, builds tether, and runs the whole test suite:
# once in a normal build and once under AddressSanitizer+UndefinedBehaviorSanitizer.
# Then the core tests (the threading core) under ThreadSanitizer; set
# TETHER_TEST_TSAN=0 to skip that part.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh --test
jobs=$(nproc)

configure() {
    local dir=$1; shift
    cmake -S . -B "$dir" -G Ninja -DTETHER_BUILD_TESTS=ON -DTETHER_BUILD_EXAMPLES=ON \
        -DTETHER_BUILD_BENCH=ON "$@"
}

run_suite() {
    local dir=$1; shift
    configure "$dir" "$@"
    cmake --build "$dir" --parallel "$jobs"
    (cd "$dir" && ctest --output-on-failure --parallel "$jobs" --timeout 900)
}

run_suite build
# Sanitized build: ASan's leak checker needs ptrace, which some containers
# forbid; leaks are covered by the suite's own checks after every test.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DTETHER_SANITIZE=address,undefined \
    -DTETHER_BUILD_BENCH=OFF
if [ "${TETHER_TEST_TSAN:-1}" = 1 ]; then
    configure build-tsan -DCMAKE_BUILD_TYPE=Debug -DTETHER_SANITIZE=thread \
        -DTETHER_BUILD_BENCH=OFF -DTETHER_BUILD_EXAMPLES=OFF
    cmake --build build-tsan --parallel "$jobs" --target core_tests
    (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure \
        --parallel "$jobs" --timeout 900 -L core)
fi
