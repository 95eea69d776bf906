#!/usr/bin/env bash
# How evenly do the workers share the load? Runs rpdns with 2 workers in
# each listen mode — one shared socket, SO_REUSEPORT with the kernel's
# 4-tuple hash, SO_REUSEPORT with random steering — against 1, 4 and 256
# client sockets of rpdns-loadgen, and prints queries/s and the busiest/idlest
# worker ratio (from the per-worker counters at /metrics) as a markdown table.
# Unpinned: the two workers and the load generator share the 2 CPUs.
# Usage: scripts/balance.sh [SECONDS]   (default 5 per run; BALANCE_OUT=file.md also writes the table)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
out=${BALANCE_OUT:-}
# A Release tree of its own (as scripts/bench.sh), so build/ stays as the tests left it.
build=${BALANCE_BUILD:-build-bench}
if [ "${BALANCE_NO_BUILD:-0}" != 1 ]; then
  scripts/setup.sh
  BUILD_TYPE=Release BUILD_DIR=$build scripts/build.sh -DRPDNS_BUILD_TESTS=OFF >/dev/null
fi
rpdns=$build/rpdns
loadgen=$build/bench/rpdns-loadgen
[ -x "$loadgen" ] && [ -x "$rpdns" ] || { echo "balance: $rpdns or $loadgen was not built" >&2; exit 1; }

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

printf 'www.example.com A\nexample.com MX\nmail.example.com AAAA\nnope.example.com A\n' > "$work/queries"
port=15398
stats=15397

# MODE-SETTING SOCKETS -> "qps ratio"
run() {
  printf 'listen: ["127.0.0.1:%s"]\nworkers: 2\nlog-level: warn\n%s\nstats: {listen: "127.0.0.1:%s"}\nzones:\n  - origin: example.com\n    file: %s\n' \
    "$port" "$1" "$stats" "$PWD/zones/example.com.zone" > "$work/rpdns.yaml"
  "$rpdns" --config "$work/rpdns.yaml" 2> "$work/rpdns.log" &
  server=$!
  for _ in $(seq 50); do "$rpdns" --probe "127.0.0.1:$port" example.com >/dev/null && break; sleep 0.1; done
  local before
  before=$(per_worker)
  "$loadgen" -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$seconds" -c "$2" > "$work/loadgen.out" 2>&1 || true
  local qps ratio
  qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$work/loadgen.out")
  ratio=$(paste <(echo "$before" | xargs -n1) <(per_worker | xargs -n1) |
    awk '{d=$2-$1; if (NR==1 || d>max) max=d; if (NR==1 || d<min) min=d}
         END {if (min>0) printf "%.2f", max/min; else printf "all on one (%d vs %d)", max, min}')
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  echo "$qps|$ratio"
}

per_worker() {  # queries received by each worker, space-separated
  curl -s "http://127.0.0.1:$stats/metrics" | awk -F'[{} ]' '/^rpdns_queries_total/ {printf "%s ", $(NF)}'
}

table="| mode | client sockets | queries/s | busiest/idlest worker |
|---|---|---|---|"
for mode in "listen-mode: shared" "reuseport-steering: hash" "reuseport-steering: random"; do
  for sockets in 1 4 256; do
    result=$(run "$mode" "$sockets")
    table+="
| \`${mode}\` | $sockets | ${result%%|*} | ${result##*|} |"
  done
done
echo "$table"
[ -n "$out" ] && echo "$table" > "$out"
exit 0
