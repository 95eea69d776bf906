#!/usr/bin/env bash
# Compares rpdns binaries (say, two commits' Release builds) at a fixed query
# rate: server CPU-seconds per million answered queries and dnsperf's average
# latency, in interleaved rounds, one worker pinned to CPU 0 and dnsperf to
# CPU 1, on the bundled example.com zone. For whole-server comparisons with
# Knot and NSD use scripts/bench.sh; this is for A/B tests of our own builds.
#
#   scripts/compare-builds.sh [ROUNDS] [SECONDS] [QPS] NAME=BINARY...
#   scripts/compare-builds.sh 5 8 20000 old=/tmp/old/rpdns new=build-bench/rpdns
#
# Prints one line per run; take medians per name. Loopback only; every server
# it starts is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5} seconds=${2:-8} qps=${3:-20000}
shift 3 || true
[ $# -gt 0 ] || { echo "usage: $0 [ROUNDS] [SECONDS] [QPS] NAME=BINARY..." >&2; exit 2; }
command -v dnsperf >/dev/null || { echo "$0: dnsperf is needed (apt-get install dnsperf)" >&2; exit 1; }
zone=$PWD/zones/example.com.zone
queries=$(mktemp)
pid=""
trap 'rm -f "$queries"; [ -n "$pid" ] && kill "$pid" 2>/dev/null || true' EXIT
for i in $(seq 1 3000); do printf 'www.example.com A\nmail.example.com AAAA\nnx%d.example.com A\n' "$i"; done >"$queries"
hz=$(getconf CLK_TCK)
port=$((20000 + RANDOM % 20000))
for round in $(seq 1 "$rounds"); do
  for spec in "$@"; do
    name=${spec%%=*} binary=${spec#*=}
    port=$((port + 1))
    taskset -c 0 "$binary" --zone "example.com=$zone" --listen "127.0.0.1:$port" --workers 1 --log-level warn &
    pid=$!
    sleep 0.4
    before=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -Q "$qps" -l "$seconds" -c 16 2>&1)
    after=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    completed=$(awk '/Queries completed/ { print $3 }' <<<"$out")
    latency=$(awk '/Average Latency/ { printf "%.0f", $4 * 1e6 }' <<<"$out")
    awk -v r="$round" -v n="$name" -v t=$((after - before)) -v hz="$hz" -v c="$completed" -v l="$latency" \
      'BEGIN { printf "round %s %s: %.2f CPU-s per 1M queries, %s us average latency, %s answered\n", r, n, t / hz / c * 1e6, l, c }'
  done
done
