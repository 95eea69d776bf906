#!/usr/bin/env bash
# Side-by-side benchmark: rpdns, Knot DNS and NSD on this machine, one after another.
#
#   scripts/bench.sh                 # full run (3 interleaved rounds, ~14 minutes)
#   BENCH_QUICK=1 scripts/bench.sh   # 1 round, short runs (~3 minutes)
#   BENCH_QUICK=1 BENCH_SECONDS=2 BENCH_PARTS=dnssec BENCH_NO_BUILD=1 scripts/bench.sh
#                                    # a smoke test of the DNSSEC part alone (~20 s)
#
# Installs dnsperf, knot and nsd from Debian's packages if missing, runs scripts/setup.sh
# and a Release build (scripts/build.sh into build-bench/, without the tests), generates
# a benchmark zone and a dnsperf query file in a temp dir, and measures each server —
# rpdns, Knot DNS, NSD and "floor" (bench/floor.cpp, a no-work responder) — with one
# worker pinned to CPU 0 while the client runs pinned to CPU 1, in interleaved rounds:
#   (a) dnsperf -c 16 -q 150, saturated: q/s (dnsperf is the ceiling) and server CPU;
#   (b) dnsperf -Q 20000: server CPU-seconds per million queries at a fixed rate;
#   (c) rpdns-loadgen (bench/loadgen.cpp: sendmmsg/recvmmsg over 64 sockets), which makes
#       the server the bottleneck: q/s and server CPU-seconds per million queries;
#   (d) RSS after the load; (e) lost queries and the kernel's UDP RcvbufErrors.
# Server CPU is utime+stime of the server's whole process tree from /proc/PID/stat.
# Each run also measures interference: CPU time other processes (or the hypervisor)
# took from the server's or the client's core. A run above 5% is repeated once, and
# medians leave out such runs when cleaner ones exist (marked † in the tables).
# A second part loads a generated 1,000,000-record zone in each server and reports
# the time from exec to the first authoritative answer, and RSS. A third part runs
# scripts/balance.sh: throughput and busiest/idlest worker share for listen-mode
# shared, reuseport with hash steering and reuseport with random steering, 2 workers.
# A fourth part (run right after part one) measures DNSSEC answers. The benchmark zone
# (2,131 records) is signed in the temp dir, in well under a second, by ldns-signzone
# with two fresh ECDSAP256SHA256 keys (algorithm 13; a KSK and a ZSK): once with NSEC,
# once with NSEC3 (SHA-1, 0 extra iterations, no salt, no opt-out: RFC 9276). rpdns
# (--zone, as in part one), Knot (dnssec-signing: off, so it serves the file as it is)
# and NSD, pinned as in part one, are measured with dnsperf -D (EDNS, DO=1) at -Q 20000:
#   (f) "DO=1 mix": part one's queries against the NSEC-signed zone;
#   (g) "NSEC3 NXDOMAIN mix": BENCH_NSEC3_NAMES distinct random names one label below
#       the apex, each an NXDOMAIN with its NSEC3 proof, against the NSEC3-signed zone:
# server CPU-seconds per million queries, latency, response size, and the DO=1 mix's
# CPU per query over the same server's in (b). Before measuring, kdig +dnssec checks
# that a positive answer carries its RRSIG and an NXDOMAIN its SOA and NSEC or NSEC3
# records with their RRSIGs. A server that does not load a signed zone (rpdns before
# it serves DNSSEC rejects it: "CNAME and other data"), or answers without the
# signatures or the proof, is not measured: its cells say "not loaded", "not signed",
# "no NSEC proof" or "no NSEC3 proof", and the report quotes its log or kdig's finding.
# Tables (median, min-max over rounds, and the ratios rpdns/Knot, rpdns/NSD,
# rpdns/floor) go to stdout and to $BENCH_OUT (default bench/results.md).
#
# Knobs (environment): BENCH_QUICK=1, BENCH_OUT=FILE, BENCH_ROUNDS=N, BENCH_SECONDS=S
# (length of each load run), BENCH_PARTS="bench dnssec big balance" (the parts to run,
# in that order whatever the list's: part one, the DNSSEC part, the big zone, the
# balance comparison), BENCH_DNSSEC=0 (leave the DNSSEC part out), BENCH_NSEC3_NAMES=N
# (distinct names of the NSEC3 NXDOMAIN mix; default 100000), BENCH_BIG_RECORDS=N (size
# of the big zone), BENCH_BALANCE_SECONDS=S (each balance run; default 5),
# BENCH_LOADGEN_ARGS="-c 64 -q 128 -b 32 -t 1" (rpdns-loadgen's options),
# BENCH_KEEP=1 (keep the temp dir with configs, logs and client outputs),
# BENCH_NO_BUILD=1 (use the binaries already in build-bench/, skip setup and build),
# BENCH_RETRIES=N (repeat a run disturbed by other processes up to N times; default 1).
#
# Traffic goes to 127.0.0.1 only. Every process the script starts is stopped on exit,
# also on Ctrl-C or failure.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${BENCH_QUICK:-0}
OUT=${BENCH_OUT:-bench/results.md}
if [ "$QUICK" = 1 ]; then
  ROUNDS=${BENCH_ROUNDS:-1}
  SECONDS_PER_RUN=${BENCH_SECONDS:-4}
  WARMUP=1
else
  ROUNDS=${BENCH_ROUNDS:-3}
  SECONDS_PER_RUN=${BENCH_SECONDS:-10}
  WARMUP=2
fi
BIG_RECORDS=${BENCH_BIG_RECORDS:-1000000}
NSEC3_NAMES=${BENCH_NSEC3_NAMES:-100000}
FIXED_QPS=20000
# The parts to run (see the top): " bench dnssec big balance ", or fewer.
PARTS=" ${BENCH_PARTS:-bench dnssec big balance} "
PARTS=" ${PARTS//,/ } "
if [ "${BENCH_DNSSEC:-1}" = 0 ]; then PARTS=${PARTS// dnssec / }; fi
for part in $PARTS; do
  case $part in bench | dnssec | big | balance) ;; *) echo "bench: unknown part '$part' in BENCH_PARTS (bench, dnssec, big, balance)" >&2; exit 2 ;; esac
done
has_part() { [[ $PARTS == *" $1 "* ]]; }
SERVERS=(rpdns knot nsd floor) # floor: bench/floor.cpp, a no-work responder
BIG_SERVERS=(rpdns knot nsd)

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# ---------------------------------------------------------------------------------
# Clean-up: every process we start is recorded here and stopped on exit.

TMP=""
POLICY_CREATED=""
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
declare -a SERVER_PIDS=()
CLIENT_PID=""

# Prints PID and all its descendants.
tree_pids() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END {
      queue = root
      while (queue != "") {
        n = split(queue, q, " "); queue = ""
        for (i = 1; i <= n; i++) { print q[i]; if (q[i] in kids) queue = queue kids[q[i]] }
      }
    }'
}

