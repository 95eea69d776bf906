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
# A fifth part, off by default (BENCH_SCALE=1: it writes 100,000 zone files and a zone
# of 1,000,000 delegations, and loads them in each server several times), measures
# scale: 100,000 zones of 10 records (exec until every zone answers, RSS, a changed zone
# served after a full reload and after a reload of that zone alone, an added zone after
# a reload of the configuration), a zone of 1,000,000 delegations (exec to the first
# answer, RSS steady and at its peak, RSS after 10 reloads) and the server CPU per query
# at the fixed rate over one zone and over all 100,000 (scripts/bench/scale.sh).
# A sixth, off by default too (BENCH_IXFR=1), measures IXFR on a zone of 1,000,000
# records with rpdns and Knot (NSD 4.6 has no IXFR out): the full load, a reload that
# adds one record and computes the difference, RSS, and the IXFR of that change next to
# an AXFR of the zone, bytes and time (scripts/bench/ixfr.sh; BENCH_IXFR_RECORDS=N).
# Tables (median, min-max over rounds, and the ratios rpdns/Knot, rpdns/NSD,
# rpdns/floor) go to stdout and to build/bench/results.md (untracked); the tracked
# bench/results.md is written only with BENCH_UPDATE=1, any other file with BENCH_OUT.
#
# The parts live in scripts/bench/: lib.sh (logging, processes, clean-up, ports),
# servers.sh (installing, building, configs, start and stop), zones.sh (zones and
# queries), measure.sh (a measured run: CPU, memory, interference), parts.sh (parts
# one to three), dnssec.sh (part four), scale.sh (part five) and report.sh (medians,
# ratios, the tables).
#
# Knobs (environment): BENCH_QUICK=1, BENCH_OUT=FILE, BENCH_UPDATE=1 (write the tracked
# bench/results.md), BENCH_ROUNDS=N, BENCH_SECONDS=S
# (length of each load run), BENCH_PARTS="bench dnssec big balance" (the parts to run,
# in that order whatever the list's: part one, the DNSSEC part, the big zone, the
# balance comparison, and "scale" last if named), BENCH_DNSSEC=0 (leave the DNSSEC part out), BENCH_NSEC3_NAMES=N
# (distinct names of the NSEC3 NXDOMAIN mix; default 100000), BENCH_BIG_RECORDS=N (size
# of the big zone), BENCH_BALANCE_SECONDS=S (each balance run; default 5),
# BENCH_LOADGEN_ARGS="-c 64 -q 128 -b 32 -t 1" (rpdns-loadgen's options),
# BENCH_KEEP=1 (keep the temp dir with configs, logs and client outputs),
# BENCH_NO_BUILD=1 (use the binaries already in build-bench/, skip setup and build),
# BENCH_RETRIES=N (repeat a run disturbed by other processes up to N times; default 1),
# BENCH_SCALE=1 (add the scale part; or name "scale" in BENCH_PARTS),
# BENCH_SCALE_ZONES=N (default 100000), BENCH_SCALE_DELEGATIONS=N (default 1000000),
# BENCH_SCALE_ROUNDS=N (the scale part's rounds; default BENCH_ROUNDS's). A quick check:
#   BENCH_QUICK=1 BENCH_SECONDS=2 BENCH_PARTS=scale BENCH_SCALE_ZONES=2000 \
#     BENCH_SCALE_DELEGATIONS=20000 BENCH_NO_BUILD=1 scripts/bench.sh
#
# Traffic goes to 127.0.0.1 only. Every process the script starts is stopped on exit,
# also on Ctrl-C or failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive # installs never ask: the run is unattended

QUICK=${BENCH_QUICK:-0}
# The report goes under build/ (ignored by git) unless the tracked copy is asked for.
if [ -n "${BENCH_OUT:-}" ]; then
  OUT=$BENCH_OUT
elif [ "${BENCH_UPDATE:-0}" = 1 ]; then
  OUT=bench/results.md
else
  OUT=build/bench/results.md
