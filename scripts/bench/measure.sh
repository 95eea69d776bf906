# shellcheck shell=bash
# scripts/bench/measure.sh: how a run is measured — the machine's facts, the server's
# CPU time, memory and run-queue wait from /proc, the client run between two samples,
# and the raw results file every figure is recorded in. Sourced after lib.sh.

# The CPUs, the kernel and the pinning: the server on CPU 0, the client on CPU 1.
machine_facts() {
  NPROC=$(nproc)
  CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  KERNEL=$(uname -r)
  CLK_TCK=$(getconf CLK_TCK)
  if [ "$NPROC" -ge 2 ]; then
    PIN_SERVER=(taskset -c 0)
    PIN_CLIENT=(taskset -c 1)
  else
    log "warning: only one CPU: server and client share it, nothing is pinned"
    PIN_SERVER=()
    PIN_CLIENT=()
  fi
}

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

# Seconds from T0 to T1 (both in microseconds), to the millisecond.
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }

# The moment of rpdns-loadgen's first answer in FILE, in microseconds since the epoch.
first_answer_us() { awk '/^first_answer_epoch_ns/ { print substr($2, 1, length($2) - 3) }' "$1"; }

# kB -> MB with one decimal (kB of /proc are KiB: the report's "MB" are MiB).
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# The raw results: one line a figure and run, "ROUND SERVER FIGURE VALUE INTERFERENCE%",
# tab-separated; the report's medians are read from it.
RESULTS=""
WORST_NOISE=0
RETRIES_DONE=0
init_results() {
  RESULTS="$TMP/results.tsv"
  : >"$RESULTS"
}
# record ROUND SERVER FIGURE VALUE [INTERFERENCE%]
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-0}" >>"$RESULTS"; }

# "steal of CPU 0, busy of CPU 1, steal of CPU 1" in clock ticks, from /proc/stat.
cpu_sample() { awk '$1 == "cpu0" { s0 = $9 } $1 == "cpu1" { print s0, $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }

# Seconds of CPU the shell's children took between two outputs of the `times` builtin.
children_cpu() {
  awk 'FNR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
                  if (FILENAME ~ /after/) a = t; else b = t }
       END { printf "%.3f", a - b }' "$1" "$2"
}

# interference DELAY_NS WALL_US CLIENT_S SAMPLE0 SAMPLE1: % of the run taken from the
# server's core (its run-queue wait plus steal) or the client's (CPU 1's busy time beyond
# the client's own, plus steal), whichever is larger.
interference() {
  awk -v d="$1" -v us="$2" -v hz="$CLK_TCK" -v c="$3" -v a="$4" -v b="$5" 'BEGIN {
    split(a, x, " "); split(b, y, " "); wall = us / 1e6
    cpu0 = d / 1e9 + (y[1] - x[1]) / hz
    cpu1 = (y[2] - x[2]) / hz - c + (y[3] - x[3]) / hz
    if (cpu1 < 0) cpu1 = 0
    printf "%.1f", 100 * ((cpu0 > cpu1) ? cpu0 : cpu1) / wall }'
}

# One measured client run against SERVER_PID; sets M_QPS, M_COMPLETED, M_LOST, M_CPU
# (server CPU-seconds per million answered queries), M_BUSY (server CPU use, % of one
# core), M_RCVBUF, and M_NOISE: the share of the run (%) during which other processes
# or the hypervisor took CPU 0 from the server or CPU 1 from the client (interference).
measure_run() {
  local out=$1
  shift
  local ticks0 ticks1 rcv0 rcv1 t0 t1 delay0 delay1 stat0 stat1 client
  rcv0=$(rcvbuf_errors)
  delay0=$(run_delay_ns "$SERVER_PID")
  ticks0=$(cpu_ticks "$SERVER_PID")
  stat0=$(cpu_sample)
  t0=${EPOCHREALTIME//[!0-9]/}
  times >"$TMP/times.before" # the shell's children's CPU time (no subshell: it must be ours)
  run_client "$out" "$@" || die "client failed: $* (see $out)"
  times >"$TMP/times.after"
  t1=${EPOCHREALTIME//[!0-9]/}
  stat1=$(cpu_sample)
  ticks1=$(cpu_ticks "$SERVER_PID")
  delay1=$(run_delay_ns "$SERVER_PID")
  rcv1=$(rcvbuf_errors)
  client=$(children_cpu "$TMP/times.before" "$TMP/times.after")
  M_NOISE=$(interference $((delay1 - delay0)) $((t1 - t0)) "$client" "$stat0" "$stat1")
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

# Share of both CPUs left idle by everything else over 2 s: the figures are only
# meaningful on an otherwise quiet machine.
idle_percent() {
  local a b
  a=$(awk '$1 == "cpu" { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  sleep 2
  b=$(awk '$1 == "cpu" { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}