# Stops one process we started: SIGTERM, up to 10 s, then SIGKILL for it and its children.
stop_pid() {
  local pid=$1 tree i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  tree=$(tree_pids "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid did not stop on SIGTERM; killing it"
    # shellcheck disable=SC2086
    kill -KILL $tree 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  # Children that outlived their parent (they were ours too).
  for i in $tree; do
    [ "$i" = "$pid" ] && continue
    if kill -0 "$i" 2>/dev/null; then kill -KILL "$i" 2>/dev/null || true; fi
  done
  return 0
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$CLIENT_PID" ]; then
    kill -TERM "$CLIENT_PID" 2>/dev/null || true
    wait "$CLIENT_PID" 2>/dev/null || true
  fi
  local pid
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
  if [ -n "$POLICY_CREATED" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
      log "kept $TMP"
    else
      rm -rf "$TMP"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------------------------
# 1. Dependencies: dnsperf, knot, nsd (Debian's packages), then the project's own.

install_servers() {
  local packages=(dnsperf knot nsd) missing=() p
  # ldns-keygen and ldns-signzone sign the zones of the DNSSEC part; kdig checks the answers.
  if has_part dnssec; then packages+=(ldnsutils knot-dnsutils); fi
  for p in "${packages[@]}"; do
    # (No "| grep -q" here or below: with pipefail, grep's early exit can fail the pipe.)
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  # Debian's knot and nsd packages start their daemons on port 53 when installed. A
  # policy-rc.d answering 101 ("not allowed") stops that; we add one only for the
  # install, and only if there is none.
  local before
  before=$(pgrep -x 'knotd|nsd' || true)
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    POLICY_CREATED=1
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  if [ -n "$POLICY_CREATED" ]; then
    $SUDO rm -f /usr/sbin/policy-rc.d
    POLICY_CREATED=""
  fi
  # Should a daemon have been started by the install anyway, stop it (by its pid).
  for p in $(pgrep -x 'knotd|nsd' || true); do
    if ! grep -qx "$p" <<<"$before"; then
      log "stopping daemon $p started by the package install"
      $SUDO kill -TERM "$p" 2>/dev/null || true
    fi
  done
}

install_servers
# A Release build of its own, without the tests, in build-bench/: build/ keeps the
# developers' RelWithDebInfo tree (switching it would rebuild everything each time).
BUILD=build-bench
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  # Without BUILD_DIR, build.sh would configure build/ with the tests off.
  grep -q 'BUILD_DIR' scripts/build.sh || die "scripts/build.sh does not know BUILD_DIR (needed for $BUILD/)"
  scripts/setup.sh
  log "building (Release) in $BUILD/"
  BUILD_TYPE=Release BUILD_DIR=$BUILD scripts/build.sh -DRPDNS_BUILD_TESTS=OFF
fi
for binary in rpdns bench/rpdns-loadgen bench/rpdns-floor; do
  [ -x "$BUILD/$binary" ] || die "$BUILD/$binary is missing"
done

TMP=$(mktemp -d /tmp/rpdns-bench.XXXXXX)
# Measure a snapshot of the binaries, so that a rebuild during the run changes nothing.
mkdir -p "$TMP/bin"
cp "$BUILD/rpdns" "$BUILD/bench/rpdns-loadgen" "$BUILD/bench/rpdns-floor" "$TMP/bin/"
RPDNS="$TMP/bin/rpdns"
LOADGEN="$TMP/bin/rpdns-loadgen"
FLOOR="$TMP/bin/rpdns-floor"

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$COMMIT" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  COMMIT="$COMMIT (with uncommitted changes)"
fi
NPROC=$(nproc)
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
KERNEL=$(uname -r)
KNOT_VERSION=$(knotd -V 2>&1 | awk 'NR == 1 { v = $NF } END { print v }')
NSD_VERSION=$(nsd -v 2>&1 | awk '/^NSD version/ && v == "" { v = $3 } END { print v }')
DNSPERF_VERSION=$(dpkg-query -W -f='${Version}' dnsperf 2>/dev/null || echo '?')
CLK_TCK=$(getconf CLK_TCK)

if [ "$NPROC" -ge 2 ]; then
  PIN_SERVER=(taskset -c 0)
  PIN_CLIENT=(taskset -c 1)
else
  log "warning: only one CPU: server and client share it, nothing is pinned"
  PIN_SERVER=()
  PIN_CLIENT=()
fi

NSD_HAS_RRL=0
case $(nsd -v 2>&1 || true) in *--enable-ratelimit*) NSD_HAS_RRL=1 ;; esac

# ---------------------------------------------------------------------------------
# 2. Zones and queries.

# The benchmark zone: ~1,000 names with A, AAAA, MX, TXT, CNAME, a wildcard and
# delegations with glue. Addresses come from 198.18.0.0/15 (RFC 2544, for benchmarks).
make_bench_zone() {
  awk 'BEGIN {
    print "$ORIGIN bench.example."
    print "$TTL 3600"
    print "@ SOA ns1 hostmaster 2026010101 7200 3600 1209600 300"
    print "@ NS ns1"
    print "@ NS ns2"
    print "@ MX 10 mail"
    print "@ TXT \"v=spf1 mx -all\""
    print "@ A 198.18.0.1"
    print "@ AAAA 2001:db8::1"
    print "ns1 A 198.18.0.2"
    print "ns1 AAAA 2001:db8::2"
    print "ns2 A 198.18.0.3"
    print "ns2 AAAA 2001:db8::3"
    print "mail A 198.18.0.4"
    print "mail AAAA 2001:db8::4"
    for (i = 0; i < 700; i++) {
      printf "host%d A 198.18.%d.%d\n", i, 1 + int(i / 250), i % 250
      printf "host%d AAAA 2001:db8::1:%x\n", i, i
      if (i % 4 == 0) printf "host%d TXT \"host %d\"\n", i, i
    }
    for (i = 0; i < 100; i++) {
      printf "mx%d MX 10 host%d\n", i, i
      printf "mx%d MX 20 mail\n", i
      printf "mx%d TXT \"mail domain %d\"\n", i, i
      printf "txt%d TXT \"v=spf1 ip4:198.18.%d.0/24 -all\" \"text record %d\"\n", i, i, i
      printf "alias%d CNAME host%d\n", i, i * 7
    }
    print "*.wild A 198.19.0.1"
    print "*.wild AAAA 2001:db8:ffff::1"
    print "*.wild TXT \"wildcard\""
    for (i = 0; i < 10; i++) {
      printf "sub%d NS ns1.sub%d\n", i, i
      printf "sub%d NS ns2.sub%d\n", i, i
      printf "ns1.sub%d A 198.19.1.%d\n", i, i
      printf "ns2.sub%d A 198.19.2.%d\n", i, i
    }
  }'
}

# 10,000 queries in dnsperf's format, shuffled with a fixed seed: 70% A/AAAA hits
# (one in ten through a CNAME), 10% MX/TXT, 10% NXDOMAIN, 5% wildcard, 5% referral.
make_bench_queries() {
  awk 'BEGIN {
    srand(20260101)
    n = 10000
    for (i = 0; i < n; i++) {
      c = i % 100
      if (c < 63) { line = sprintf("host%d.bench.example %s", int(rand() * 700), (c % 2) ? "AAAA" : "A") }
      else if (c < 70) { line = sprintf("alias%d.bench.example A", int(rand() * 100)) }
      else if (c < 75) { line = sprintf("mx%d.bench.example MX", int(rand() * 100)) }
      else if (c < 80) { line = sprintf("txt%d.bench.example TXT", int(rand() * 100)) }
      else if (c < 90) { line = sprintf("nx%d.bench.example %s", int(rand() * 100000), (c % 2) ? "AAAA" : "A") }
      else if (c < 95) { line = sprintf("w%d.wild.bench.example A", int(rand() * 100000)) }
      else { line = sprintf("www.sub%d.bench.example A", int(rand() * 10)) }
      q[i] = line
    }
    for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = q[i]; q[i] = q[j]; q[j] = t }
    for (i = 0; i < n; i++) print q[i]
  }'
}

# A zone of exactly N records: per ten names, 10 A, 5 AAAA, 2 TXT and 1 MX.
make_big_zone() {
  awk -v total="$1" 'BEGIN {
    print "$ORIGIN big.example."
    print "$TTL 3600"
    print "@ SOA ns1 hostmaster 2026010101 7200 3600 1209600 300"
    print "@ NS ns1"
    print "@ NS ns2"
    print "ns1 A 198.18.0.2"
    print "ns2 A 198.18.0.3"
    n = 5
    for (i = 0; n < total; i++) {
      printf "h%d A 198.%d.%d.%d\n", i, 18 + int(i / 65536) % 2, int(i / 256) % 256, i % 256; n++
      if (i % 2 == 0 && n < total) { printf "h%d AAAA 2001:db8::%x:%x\n", i, int(i / 65536), i % 65536; n++ }
      if (i % 5 == 0 && n < total) { printf "h%d TXT \"record %d\"\n", i, i; n++ }
      if (i % 10 == 0 && n < total) { printf "h%d MX 10 h%d\n", i, i + 1; n++ }
    }
  }'
}

mkdir -p "$TMP/zones"
make_bench_zone >"$TMP/zones/bench.zone"
make_bench_queries >"$TMP/queries.txt"
BENCH_NAMES=$(awk '$1 !~ /^\$/ && !($1 in seen) { seen[$1] = 1; n++ } END { print n }' "$TMP/zones/bench.zone")
BENCH_RECORDS=$(grep -vc '^\$' "$TMP/zones/bench.zone")

# NSEC3_NAMES queries for distinct random names one label below the apex (12
# characters of [a-z0-9]: no name of the benchmark zone is that long), A and AAAA.
make_nsec3_queries() {
  awk -v n="$1" 'BEGIN {
    srand(20260102)
    chars = "abcdefghijklmnopqrstuvwxyz0123456789"
    for (i = 0; i < n;) {
      label = ""
      for (j = 0; j < 12; j++) label = label substr(chars, 1 + int(rand() * 36), 1)
      if (label in seen) continue
      seen[label] = 1
      printf "%s.bench.example %s\n", label, (i % 2) ? "AAAA" : "A"
      i++
    }
  }'
}

# Records in a master file (not blank lines, comments or $ directives).
zone_records() { awk 'NF && $1 !~ /^[;$]/ { n++ } END { print n + 0 }' "$1"; }