fi
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
SCALE_ZONES=${BENCH_SCALE_ZONES:-100000}
SCALE_DELEGATIONS=${BENCH_SCALE_DELEGATIONS:-1000000}
SCALE_ROUNDS=${BENCH_SCALE_ROUNDS:-$ROUNDS}
for size in "$SCALE_ZONES" "$SCALE_DELEGATIONS" "$SCALE_ROUNDS"; do
  [[ $size =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SCALE_* wants a whole number above 0, not '$size'" >&2; exit 2; }
done
# The parts to run (see the top): " bench dnssec big balance ", or fewer, and "scale".
DEFAULT_PARTS="bench dnssec big balance"
PARTS=" ${BENCH_PARTS:-$DEFAULT_PARTS} "
PARTS=" ${PARTS//,/ } "
if [ "${BENCH_DNSSEC:-1}" = 0 ]; then PARTS=${PARTS// dnssec / }; fi
if [ "${BENCH_SCALE:-0}" = 1 ] && [[ $PARTS != *" scale "* ]]; then PARTS="$PARTS scale "; fi
if [ "${BENCH_IXFR:-0}" = 1 ] && [[ $PARTS != *" ixfr "* ]]; then PARTS="$PARTS ixfr "; fi
for part in $PARTS; do
  case $part in bench | dnssec | big | balance | scale | ixfr) ;; *) echo "bench: unknown part '$part' in BENCH_PARTS (bench, dnssec, big, balance, scale, ixfr)" >&2; exit 2 ;; esac
done
has_part() { [[ $PARTS == *" $1 "* ]]; }
SERVERS=(rpdns knot nsd floor) # floor: bench/floor.cpp, a no-work responder
BIG_SERVERS=(rpdns knot nsd)

# shellcheck source=scripts/bench/lib.sh
. scripts/bench/lib.sh
# shellcheck source=scripts/bench/servers.sh
. scripts/bench/servers.sh
# shellcheck source=scripts/bench/zones.sh
. scripts/bench/zones.sh
# shellcheck source=scripts/bench/measure.sh
. scripts/bench/measure.sh
# shellcheck source=scripts/bench/parts.sh
. scripts/bench/parts.sh
# shellcheck source=scripts/bench/dnssec.sh
. scripts/bench/dnssec.sh
# shellcheck source=scripts/bench/scale.sh
. scripts/bench/scale.sh
# shellcheck source=scripts/bench/ixfr.sh
. scripts/bench/ixfr.sh
# shellcheck source=scripts/bench/report.sh
. scripts/bench/report.sh

# The notes at the top of the report: how idle the machine was, which parts ran.
describe_run() {
  local part left=""
  IDLE_BEFORE=$(idle_percent)
  IDLE_NOTE="the machine was ${IDLE_BEFORE}% idle just before the run"
  if [ "$IDLE_BEFORE" -lt 90 ]; then
    log "warning: other processes are using the CPUs (only ${IDLE_BEFORE}% idle): expect noisy figures"
    IDLE_NOTE="$IDLE_NOTE — other processes were busy, so the figures are noisy"
  fi
  PARTS_NOTE=""
  PARTS_RUN=""
  for part in $DEFAULT_PARTS scale ixfr; do
    if has_part "$part"; then
      PARTS_RUN="${PARTS_RUN:+$PARTS_RUN }$part"
    else
      left="${left:+$left }$part"
    fi
  done
  if [ "$PARTS_RUN" != "$DEFAULT_PARTS" ]; then
    PARTS_NOTE=$'\n'"Parts run: ${PARTS_RUN:-none} (BENCH_PARTS, BENCH_DNSSEC, BENCH_SCALE, BENCH_IXFR); left out: ${left:-none}."$'\n'
    log "parts: ${PARTS_RUN:-none}"
  fi
}

install_traps
install_servers
build_rpdns
TMP=$(mktemp -d /tmp/rpdns-bench.XXXXXX)
snapshot_binaries
COMMIT=$(commit_label)
machine_facts
server_versions
prepare_bench_zone
LDNS_VERSION=""
if has_part dnssec; then prepare_dnssec_zones; fi
init_results

log "commit $COMMIT; $NPROC CPUs ($CPU_MODEL); Knot $KNOT_VERSION, NSD $NSD_VERSION (RRL $([ $NSD_HAS_RRL = 1 ] && echo 'built in, turned off' || echo 'not built')), dnsperf $DNSPERF_VERSION"
describe_run
# Part four runs second, next to part one, whose fixed-rate figures it is compared with.
for part in bench dnssec big balance scale ixfr; do
  if has_part "$part"; then "run_part_$part"; fi
done
write_report "$OUT"
