# shellcheck shell=bash
# scripts/bench/parts.sh: part one (the benchmark zone: dnsperf saturated and at a fixed
# rate, rpdns-loadgen, memory), part two (a big zone's load time and memory) and part
# three (the balance comparison, by scripts/balance.sh). Sourced after measure.sh.

DNSPERF_ARGS=(-c 16 -q 150 -t 2)
# At most 128 queries in flight: more would overflow Knot's default 208 KiB receive
# buffer (it drops above ~160 queued datagrams), and 128 keep every server busy.
read -r -a LOADGEN_ARGS <<<"${BENCH_LOADGEN_ARGS:--c 64 -q 128 -b 32 -t 1}"

# Part one: the benchmark zone; one server, pinned, in one round: a warm-up, then dnsperf
# saturated, dnsperf at FIXED_QPS and rpdns-loadgen, memory and losses.
bench_session() {
  local round=$1 server=$2 port
  log "round $round/$ROUNDS: $server"
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
  record "$round" "$server" rss_mb "$(mib "$rss")"
  record "$round" "$server" pss_mb "$(mib "$pss")"
  record "$round" "$server" lost "$total_lost"
  record "$round" "$server" rcvbuf "$total_rcv"
  log "  $server (d) RSS $((rss / 1024)) MB (PSS $((pss / 1024)) MB); (e) lost $total_lost, RcvbufErrors +$total_rcv"
  stop_server "$SERVER_PID"
}

# each_round FUNCTION SERVER...: FUNCTION ROUND SERVER for every round and server, the
# servers interleaved within each round, so that the machine's drift over the run
# touches them all alike.
each_round() {
  local fn=$1 round server
  shift
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "$@"; do "$fn" "$round" "$server"; done
  done
}

run_part_bench() {
  log "part 1: $ROUNDS round(s), ${SECONDS_PER_RUN} s per run; zone of $BENCH_RECORDS records on $BENCH_NAMES names; temp dir $TMP"
  each_round bench_session "${SERVERS[@]}"
}

# ---------------------------------------------------------------------------------
# Part two: a 1,000,000-record zone, time from exec to the first answer, and RSS.
# Not pinned: the server may use both CPUs to load (the query workers are still one).

big_session() {
  local round=$1 server=$2 port t0 t1
  log "round $round/$ROUNDS: $server loads the big zone"
  port=$(pick_port)
  t0=${EPOCHREALTIME//[!0-9]/} # microseconds, without forking
  start_server "$server" big.example "$TMP/zones/big.zone" "$port" no
  local dir=$RUN_DIR
  if ! "$LOADGEN" -s 127.0.0.1 -p "$port" --wait-for big.example --interval 10 -l 180 >"$dir/wait.out" 2>&1; then
    server_failed "$server did not answer for the big zone on 127.0.0.1:$port"
  fi
  t1=$(first_answer_us "$dir/wait.out")
  local seconds
  seconds=$(seconds_between "$t0" "$t1")
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
  record "$round" "$server" big_rss_mb "$(mib "$rss")"
  record "$round" "$server" big_pss_mb "$(mib "$pss")"
  log "  $server: first answer after $seconds s, RSS $((rss / 1024)) MB (PSS $((pss / 1024)) MB)"
  stop_server "$SERVER_PID"
}

run_part_big() {
  log "part 2: generating a zone of $BIG_RECORDS records"
  make_big_zone "$BIG_RECORDS" >"$TMP/zones/big.zone"
  each_round big_session "${BIG_SERVERS[@]}"
}

# ---------------------------------------------------------------------------------
# Part three: the balance comparison (throughput and busiest/idlest worker for
# listen-mode shared, reuseport+hash and reuseport+random, 1, 4 and 256 client
# sockets, 2 workers), by scripts/balance.sh on the binaries built above.
run_part_balance() {
  log "part 3: balance comparison"
  BALANCE_NO_BUILD=1 BALANCE_BUILD=$BUILD BALANCE_OUT="$TMP/balance.md" scripts/balance.sh "${BENCH_BALANCE_SECONDS:-5}" || true
}