# The DNSSEC part's zones: bench.zone signed with NSEC and with NSEC3 (RFC 9276: SHA-1,
# no extra iteration, no salt, no opt-out), by two ECDSAP256SHA256 keys made here, a KSK
# for the DNSKEY RRset and a ZSK for the rest. ldns-signzone's signatures are valid from
# now for four weeks.
sign_bench_zones() {
  local keys=$TMP/keys ksk zsk t0 t1
  mkdir -p "$keys"
  ksk=$(cd "$keys" && ldns-keygen -a ECDSAP256SHA256 -k bench.example) || die "ldns-keygen failed (KSK)"
  zsk=$(cd "$keys" && ldns-keygen -a ECDSAP256SHA256 bench.example) || die "ldns-keygen failed (ZSK)"
  t0=${EPOCHREALTIME//[!0-9]/}
  ldns-signzone -o bench.example -f "$TMP/zones/bench.nsec.zone" "$TMP/zones/bench.zone" \
    "$keys/$ksk" "$keys/$zsk" || die "ldns-signzone failed (NSEC)"
  ldns-signzone -n -a 1 -t 0 -o bench.example -f "$TMP/zones/bench.nsec3.zone" "$TMP/zones/bench.zone" \
    "$keys/$ksk" "$keys/$zsk" || die "ldns-signzone failed (NSEC3)"
  t1=${EPOCHREALTIME//[!0-9]/}
  [ "$(awk '$4 == "NSEC3PARAM" { print $5, $6, $7, $8; exit }' "$TMP/zones/bench.nsec3.zone")" = "1 0 0 -" ] ||
    die "the NSEC3-signed zone has no NSEC3PARAM 1 0 0 - (SHA-1, no iteration, no salt)"
  NSEC_RECORDS=$(zone_records "$TMP/zones/bench.nsec.zone")
  NSEC3_RECORDS=$(zone_records "$TMP/zones/bench.nsec3.zone")
  log "signed the benchmark zone with NSEC ($NSEC_RECORDS records) and NSEC3 ($NSEC3_RECORDS records) in $(((t1 - t0) / 1000)) ms (keys $ksk, $zsk)"
}

LDNS_VERSION=""
if has_part dnssec; then
  LDNS_VERSION=$(dpkg-query -W -f='${Version}' ldnsutils 2>/dev/null || echo '?')
  sign_bench_zones
  make_nsec3_queries "$NSEC3_NAMES" >"$TMP/queries-nsec3.txt"
fi

# ---------------------------------------------------------------------------------
# 3. Starting and stopping servers.

# A free loopback port (neither UDP nor TCP in use), from /proc so that no tool is needed.
pick_port() {
  local port hex
  for ((attempt = 0; attempt < 200; attempt++)); do
    port=$((40000 + RANDOM % 20000))
    hex=$(printf ':%04X' "$port")
    if ! awk -v p="$hex" 'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
      /proc/net/udp /proc/net/tcp /proc/net/udp6 /proc/net/tcp6 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found"
}

# write_config SERVER DIR ORIGIN ZONEFILE PORT: configuration files for knot and nsd.
write_config() {
  local server=$1 dir=$2 origin=$3 zonefile=$4 port=$5
  case $server in
    knot)
      cat >"$dir/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$port
    rundir: $dir
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: $dir/db
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: $(dirname "$zonefile")
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    dnssec-signing: off
zone:
  - domain: $origin
    file: $(basename "$zonefile")
EOF
      ;;
    nsd)
      {
        cat <<EOF
server:
    ip-address: 127.0.0.1@$port
    server-count: 1
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$(dirname "$zonefile")"
    database: ""
    zonelistfile: "$dir/zone.list"
    pidfile: "$dir/nsd.pid"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    logfile: "$dir/nsd.log"
    verbosity: 0
    minimal-responses: yes
EOF
        if [ "$NSD_HAS_RRL" = 1 ]; then
          printf '    rrl-ratelimit: 0\n    rrl-whitelist-ratelimit: 0\n'
        fi
        cat <<EOF
remote-control:
    control-enable: no
zone:
    name: $origin
    zonefile: $(basename "$zonefile")
EOF
      } >"$dir/nsd.conf"
      nsd-checkconf "$dir/nsd.conf" || die "nsd-checkconf rejected $dir/nsd.conf"
      ;;
  esac
}

# start_server SERVER ORIGIN ZONEFILE PORT PIN(yes/no): starts it in the background and
# sets SERVER_PID; does not wait for it to answer.
SERVER_PID=""
RUN_DIR=""
start_server() {
  local server=$1 origin=$2 zonefile=$3 port=$4 pin=$5
  RUN_DIR=$(mktemp -d "$TMP/run-$server.XXXX")
  mkdir -p "$RUN_DIR/db"
  write_config "$server" "$RUN_DIR" "$origin" "$zonefile" "$port"
  local cmd=()
  case $server in
    rpdns) cmd=("$RPDNS" --listen "127.0.0.1:$port" --workers 1 --log-level warn --zone "$origin=$zonefile") ;;
    knot) cmd=(knotd -c "$RUN_DIR/knot.conf") ;;
    nsd) cmd=(nsd -d -c "$RUN_DIR/nsd.conf") ;;
    floor) cmd=("$FLOOR" 127.0.0.1 "$port") ;;
  esac
  if [ "$pin" = yes ]; then cmd=("${PIN_SERVER[@]}" "${cmd[@]}"); fi
  "${cmd[@]}" >"$RUN_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
}

stop_server() {
  stop_pid "$1"
  local kept=() pid
  for pid in "${SERVER_PIDS[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  SERVER_PIDS=("${kept[@]}")
}

server_failed() {
  log "$1: server log ($RUN_DIR/server.log):"
  tail -n 20 "$RUN_DIR/server.log" >&2 || true
  [ -f "$RUN_DIR/nsd.log" ] && tail -n 20 "$RUN_DIR/nsd.log" >&2
  die "$1"
}

# Runs a client in the background (so that the traps can stop it) and waits for it.
run_client() {
  local out=$1
  shift
  "$@" >"$out" 2>&1 &
  CLIENT_PID=$!
  local rc=0
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=""
  return "$rc"
}

# ---------------------------------------------------------------------------------
# 4. Measuring: /proc figures of a process tree.

