#!/usr/bin/env bash
# Upgrades and restarts under load. dnsperf sends a steady stream at a fixed
# rate while the server is replaced UPGRADES times, and the queries that got
# no answer are counted; then the same for a plain stop-and-start. Prints a
# table (server, how it was replaced, queries sent, answered, lost, the
# average and worst latency) and exits 1 if an rpdns upgrade lost a query.
#
#   rpdns   upgrade   rpdnsctl upgrade (as SIGUSR2): the successor inherits the sockets
#   rpdns   restart   SIGTERM, then a new process binds the address again
#   knot    restart   the same for knotd       (UPGRADE_DEMO_OTHERS=1)
#   nsd     restart   the same for nsd         (UPGRADE_DEMO_OTHERS=1)
#   none    -         rpdns left alone: the baseline for latency
#
# With UPGRADE_DEMO_SATURATE=1 a second table: dnsperf as fast as it can go
# while rpdns is upgraded every second, beside the same load with none.
#
# Usage: scripts/upgrade-demo.sh [SECONDS] [QPS] [UPGRADES]   (defaults: 30 s, 20000 q/s, 10)
# CI runs it short (scripts/.ci: 10 s, 5 upgrades). The server is pinned to
# CPU 0 and dnsperf to CPU 1 when there are two CPUs or more.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
qps=${2:-20000}
upgrades=${3:-10}
# shellcheck source=bench/lib.sh
. scripts/bench/lib.sh
# shellcheck source=bench/servers.sh
. scripts/bench/servers.sh
has_part() { [ "$1" = bench ]; } # install_servers asks; only the basic packages

install_traps
# The server now answering is an upgrade's successor, not a process we
# started: stop it by its pid on the way out too.
trap 'rc=$?; stop_current; (exit $rc); cleanup' EXIT
TMP=$(mktemp -d)
if [ "${UPGRADE_DEMO_OTHERS:-0}" = 1 ]; then install_servers; fi
command -v dnsperf >/dev/null || install_servers
if [ "${UPGRADE_DEMO_NO_BUILD:-0}" != 1 ]; then
  scripts/setup.sh >/dev/null
  scripts/build.sh >/dev/null
fi
RPDNS=$PWD/build/rpdns
RPDNSCTL=$PWD/build/rpdnsctl
NSD_HAS_RRL=0
case $(nsd -v 2>&1 || true) in *--enable-ratelimit*) NSD_HAS_RRL=1 ;; esac

PIN_SERVER=() PIN_CLIENT=()
if [ "$(nproc)" -ge 2 ]; then PIN_SERVER=(taskset -c 0) PIN_CLIENT=(taskset -c 1); fi

zonedir=$TMP/zones
mkdir -p "$zonedir"
cat >"$zonedir/demo.test.zone" <<'ZONE'
$ORIGIN demo.test.
$TTL 300
@    SOA ns.demo.test. admin.demo.test. 1 3600 900 604800 60
     NS  ns
ns   A   192.0.2.53
www  A   192.0.2.80
ZONE
echo "demo.test $zonedir/demo.test.zone" >"$TMP/zones.list"
printf 'www.demo.test A\ndemo.test SOA\nnothere.demo.test A\n' >"$TMP/queries"

# The pid of the server now answering (an upgrade changes it).
CURRENT=""

start_rpdns() {
  new_run_dir rpdns
  cat >"$RUN_DIR/rpdns.yaml" <<EOF
listen: ["127.0.0.1:$1"]
workers: 2
log-level: warn
control:
  socket: $RUN_DIR/rpdns.sock
zones:
  - origin: demo.test
    file: $zonedir/demo.test.zone
EOF
  "${PIN_SERVER[@]}" "$RPDNS" --config "$RUN_DIR/rpdns.yaml" >>"$RUN_DIR/server.log" 2>&1 &
  CURRENT=$!
}

start_other() { # SERVER PORT
  new_run_dir "$1"
  write_config "$1" "$RUN_DIR" "$TMP/zones.list" "$2" no
  case $1 in
    knot) "${PIN_SERVER[@]}" knotd -c "$RUN_DIR/knot.conf" >>"$RUN_DIR/server.log" 2>&1 & ;;
    nsd) "${PIN_SERVER[@]}" nsd -d -c "$RUN_DIR/nsd.conf" >>"$RUN_DIR/server.log" 2>&1 & ;;
  esac
  CURRENT=$!
}

