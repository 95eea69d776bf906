#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60) under
# ASan+UBSan, starting from the seed corpus in tests/fuzz/corpus/. New inputs
# go to a scratch copy; a crash fails the run and leaves its input in
# build-fuzz/crashes/ (turn it into a regression test).
# Usage: scripts/fuzz.sh [SECONDS]   (FUZZ_TARGETS="zone config" runs only those)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
scripts/setup.sh
if ! command -v clang++ >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "ok installed"; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRPDNS_FUZZ=ON \
  -DRPDNS_SANITIZE=address -DRPDNS_BUILD_TESTS=OFF -DRPDNS_WERROR=ON >/dev/null
targets=${FUZZ_TARGETS:-query respond zone config simple_record axfr ixfr}
# shellcheck disable=SC2086 # one word per target
cmake --build build-fuzz -j"$(nproc)" --target $(printf 'fuzz_%s ' $targets)

mkdir -p build-fuzz/crashes
status=0
for target in $targets; do
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$target/." "$work/"
  echo "== fuzz_$target for ${seconds}s"
  # Full unwinding where ldns allocates, so that leak stacks (and the one
  # suppression for an ldns bug) see past ldns's frames.
  unwind=1
  [ "$target" = zone ] && unwind=0
  if ! ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=$unwind LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp \
      build-fuzz/tests/fuzz/fuzz_"$target" "$work" \
      -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix=build-fuzz/crashes/"$target"- -print_final_stats=1 2> "build-fuzz/fuzz_$target.log"; then
    status=1
    tail -40 "build-fuzz/fuzz_$target.log"
  fi
  grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "build-fuzz/fuzz_$target.log" | tail -2
  rm -rf "$work"
done
exit $status