# utime+stime (and those of reaped children) of PID's whole tree, in clock ticks.
cpu_ticks() {
  local total=0 p stat rest
  for p in $(tree_pids "$1"); do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    rest=${stat##*) }
    # shellcheck disable=SC2086
    set -- $rest
    total=$((total + ${12} + ${13} + ${14} + ${15}))
  done
  echo "$total"
}

# Sum of a /proc/PID/status (or smaps_rollup) field in kB over PID's tree.
tree_kb() {
  local file=$2 field=$3 total=0 p v
  for p in $(tree_pids "$1"); do
    v=$(awk -v f="$field:" '$1 == f { print $2; exit }' "/proc/$p/$file" 2>/dev/null) || continue
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# Nanoseconds PID's threads (whole tree) spent runnable but waiting for a CPU: time
# taken by other processes on the server's core (/proc/PID/task/TID/schedstat).
run_delay_ns() {
  local total=0 p t v
  for p in $(tree_pids "$1"); do
    for t in /proc/"$p"/task/*/schedstat; do
      v=$(awk '{ print $2 }' "$t" 2>/dev/null) || continue
      total=$((total + ${v:-0}))
    done
  done
  echo "$total"
}

rcvbuf_errors() {
  awk '$1 == "Udp:" { if (!col) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") col = i } else { print $col; exit } }' \
    /proc/net/snmp
}

# rpdns-loadgen's own CPU use, % of one core, from its summary.
client_cpu() { sed -n 's/.*Client CPU.*(\([0-9]*\)% of one core).*/\1/p' "$1"; }

# Parsed from dnsperf's (and rpdns-loadgen's) summary.
summary_field() { awk -v key="$2" 'index($0, key) { print $(split(key, k, " ") + 1); exit }' "$1"; }

WORST_NOISE=0
RETRIES_DONE=0
RESULTS="$TMP/results.tsv"
: >"$RESULTS"
# record ROUND SERVER FIGURE VALUE [INTERFERENCE%]
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-0}" >>"$RESULTS"; }

# One measured client run against SERVER_PID; sets M_QPS, M_COMPLETED, M_LOST, M_CPU
# (server CPU-seconds per million answered queries), M_BUSY (server CPU use, % of one
# core), M_RCVBUF, and M_NOISE: the share of the run (%) during which other processes
# or the hypervisor took CPU 0 from the server (its threads' run-queue wait, plus
# steal time) or CPU 1 from the client (CPU 1's busy time beyond the client's own CPU
# time, plus steal time), whichever is larger.
measure_run() {
  local out=$1
  shift
  local ticks0 ticks1 rcv0 rcv1 t0 t1 delay0 delay1 stat0 stat1 client
  rcv0=$(rcvbuf_errors)
  delay0=$(run_delay_ns "$SERVER_PID")
  ticks0=$(cpu_ticks "$SERVER_PID")
  stat0=$(awk '$1 == "cpu0" { s0 = $9 } $1 == "cpu1" { print s0, $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat)
  t0=${EPOCHREALTIME//[!0-9]/}
  times >"$TMP/times.before" # the shell's children's CPU time (no subshell: it must be ours)
  run_client "$out" "$@" || die "client failed: $* (see $out)"
  times >"$TMP/times.after"
  t1=${EPOCHREALTIME//[!0-9]/}
  stat1=$(awk '$1 == "cpu0" { s0 = $9 } $1 == "cpu1" { print s0, $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat)
  ticks1=$(cpu_ticks "$SERVER_PID")
  delay1=$(run_delay_ns "$SERVER_PID")
  rcv1=$(rcvbuf_errors)
  client=$(awk 'FNR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
                           if (FILENAME ~ /after/) a = t; else b = t }
                END { printf "%.3f", a - b }' "$TMP/times.before" "$TMP/times.after")
  M_NOISE=$(awk -v d=$((delay1 - delay0)) -v us=$((t1 - t0)) -v hz="$CLK_TCK" -v c="$client" -v a="$stat0" -v b="$stat1" 'BEGIN {
    split(a, x, " "); split(b, y, " "); wall = us / 1e6
    cpu0 = d / 1e9 + (y[1] - x[1]) / hz
    cpu1 = (y[2] - x[2]) / hz - c + (y[3] - x[3]) / hz
    if (cpu1 < 0) cpu1 = 0
    printf "%.1f", 100 * ((cpu0 > cpu1) ? cpu0 : cpu1) / wall }')
  M_BUSY=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" -v us=$((t1 - t0)) 'BEGIN { printf "%.0f", 100 * t / hz / (us / 1e6) }')
  M_QPS=$(summary_field "$out" "Queries per second:")
  M_COMPLETED=$(summary_field "$out" "Queries completed:")
  M_LOST=$(summary_field "$out" "Queries lost:")
  if [ -z "$M_COMPLETED" ] || [ "$M_COMPLETED" -eq 0 ]; then die "no query was answered (see $out)"; fi
  M_QPS=$(fmt d1 "$M_QPS")
  M_CPU=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" -v c="$M_COMPLETED" 'BEGIN { printf "%.3f", t / hz / c * 1e6 }')
  M_RCVBUF=$((rcv1 - rcv0))
}

# measure_run, repeated (up to BENCH_RETRIES times, and RETRY_BUDGET times in all) while
# interference exceeds NOISE_LIMIT %. Lost queries of the discarded runs still count.
NOISE_LIMIT=5
RETRIES_PER_RUN=${BENCH_RETRIES:-1}
RETRY_BUDGET=${BENCH_RETRY_BUDGET:-12}
EXTRA_LOST=0
EXTRA_RCVBUF=0
measured() {
  local attempt=0
  EXTRA_LOST=0
  EXTRA_RCVBUF=0
  while :; do
    measure_run "$@"
    if [ "$attempt" -lt "$RETRIES_PER_RUN" ] && [ "$RETRY_BUDGET" -gt 0 ] &&
      awk -v n="$M_NOISE" -v l="$NOISE_LIMIT" 'BEGIN { exit !(n > l) }'; then
      log "  interference ${M_NOISE}% > ${NOISE_LIMIT}% (other processes on the CPUs): measuring again"
      attempt=$((attempt + 1))
      RETRY_BUDGET=$((RETRY_BUDGET - 1))
      RETRIES_DONE=$((RETRIES_DONE + 1))
      EXTRA_LOST=$((EXTRA_LOST + M_LOST))
      EXTRA_RCVBUF=$((EXTRA_RCVBUF + M_RCVBUF))
      sleep 2
      continue
    fi
    break
  done
  M_LOST=$((M_LOST + EXTRA_LOST))
  M_RCVBUF=$((M_RCVBUF + EXTRA_RCVBUF))
  WORST_NOISE=$(awk -v a="$WORST_NOISE" -v b="$M_NOISE" 'BEGIN { print (b > a) ? b : a }')
}

# ---------------------------------------------------------------------------------
# 5. Part one: the benchmark zone, three figures per server and round.

DNSPERF_ARGS=(-c 16 -q 150 -t 2)
# At most 128 queries in flight: more would overflow Knot's default 208 KiB receive
# buffer (it drops above ~160 queued datagrams), and 128 keep every server busy.
read -r -a LOADGEN_ARGS <<<"${BENCH_LOADGEN_ARGS:--c 64 -q 128 -b 32 -t 1}"

bench_session() {
  local round=$1 server=$2 port
  port=$(pick_port)
  start_server "$server" bench.example "$TMP/zones/bench.zone" "$port" yes
  local dir=$RUN_DIR
  if ! "$LOADGEN" -s 127.0.0.1 -p "$port" --wait-for bench.example -l 30 >"$dir/wait.out" 2>&1; then
    server_failed "$server did not answer on 127.0.0.1:$port"
  fi
  # Warm-up (not measured), which also checks that the answers look right.
  run_client "$dir/warmup.out" "${PIN_CLIENT[@]}" "$LOADGEN" -s 127.0.0.1 -p "$port" -d "$TMP/queries.txt" \
    -l "$WARMUP" "${LOADGEN_ARGS[@]}"
  local codes
  codes=$(awk -F': *' '/Response codes:/ { print $2 }' "$dir/warmup.out")
  if [ "$round" = 1 ]; then log "  $server answers: $codes"; fi
  case $codes in
    *REFUSED* | *SERVFAIL* | *FORMERR* | *NOTIMP*) server_failed "$server gave unexpected answers: $codes" ;;
  esac
  local warm_sent warm_lost
  warm_sent=$(summary_field "$dir/warmup.out" "Queries sent:")
  warm_lost=$(summary_field "$dir/warmup.out" "Queries lost:")
  if [ "$((warm_lost * 100))" -gt "${warm_sent:-0}" ]; then
    log "  warning: $server lost $warm_lost of $warm_sent warm-up queries (rate limiting? a busy machine?)"
  fi
  record "$round" "$server" response_bytes "$(awk '/Average packet size/ { print $NF }' "$dir/warmup.out")"

  local total_lost=0 total_rcv=0
  measured "$dir/dnsperf-saturated.out" "${PIN_CLIENT[@]}" \
    dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/queries.txt" -l "$SECONDS_PER_RUN" "${DNSPERF_ARGS[@]}"
  record "$round" "$server" dnsperf_qps "$M_QPS" "$M_NOISE"
  record "$round" "$server" dnsperf_cpu "$M_CPU" "$M_NOISE"
  record "$round" "$server" noise_pct "$M_NOISE"
  total_lost=$((total_lost + M_LOST)) total_rcv=$((total_rcv + M_RCVBUF))
  log "  $server (a) dnsperf saturated: $M_QPS q/s, $M_CPU CPU-s/1M, lost $M_LOST; interference ${M_NOISE}%"

  measured "$dir/dnsperf-fixed.out" "${PIN_CLIENT[@]}" \
    dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/queries.txt" -l "$SECONDS_PER_RUN" -Q "$FIXED_QPS" "${DNSPERF_ARGS[@]}"
  record "$round" "$server" fixed_cpu "$M_CPU" "$M_NOISE"
  record "$round" "$server" fixed_latency_us "$(awk '/Average Latency/ { printf "%.0f", $4 * 1e6 }' "$dir/dnsperf-fixed.out")" "$M_NOISE"
  record "$round" "$server" noise_pct "$M_NOISE"
  total_lost=$((total_lost + M_LOST)) total_rcv=$((total_rcv + M_RCVBUF))
  log "  $server (b) dnsperf at $FIXED_QPS q/s: $M_QPS q/s, $M_CPU CPU-s/1M, lost $M_LOST; interference ${M_NOISE}%"

  measured "$dir/loadgen.out" "${PIN_CLIENT[@]}" \
    "$LOADGEN" -s 127.0.0.1 -p "$port" -d "$TMP/queries.txt" -l "$SECONDS_PER_RUN" "${LOADGEN_ARGS[@]}"
  record "$round" "$server" loadgen_qps "$M_QPS" "$M_NOISE"
  record "$round" "$server" loadgen_cpu "$M_CPU" "$M_NOISE"
  record "$round" "$server" noise_pct "$M_NOISE"
  record "$round" "$server" loadgen_busy "$M_BUSY" "$M_NOISE"
  record "$round" "$server" loadgen_client_cpu "$(client_cpu "$dir/loadgen.out")" "$M_NOISE"
  total_lost=$((total_lost + M_LOST)) total_rcv=$((total_rcv + M_RCVBUF))
  log "  $server (c) rpdns-loadgen: $M_QPS q/s, $M_CPU CPU-s/1M, lost $M_LOST; interference ${M_NOISE}%; server CPU $M_BUSY%, client CPU $(client_cpu "$dir/loadgen.out")%"

  local rss pss
  rss=$(tree_kb "$SERVER_PID" status VmRSS)
  pss=$(tree_kb "$SERVER_PID" smaps_rollup Pss)
  record "$round" "$server" rss_mb "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')"
  record "$round" "$server" pss_mb "$(awk -v k="$pss" 'BEGIN { printf "%.1f", k / 1024 }')"
  record "$round" "$server" lost "$total_lost"
  record "$round" "$server" rcvbuf "$total_rcv"
  log "  $server (d) RSS $((rss / 1024)) MB (PSS $((pss / 1024)) MB); (e) lost $total_lost, RcvbufErrors +$total_rcv"
  stop_server "$SERVER_PID"
}

# ---------------------------------------------------------------------------------
# 6. Part two: a 1,000,000-record zone, time from exec to the first answer, and RSS.
# Not pinned: the server may use both CPUs to load (the query workers are still one).

big_session() {
  local round=$1 server=$2 port t0 t1
  port=$(pick_port)
  t0=${EPOCHREALTIME//[!0-9]/} # microseconds, without forking
  start_server "$server" big.example "$TMP/zones/big.zone" "$port" no
  local dir=$RUN_DIR
  if ! "$LOADGEN" -s 127.0.0.1 -p "$port" --wait-for big.example --interval 10 -l 180 >"$dir/wait.out" 2>&1; then
    server_failed "$server did not answer for the big zone on 127.0.0.1:$port"
  fi
  t1=$(awk '/^first_answer_epoch_ns/ { print substr($2, 1, length($2) - 3) }' "$dir/wait.out")
  local seconds
  seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
  # A name from the end of the zone must answer too.
  local last
  last=$(tail -n 1 "$TMP/zones/big.zone" | awk '{ print $1 ".big.example/" $2 }')
  "$LOADGEN" -s 127.0.0.1 -p "$port" --wait-for "$last" -l 10 >/dev/null ||
    server_failed "$server does not answer $last"
  sleep 1
  local rss pss
  rss=$(tree_kb "$SERVER_PID" status VmRSS)
  pss=$(tree_kb "$SERVER_PID" smaps_rollup Pss)
  record "$round" "$server" big_load_s "$seconds"
  record "$round" "$server" big_rss_mb "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')"
  record "$round" "$server" big_pss_mb "$(awk -v k="$pss" 'BEGIN { printf "%.1f", k / 1024 }')"
  log "  $server: first answer after $seconds s, RSS $((rss / 1024)) MB (PSS $((pss / 1024)) MB)"
  stop_server "$SERVER_PID"
}

# ---------------------------------------------------------------------------------
# 6b. Part four: DNSSEC answers, DO=1, from the signed zones (pinned as in part one).

# Why a server's figures for a mix are missing: DNSSEC_STATUS[SERVER/MIX] is the cell's
# text ("not loaded", "not signed", ...), DNSSEC_REASON[SERVER/MIX] what the log or
# kdig said. The mix is the prefix of its figures' names (do1_cpu, nsec3_cpu, ...).
declare -A DNSSEC_STATUS=() DNSSEC_REASON=()
DNSSEC_MIXES=(do1 nsec3)

# Is PID running (and not a zombie waiting to be reaped)?
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# The server's log lines that report problems (at most 5; NSD's log file too).
log_problems() {
  cat "$RUN_DIR/server.log" "$RUN_DIR/nsd.log" 2>/dev/null |
    awk 'tolower($0) ~ /error|fail|warn|refus|reject|bad|invalid/ && n++ < 5' || true
}

# dnssec_mark ROUND SERVER MIX STATUS REASON: the server's figures for MIX are not measured.
dnssec_mark() {
  local key=$2/$3 reason=${5//$TMP\//}
  if [ -z "${DNSSEC_STATUS[$key]:-}" ]; then
    DNSSEC_STATUS[$key]=$4
    DNSSEC_REASON[$key]=$reason
  fi
  record "$1" "$2" "${3}_status" "$4"
  log "  WARNING: $2 is not measured on the $3 mix: $4 — $reason"
}

# kdig_counts FILE: "STATUS AA" and, per section, the count of each type (RRSIGs by
# the type they cover), one "SECTION:TYPE COUNT" a line, from kdig's output.
kdig_counts() {
  awk '/^;; ->>HEADER<<-/ { for (i = 1; i <= NF; i++) if ($i == "status:") { st = $(i + 1); sub(/;$/, "", st) } }
       /^;; Flags:/ { aa = ($0 ~ / aa[; ]/) ? "aa" : "no-aa" }
       /^;; [A-Z]+ SECTION:/ { sec = $2; next }
       NF == 0 { sec = ""; next }
       /^;/ { next }
       sec != "" && $3 == "IN" { k = sec ":" $4; if ($4 == "RRSIG") k = k ":" $5; n[k]++ }
       END { print "status", st " " aa; for (k in n) print k, n[k] }' "$1"
}

# dnssec_check PORT MIX: empty when a positive answer carries its RRSIG and an NXDOMAIN
# its signed SOA and NSEC (mix do1) or NSEC3 (mix nsec3) proof; else "STATUS|REASON".
dnssec_check() {
  local port=$1 mix=$2 pos=$RUN_DIR/kdig-positive.txt nx=$RUN_DIR/kdig-nxdomain.txt
  kdig @127.0.0.1 -p "$port" +dnssec +norec +time=2 +retry=1 host1.bench.example A >"$pos" 2>&1 || true
  kdig @127.0.0.1 -p "$port" +dnssec +norec +time=2 +retry=1 no-such-name.bench.example A >"$nx" 2>&1 || true
  kdig_counts "$pos" >"$pos.counts"
  kdig_counts "$nx" >"$nx.counts"
  awk -v mix="$mix" '
    FILENAME ~ /positive/ { if ($1 == "status") p["status"] = $2 " " $3; else p[$1] = $2; next }
    { if ($1 == "status") x["status"] = $2 " " $3; else x[$1] = $2 }
    END {
      if (p["status"] != "NOERROR aa" || p["ANSWER:A"] + 0 < 1) {
        s = (p["status"] ~ /^ *$/) ? "no answer" : p["status"]
        printf "wrong answer|host1.bench.example A: %s, %d A\n", s, p["ANSWER:A"]; exit }
      if (p["ANSWER:RRSIG:A"] + 0 < 1) { print "not signed|host1.bench.example A with DO=1: no RRSIG in the answer"; exit }
      if (x["status"] != "NXDOMAIN aa") { printf "wrong NXDOMAIN|no-such-name.bench.example A: %s\n", x["status"]; exit }
      if (x["AUTHORITY:RRSIG:SOA"] + 0 < 1) { print "not signed|NXDOMAIN with DO=1: no RRSIG SOA in the authority section"; exit }
      t = (mix == "nsec3") ? "NSEC3" : "NSEC"; need = (mix == "nsec3") ? 2 : 1
      if (x["AUTHORITY:" t] + 0 < need) {
        printf "no %s proof|NXDOMAIN with DO=1: %d %s in the authority section (at least %d expected)\n", t, x["AUTHORITY:" t], t, need; exit }
      if (x["AUTHORITY:RRSIG:" t] + 0 < x["AUTHORITY:" t]) {
        printf "not signed|NXDOMAIN with DO=1: %d %s but %d RRSIG %s\n", x["AUTHORITY:" t], t, x["AUTHORITY:RRSIG:" t], t; exit }
    }' "$pos.counts" "$nx.counts"
}

# dnssec_session ROUND SERVER MIX: one server on one signed zone, dnsperf -D at FIXED_QPS.
dnssec_session() {
  local round=$1 server=$2 mix=$3 zone queries label port i
  case $mix in
    do1) zone=$TMP/zones/bench.nsec.zone queries=$TMP/queries.txt label="DO=1 mix, NSEC zone" ;;
    nsec3) zone=$TMP/zones/bench.nsec3.zone queries=$TMP/queries-nsec3.txt label="NSEC3 NXDOMAIN mix" ;;
  esac
  port=$(pick_port)
  start_server "$server" bench.example "$zone" "$port" yes
  local dir=$RUN_DIR loaded=0
  # Up to 15 s for the first authoritative answer; a server that exits (rpdns does when
  # a zone of its command line fails to load) is given up at once.
  for ((i = 0; i < 15; i++)); do
    alive "$SERVER_PID" || break
    if "$LOADGEN" -s 127.0.0.1 -p "$port" --wait-for bench.example -l 1 >"$dir/wait.out" 2>&1; then
      loaded=1
      break
    fi
  done
  local problems
  problems=$(log_problems)
  if [ "$loaded" = 0 ]; then
    local why="no authoritative answer in 15 s"
    alive "$SERVER_PID" || why="it exited"
    dnssec_mark "$round" "$server" "$mix" "not loaded" \
      "$why; log: $(head -n 1 <<<"${problems:-(nothing)}")"
    if [ -n "$problems" ]; then echo "    ${problems//$'\n'/$'\n'    }" >&2; fi
    stop_server "$SERVER_PID"
    return 0
  fi
  if [ -n "$problems" ]; then
    log "  warning: $server's log on the signed zone ($dir):"
    echo "    ${problems//$'\n'/$'\n'    }" >&2
  fi
  local check
  check=$(dnssec_check "$port" "$mix")
  if [ -n "$check" ]; then
    dnssec_mark "$round" "$server" "$mix" "${check%%|*}" "${check#*|} (kdig output in $dir)"
    stop_server "$SERVER_PID"
    return 0
  fi
  if [ "$round" = 1 ]; then
    log "  $server serves the signed zone: RRSIGs and $([ "$mix" = nsec3 ] && echo NSEC3 || echo NSEC) proofs present (kdig +dnssec)"
  fi

  # Warm-up (not measured) at the fixed rate, which also checks the response codes.
  run_client "$dir/dnssec-warmup.out" "${PIN_CLIENT[@]}" \
    dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -D -l "$WARMUP" -Q "$FIXED_QPS" "${DNSPERF_ARGS[@]}" ||
    die "dnsperf failed (see $dir/dnssec-warmup.out)"
  local codes
  codes=$(awk -F': *' '/Response codes:/ { print $2 }' "$dir/dnssec-warmup.out")
  if [ "$round" = 1 ]; then log "  $server answers ($label): $codes"; fi
  case $codes in
    *REFUSED* | *SERVFAIL* | *FORMERR* | *NOTIMP* | "")
      dnssec_mark "$round" "$server" "$mix" "errors" "unexpected response codes: ${codes:-none}"
      stop_server "$SERVER_PID"
      return 0
      ;;
  esac
  if [ "$mix" = nsec3 ] && [[ $codes == *NOERROR* ]]; then
    log "  warning: $server answered NOERROR to names of the NSEC3 NXDOMAIN mix: $codes"
  fi
  record "$round" "$server" "${mix}_bytes" "$(awk '/Average packet size/ { print $NF }' "$dir/dnssec-warmup.out")"

  measured "$dir/dnsperf-$mix.out" "${PIN_CLIENT[@]}" \
    dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -D -l "$SECONDS_PER_RUN" -Q "$FIXED_QPS" "${DNSPERF_ARGS[@]}"
  record "$round" "$server" "${mix}_cpu" "$M_CPU" "$M_NOISE"
  record "$round" "$server" "${mix}_latency_us" "$(awk '/Average Latency/ { printf "%.0f", $4 * 1e6 }' "$dir/dnsperf-$mix.out")" "$M_NOISE"
  record "$round" "$server" "${mix}_noise_pct" "$M_NOISE"
  record "$round" "$server" "${mix}_lost" "$M_LOST"
  local rss
  rss=$(tree_kb "$SERVER_PID" status VmRSS)
  record "$round" "$server" "${mix}_rss_mb" "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')"
  log "  $server ($([ "$mix" = do1 ] && echo f || echo g)) $label, dnsperf -D at $FIXED_QPS q/s: $M_QPS q/s, $M_CPU CPU-s/1M, lost $M_LOST; interference ${M_NOISE}%; RSS $((rss / 1024)) MB"
  stop_server "$SERVER_PID"
}

# ---------------------------------------------------------------------------------
# 7. Tables.

# stats SERVER FIGURE -> "median min max used total" over the rounds (empty if none).
# Runs whose interference exceeded NOISE_LIMIT are left out when any other run is left.
stats() {
  local total
  total=$(awk -F'\t' -v s="$1" -v f="$2" '$2 == s && $3 == f { n++ } END { print n + 0 }' "$RESULTS")
  awk -F'\t' -v s="$1" -v f="$2" -v lim="$NOISE_LIMIT" '
    $2 == s && $3 == f { n++; v[n] = $4; z[n] = $5 + 0; if (z[n] <= lim) clean++ }
    END { for (i = 1; i <= n; i++) if (!clean || z[i] <= lim) print v[i] }' "$RESULTS" | sort -g | awk -v total="$total" '
    { v[NR] = $1 }
    END {
      if (NR == 0) exit
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      print m, v[1], v[NR], NR, total
    }'
}

total() { awk -F'\t' -v s="$1" -v f="$2" '$2 == s && $3 == f { t += $4 } END { print t + 0 }' "$RESULTS"; }

# fmt KIND VALUE: kqps (in thousands), 2 decimals, 1 decimal, int
fmt() {
  case $1 in
    kqps) awk -v v="$2" 'BEGIN { printf "%.1f k", v / 1000 }' ;;
    d2) awk -v v="$2" 'BEGIN { printf "%.2f", v }' ;;
    d1) awk -v v="$2" 'BEGIN { printf "%.1f", v }' ;;
    int) awk -v v="$2" 'BEGIN { printf "%d", v }' ;;
  esac
}

