#!/usr/bin/env bash
# Builds and runs the test suite under sanitizers, each in its own build dir:
#   build-asan: every test under AddressSanitizer + UndefinedBehaviorSanitizer
#   build-tsan: every test under ThreadSanitizer (the threaded ones are what counts)
# Usage: scripts/check-sanitizers.sh [address|thread]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

build() {  # build DIR SANITIZER
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=Debug -DRPDNS_WERROR=ON -DRPDNS_SANITIZE="$2" >/dev/null
  cmake --build "$1" -j"$(nproc)"
}

run_address() {
  build build-asan address
  # A leak or any UB report fails the test that caused it.
  # Full unwinding so that leak stacks see past ldns's frames: one known ldns
  # leak is suppressed by name (tests/fuzz/lsan.supp), nothing broader.
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
    LSAN_OPTIONS=suppressions=$PWD/../tests/fuzz/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j"$(nproc)" --timeout 600)
}

run_thread() {
  build build-tsan thread
  # The whole suite. Every integration, differential and interop test
  # starts the real TSan-built server with several workers (UDP, TCP,
  # transfers, steering modes, rate limiting, reload, stats, the
  # mutated-packet storm), and the server's own reports fail the test
  # (tests/support/server_process.cpp); among the unit tests the loader
  # parses large zones on several threads.
  # Running all of them leaves no list of "threaded" tests to go stale, and
  # the single-threaded rest costs seconds (the whole run: about 35 s on two
  # cores, the storm's million queries included).
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --output-on-failure -j"$(nproc)" --timeout 600)
}

case "${1:-both}" in
  address) run_address ;;
  thread) run_thread ;;
  both) run_address; run_thread ;;
  *) echo "usage: $0 [address|thread]" >&2; exit 2 ;;
esac