# Waits until the server on PORT answers (up to 20 s).
wait_answer() {
  for _ in $(seq 200); do
    "$RPDNS" --probe "127.0.0.1:$1" demo.test >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  server_failed "no answer on port $1"
}

# Stops the current server by its pid, whoever its parent is.
stop_current() {
  [ -n "$CURRENT" ] || return 0
  kill -TERM "$CURRENT" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$CURRENT" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$CURRENT" 2>/dev/null || true
  wait "$CURRENT" 2>/dev/null || true
  CURRENT=""
}

# replace SERVER HOW PORT: one upgrade or restart of the current server.
replace() {
  case $2 in
    upgrade)
      local said
      said=$("$RPDNSCTL" --control "$RUN_DIR/rpdns.sock" --timeout 60 upgrade) ||
        server_failed "upgrade failed: $said"
      CURRENT=$(awk '{ print $2; exit }' <<<"$said") # "pid N serves; ..."
      ;;
    restart)
      stop_current
      case $1 in rpdns) start_rpdns "$3" ;; *) start_other "$1" "$3" ;; esac
      ;;
  esac
}

# run SERVER HOW [saturate]: a row of the table.
run() {
  local server=$1 how=$2 port out rate=(-Q "$qps") every done=0
  port=$(pick_port)
  case $server in rpdns | none) start_rpdns "$port" ;; *) start_other "$server" "$port" ;; esac
  wait_answer "$port"
  out=$TMP/dnsperf-$server-$how.out
  [ "${3:-}" = saturate ] && rate=()
  "${PIN_CLIENT[@]}" dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/queries" -l "$seconds" "${rate[@]}" -c 16 -t 2 \
    >"$out" 2>&1 &
  CLIENT_PID=$!
  if [ "$how" != - ]; then
    every=$(awk -v s="$seconds" -v n="$upgrades" 'BEGIN { printf "%.3f", s / (n + 1) }')
    for ((i = 0; i < upgrades; i++)); do
      sleep "$every"
      replace "$server" "$how" "$port"
      done=$((done + 1))
    done
  fi
  wait "$CLIENT_PID" || true
  CLIENT_PID=""
  stop_current
  report "$server" "$how" "$done" "$out"
}

report() { # SERVER HOW TIMES DNSPERF_OUTPUT
  awk -v server="$1" -v how="$2" -v times="$3" '
    /Queries sent:/ { sent = $3 }
    /Queries completed:/ { done = $3 }
    /Queries lost:/ { lost = $3 }
    /Queries per second:/ { qps = $4 }
    /Average Latency/ { avg = $4 * 1e6; max = $8 * 1e6; sub(/\)/, "", max) }
    END { printf "| %s | %s | %d | %d | %d | %d | %.0f | %.0f µs | %.0f µs |\n", server, how, times, sent, done, lost, qps, avg, max }
  ' "$4" | tee -a "$TMP/table"
}

header() {
  printf '| server | replaced by | times | sent | answered | lost | answered q/s | avg latency | max latency |\n|---|---|---|---|---|---|---|---|---|\n' |
    tee "$TMP/table"
}

log "$seconds s at $qps q/s, $upgrades replacements each"
header
run none -
run rpdns upgrade
run rpdns restart
if [ "${UPGRADE_DEMO_OTHERS:-0}" = 1 ]; then
  run knot restart
  run nsd restart
fi
lost=$(awk -F'|' '$2 ~ /rpdns/ && $3 ~ /upgrade/ { print $7 + 0 }' "$TMP/table")

if [ "${UPGRADE_DEMO_SATURATE:-0}" = 1 ]; then
  upgrades=$seconds
  log "saturating: dnsperf as fast as it goes, an upgrade every second"
  header
  run none - saturate
  run rpdns upgrade saturate
fi
[ "$lost" = 0 ] || die "an upgrade lost $lost queries"