# cell SERVER FIGURE KIND -> "median (min–max)", or the one value for one round.
# A figure of a DNSSEC mix the server was not measured on shows why (DNSSEC_STATUS).
cell() {
  local st
  st=${DNSSEC_STATUS[$1/${2%%_*}]:-}
  [ -n "$st" ] && { echo "$st"; return; }
  st=$(stats "$1" "$2")
  [ -z "$st" ] && { echo "—"; return; }
  local med lo hi n total mark=""
  read -r med lo hi n total <<<"$st"
  [ "$n" -lt "$total" ] && mark=" †"
  if [ "$n" -gt 1 ]; then
    local lo_s hi_s
    lo_s=$(fmt "$3" "$lo")
    hi_s=$(fmt "$3" "$hi")
    echo "$(fmt "$3" "$med") (${lo_s% k}–$hi_s)$mark"
  else
    echo "$(fmt "$3" "$med")$mark"
  fi
}

ratio() {
  local a b
  if [ -n "${DNSSEC_STATUS[rpdns/${1%%_*}]:-}${DNSSEC_STATUS[$2/${1%%_*}]:-}" ]; then echo "—"; return; fi
  a=$(stats rpdns "$1" | awk '{ print $1 }')
  b=$(stats "$2" "$1" | awk '{ print $1 }')
  if [ -z "$a" ] || [ -z "$b" ]; then echo "—"; return; fi
  awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) print "—"; else printf "%.2f×\n", a / b }'
}

# row FIGURE KIND LABEL [floor]: one table row; with "floor", a floor column too.
row() {
  local line
  line="| $3 | $(cell rpdns "$1" "$2") | $(cell knot "$1" "$2") | $(cell nsd "$1" "$2") |"
  [ "${4:-}" = floor ] && line="$line $(cell floor "$1" "$2") |"
  line="$line $(ratio "$1" knot) | $(ratio "$1" nsd) |"
  [ "${4:-}" = floor ] && line="$line $(ratio "$1" floor) |"
  echo "$line"
}

plain_row() { # FIGURE KIND LABEL: no ratios
  echo "| $3 | $(cell rpdns "$1" "$2") | $(cell knot "$1" "$2") | $(cell nsd "$1" "$2") | $(cell floor "$1" "$2") | — | — | — |"
}

max_row() { # FIGURE LABEL: the largest value over all runs
  local line="| $2 |" server
  for server in rpdns knot nsd floor; do
    line="$line $(awk -F'\t' -v s="$server" -v f="$1" '$2 == s && $3 == f && $4 + 0 > m { m = $4 + 0 } END { print m + 0 }' "$RESULTS") |"
  done
  echo "$line — | — | — |"
}

total_row() { # FIGURE LABEL
  echo "| $2 | $(total rpdns "$1") | $(total knot "$1") | $(total nsd "$1") | $(total floor "$1") | — | — | — |"
}

# verdict_at_least VALUE LIMIT -> "met", or how far below the limit VALUE is.
verdict_at_least() {
  awk -v v="$1" -v l="$2" 'BEGIN {
    if (v == "") { print "—"; exit }
    if (v + 0 >= l + 0) print "met"
    else printf "missed by %.0f%%\n", (1 - v / l) * 100
  }'
}

# verdict VALUE LIMIT -> "met", or how far above the limit VALUE is.
verdict() {
  awk -v v="$1" -v l="$2" 'BEGIN {
    if (v == "") { print "—"; exit }
    if (v + 0 <= l + 0) print "met"
    else if (l == 0) printf "missed (%s)\n", v
    else if (v / l < 2) printf "missed by %.0f%%\n", (v / l - 1) * 100
    else printf "missed: %.1f× the goal\n", v / l
  }'
}

median_of() { stats "$1" "$2" | awk '{ print $1 }'; }
median_ratio() {
  local a b
  a=$(median_of "$1" "$3")
  b=$(median_of "$2" "$3")
  awk -v a="$a" -v b="$b" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b }'
}

# The targets of the issue the current work answers (issue 13: one io_context
# thread per worker, and cheaper per query than NSD).
targets_table() {
  local a r
  echo "| target | rpdns | goal | verdict |"
  echo "|---|---|---|---|"
  a=$(median_of rpdns fixed_cpu)
  r=$(median_ratio rpdns nsd fixed_cpu)
  echo "| CPU-s per 1M queries, fixed $FIXED_QPS q/s, against NSD | $(fmt d2 "$a") = ${r}× NSD | ≤ 1.00× NSD | $(verdict "$r" 1.00) |"
  r=$(median_ratio rpdns floor fixed_cpu)
  echo "| CPU-s per 1M queries, fixed $FIXED_QPS q/s, against the floor | ${r}× floor | ≤ 1.03× floor | $(verdict "$r" 1.03) |"
  a=$(median_of rpdns fixed_latency_us)
  r=$(median_ratio rpdns nsd fixed_latency_us)
  echo "| average latency at $FIXED_QPS q/s | $(fmt int "$a") µs = ${r}× NSD | ≤ 1.00× NSD | $(verdict "$r" 1.00) |"
  a=$(median_of rpdns loadgen_qps)
  r=$(median_ratio rpdns nsd loadgen_qps)
  echo "| q/s, server-bound (rpdns-loadgen), against NSD | $(fmt kqps "$a") = ${r}× NSD | ≥ 1.05× NSD | $(verdict_at_least "$r" 1.05) |"
  r=$(median_ratio rpdns floor loadgen_qps)
  echo "| q/s, server-bound, against the floor | ${r}× floor | ≥ 0.97× floor | $(verdict_at_least "$r" 0.97) |"
  a=$(median_of rpdns loadgen_cpu)
  r=$(median_ratio rpdns knot loadgen_cpu)
  echo "| CPU-s per 1M queries, server-bound | $(fmt d2 "$a") = ${r}× Knot | ≤ 0.90× Knot | $(verdict "$r" 0.90) |"
  a=$(total rpdns lost)
  echo "| lost queries in any run | $a | 0 | $(verdict "$a" 0) |"
}

make_report() {
  local range="median (min–max) of $ROUNDS interleaved rounds"
  [ "$ROUNDS" = 1 ] && range="one round"
  cat <<EOF
# rpdns benchmark

Commit \`$COMMIT\`, $(date -u +%Y-%m-%d) · $NPROC × $CPU_MODEL, Linux $KERNEL ·
Knot DNS $KNOT_VERSION, NSD $NSD_VERSION, dnsperf $DNSPERF_VERSION$([ -n "$LDNS_VERSION" ] && echo ", ldns-signzone $LDNS_VERSION") (Debian packages) ·
$([ "$QUICK" = 1 ] && echo "quick run (BENCH_QUICK=1)" || echo "full run") · $range, ${SECONDS_PER_RUN} s per load run;
$IDLE_NOTE; interference (CPU taken from the server's or the client's core by other
processes or the host) was at most ${WORST_NOISE}% of a run ($RETRIES_DONE run(s) repeated because it exceeded ${NOISE_LIMIT}%).
$PARTS_NOTE
One worker per server (rpdns \`--workers 1\`, Knot \`udp-workers: 1\`, NSD \`server-count: 1\`
with RRL off and \`minimal-responses: yes\`) pinned to CPU 0; the client pinned to CPU 1.
"floor" is \`bench/floor.cpp\`, a no-work responder (recvmmsg 64, canned A reply,
sendmmsg): no server can be cheaper. Zone: $BENCH_RECORDS records on $BENCH_NAMES names; queries:
70% A/AAAA hits (a tenth through a CNAME), 10% MX/TXT, 10% NXDOMAIN, 5% wildcard, 5% referral.
Server CPU is utime+stime of its whole process tree (/proc/PID/stat) over the run, per
million answered queries.

Cells marked † leave out the runs during which other processes took more than ${NOISE_LIMIT}% of the
server's or the client's core (the median is of the remaining runs).
EOF
  if has_part bench; then report_bench; fi
  if has_part dnssec; then report_dnssec; fi
  if has_part big; then report_big; fi
  if has_part bench; then report_targets; fi
  if has_part balance; then report_balance; fi
}

report_bench() {
  cat <<EOF

| figure | rpdns | Knot DNS $KNOT_VERSION | NSD $NSD_VERSION | floor | rpdns/Knot | rpdns/NSD | rpdns/floor |
|---|---|---|---|---|---|---|---|
$(row dnsperf_qps kqps "q/s, dnsperf \`-c 16 -q 150\` (the client is the ceiling)" floor)
$(row dnsperf_cpu d2 "server CPU-s per 1M queries, dnsperf saturated" floor)
$(row fixed_cpu d2 "server CPU-s per 1M queries, fixed $FIXED_QPS q/s (dnsperf \`-Q\`)" floor)
$(row fixed_latency_us int "average latency at fixed $FIXED_QPS q/s, µs (dnsperf)" floor)
$(row loadgen_qps kqps "q/s, rpdns-loadgen \`${LOADGEN_ARGS[*]}\` (server-bound)" floor)
$(row loadgen_cpu d2 "server CPU-s per 1M queries, rpdns-loadgen" floor)
$(plain_row loadgen_busy int "server CPU use during the rpdns-loadgen run, % of one core")
$(plain_row loadgen_client_cpu int "rpdns-loadgen's own CPU use, % of one core")
$(row rss_mb d1 "RSS after the load, MB (VmRSS summed over the process tree)" floor)
$(row pss_mb d1 "PSS after the load, MB (shared pages split between processes)" floor)
$(row response_bytes int "average response size, bytes" floor)
$(max_row noise_pct "interference: CPU time taken from the server's or the client's core by other processes or the host, % of the run, worst run")
$(total_row lost "lost queries, all runs together")
$(total_row rcvbuf "kernel UDP RcvbufErrors during the runs (whole machine: other processes' sockets count too)")
EOF
}

report_big() {
  cat <<EOF

## Big zone: $(fmt int "$BIG_RECORDS") records

A generated zone of $BIG_RECORDS records (A, AAAA, TXT, MX); the server is not pinned. Time from
exec to the first authoritative answer (polled every 10 ms), and memory 1 s after it.

| figure | rpdns | Knot DNS $KNOT_VERSION | NSD $NSD_VERSION | rpdns/Knot | rpdns/NSD |
|---|---|---|---|---|---|
$(row big_load_s d2 "exec → first answer, s")
$(row big_rss_mb d1 "RSS, MB (VmRSS summed over the process tree)")
$(row big_pss_mb d1 "PSS, MB")
EOF
}

report_targets() {
  cat <<EOF

## Targets of issue 13

$(targets_table)
EOF
}

report_balance() {
  cat <<EOF

## Balance comparison (2 rpdns workers, unpinned, scripts/balance.sh)

$(cat "$TMP/balance.md" 2>/dev/null || echo "not measured (scripts/balance.sh failed)")
EOF
}

# One row of each server's DO=1 mix CPU over its own unsigned (part one) fixed-rate CPU.
dnssec_cost_row() {
  local line="| $1 |" server st a b
  for server in "${BIG_SERVERS[@]}"; do
    st=${DNSSEC_STATUS[$server/do1]:-}
    a=$(median_of "$server" do1_cpu)
    b=$(median_of "$server" fixed_cpu)
    if [ -n "$st" ]; then
      line="$line $st |"
    else
      line="$line $(awk -v a="$a" -v b="$b" 'BEGIN { if (a == "" || b + 0 == 0) print "—"; else printf "%.2f×\n", a / b }') |"
    fi
  done
  echo "$line — | — |"
}

# max|sum FIGURES LABEL: the largest value, or the sum, of FIGURES (space-separated) over
# all runs; "—" for a server that has none.
dnssec_fold_row() {
  local line="| $3 |" server
  for server in "${BIG_SERVERS[@]}"; do
    line="$line $(awk -F'\t' -v op="$1" -v s="$server" -v f=" $2 " '
      $2 == s && index(f, " " $3 " ") { n++; t += $4; if (n == 1 || $4 + 0 > m) m = $4 + 0 }
      END { if (!n) print "—"; else print (op == "max") ? m : t }' "$RESULTS") |"
  done
  echo "$line — | — |"
}

# The servers that were not measured on a mix, and why.
dnssec_notes() {
  local server mix key name
  for server in "${BIG_SERVERS[@]}"; do
    for mix in "${DNSSEC_MIXES[@]}"; do
      key=$server/$mix
      [ -n "${DNSSEC_STATUS[$key]:-}" ] || continue
      name="DO=1 mix"
      [ "$mix" = nsec3 ] && name="NSEC3 NXDOMAIN mix"
      echo "- **$server, $name: ${DNSSEC_STATUS[$key]}** — ${DNSSEC_REASON[$key]//|/\\|}"
    done
  done
}

report_dnssec() {
  local notes
  notes=$(dnssec_notes)
  cat <<EOF

## DNSSEC: signed zones, DO=1

Part one's zone signed at bench time by ldns-signzone with two ECDSAP256SHA256 keys
(algorithm 13; a KSK for the DNSKEY RRset, a ZSK for the rest): with NSEC ($NSEC_RECORDS records) and
with NSEC3 ($NSEC3_RECORDS records; SHA-1, 0 extra iterations, no salt, no opt-out, as RFC 9276
advises). Knot serves the signed files as they are (\`dnssec-signing: off\`), NSD too, rpdns
gets them by \`--zone\` as in part one; pinned as in part one, no floor. dnsperf \`-D\` (EDNS with
a 4096-byte UDP size, DO=1) at a fixed $FIXED_QPS q/s, \`-c 16 -q 150\`, after an unmeasured
warm-up of ${WARMUP} s. DO=1 mix: part one's queries against the NSEC-signed zone. NSEC3
NXDOMAIN mix: $NSEC3_NAMES distinct random names one label below the apex (A and AAAA), each an
NXDOMAIN whose proof needs the NSEC3 hashes of the name, of its next closer name and of the
wildcard, against the NSEC3-signed zone. Before measuring, kdig +dnssec checks that a positive
answer has its RRSIG and an NXDOMAIN its signed SOA and NSEC or NSEC3 records; a server that
fails this, or does not load the zone, is not measured, and its cells say why.

| figure | rpdns | Knot DNS $KNOT_VERSION | NSD $NSD_VERSION | rpdns/Knot | rpdns/NSD |
|---|---|---|---|---|---|
$(row fixed_cpu d2 "server CPU-s per 1M queries, fixed $FIXED_QPS q/s, unsigned zone, DO=0 (part one, for comparison)")
$(row do1_cpu d2 "server CPU-s per 1M queries, fixed $FIXED_QPS q/s, DO=1 mix, NSEC-signed zone")
$(dnssec_cost_row "DO=1 mix ÷ unsigned DO=0 (part one), server CPU per query, same server")
$(row do1_latency_us int "average latency, DO=1 mix, µs (dnsperf)")
$(row do1_bytes int "average response size, DO=1 mix, bytes")
$(row do1_rss_mb d1 "RSS after the DO=1 run, MB (NSEC-signed zone)")
$(row nsec3_cpu d2 "server CPU-s per 1M queries, fixed $FIXED_QPS q/s, NSEC3 NXDOMAIN mix")
$(row nsec3_latency_us int "average latency, NSEC3 NXDOMAIN mix, µs (dnsperf)")
$(row nsec3_bytes int "average response size, NSEC3 NXDOMAIN mix, bytes")
$(dnssec_fold_row max "do1_noise_pct nsec3_noise_pct" "interference, % of the run, worst run")
$(dnssec_fold_row sum "do1_lost nsec3_lost" "lost queries, all runs together")
EOF
  if [ -n "$notes" ]; then
    printf '\nNot measured:\n\n%s\n' "$notes"
  fi
}

raw_table() {
  echo
  echo "<details><summary>Every run</summary>"
  echo
  echo "| round | server | figure | value |"
  echo "|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$RESULTS"
  echo
  echo "</details>"
}

# Share of both CPUs left idle by everything else over 2 s: the figures are only
# meaningful on an otherwise quiet machine.
idle_percent() {
  local a b
  a=$(awk '$1 == "cpu" { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  sleep 2
  b=$(awk '$1 == "cpu" { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}

# ---------------------------------------------------------------------------------
# Run it.

log "commit $COMMIT; $NPROC CPUs ($CPU_MODEL); Knot $KNOT_VERSION, NSD $NSD_VERSION (RRL $([ $NSD_HAS_RRL = 1 ] && echo 'built in, turned off' || echo 'not built')), dnsperf $DNSPERF_VERSION"
IDLE_BEFORE=$(idle_percent)
IDLE_NOTE="the machine was ${IDLE_BEFORE}% idle just before the run"
if [ "$IDLE_BEFORE" -lt 90 ]; then
  log "warning: other processes are using the CPUs (only ${IDLE_BEFORE}% idle): expect noisy figures"
  IDLE_NOTE="$IDLE_NOTE — other processes were busy, so the figures are noisy"
fi
PARTS_NOTE=""
PARTS_RUN=""
for part in bench dnssec big balance; do
  if has_part "$part"; then PARTS_RUN="${PARTS_RUN:+$PARTS_RUN }$part"; fi
done
if [ "$PARTS_RUN" != "bench dnssec big balance" ]; then
  PARTS_NOTE=$'\n'"Parts run: ${PARTS_RUN:-none} (BENCH_PARTS, BENCH_DNSSEC); the others were left out."$'\n'
  log "parts: ${PARTS_RUN:-none}"
fi
if has_part bench; then
  log "part 1: $ROUNDS round(s), ${SECONDS_PER_RUN} s per run; zone of $BENCH_RECORDS records on $BENCH_NAMES names; temp dir $TMP"
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${SERVERS[@]}"; do
      log "round $round/$ROUNDS: $server"
      bench_session "$round" "$server"
    done
  done
fi

# Part 4 (run second, next to part one, whose fixed-rate figures it is compared with):
# DNSSEC answers from the signed zones, two mixes per server and round.
if has_part dnssec; then
  log "part 4 (DNSSEC): $ROUNDS round(s), ${SECONDS_PER_RUN} s per run at $FIXED_QPS q/s; DO=1 mix on the NSEC-signed zone, $NSEC3_NAMES NXDOMAIN names on the NSEC3-signed zone"
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${BIG_SERVERS[@]}"; do
      for mix in "${DNSSEC_MIXES[@]}"; do
        log "round $round/$ROUNDS: $server, DNSSEC $mix mix"
        dnssec_session "$round" "$server" "$mix"
      done
    done
  done
fi

if has_part big; then
  log "part 2: generating a zone of $BIG_RECORDS records"
  make_big_zone "$BIG_RECORDS" >"$TMP/zones/big.zone"
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${BIG_SERVERS[@]}"; do
      log "round $round/$ROUNDS: $server loads the big zone"
      big_session "$round" "$server"
    done
  done
fi

# ---------------------------------------------------------------------------------
# Part 3: the balance comparison (throughput and busiest/idlest worker for
# listen-mode shared, reuseport+hash and reuseport+random, 1, 4 and 256 client
# sockets, 2 workers), by scripts/balance.sh on the binaries built above.
if has_part balance; then
  log "part 3: balance comparison"
  BALANCE_NO_BUILD=1 BALANCE_BUILD=$BUILD BALANCE_OUT="$TMP/balance.md" scripts/balance.sh "${BENCH_BALANCE_SECONDS:-5}" || true
fi

report=$(make_report)
echo
echo "$report"
if [ ${#DNSSEC_STATUS[@]} -gt 0 ]; then
  log "WARNING: some servers were not measured on the signed zones (see \"Not measured\" in the report):"
  for key in "${!DNSSEC_STATUS[@]}"; do log "  $key: ${DNSSEC_STATUS[$key]} — ${DNSSEC_REASON[$key]}"; done
fi
mkdir -p "$(dirname "$OUT")"
{
  echo "$report"
  raw_table
} >"$OUT"
log "results written to $OUT"
