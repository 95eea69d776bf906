# shellcheck shell=bash
# scripts/bench/scale.sh: part five, scale (BENCH_SCALE=1; off by default, it is long).
# Three profiles, each server with one worker as everywhere else:
#  - SCALE_ZONES zones of 10 records: exec until the last zone answers, RSS, and how long
#    a changed zone takes to be served after a full reload and after a reload of that
#    zone alone, and an added zone after a reload of the configuration;
#  - one zone of SCALE_DELEGATIONS delegations, as a TLD: exec until the first answer,
#    RSS steady and at its peak, RSS after 10 reloads, each with a changed file;
#  - what many zones cost per query: server CPU per million queries at the fixed rate
#    over one zone and over all of them.
# Loads and reloads are not pinned (as part two); the query-cost runs pin the server to
# CPU 0 and dnsperf to CPU 1 (as part one). Sourced after parts.sh.

SCALE_WAIT=600 # seconds a load or reload may take before the run gives up on the server
CHANGES=0      # changes made so far: each adds a name of its own, so its arrival is seen

# The part's zones and queries, under $TMP/scale. The zone that is changed, and the
# delegation zone, are put back from a pristine copy before each server's session, so
# that every server starts from the same files.
prepare_scale_zones() {
  SCALE_DIR=$TMP/scale
  mkdir -p "$SCALE_DIR/zones" "$SCALE_DIR/deleg"
  log "part 5 (scale): generating $SCALE_ZONES zones and a zone of $SCALE_DELEGATIONS delegations"
  make_scale_zones "$SCALE_DIR/zones" "$SCALE_ZONES" >"$SCALE_DIR/zones.list"
  head -n 1 "$SCALE_DIR/zones.list" >"$SCALE_DIR/one.list"
  make_scale_queries 1 100000 >"$SCALE_DIR/queries-one.txt"
  make_scale_queries "$SCALE_ZONES" 100000 >"$SCALE_DIR/queries-many.txt"
  CHANGED_ZONE=z$((SCALE_ZONES / 2)).example
  CHANGED_FILE=$SCALE_DIR/zones/z$((SCALE_ZONES / 2)).zone
  cp "$CHANGED_FILE" "$SCALE_DIR/changed.pristine"
  make_delegation_zone "$SCALE_DELEGATIONS" >"$SCALE_DIR/deleg.pristine"
  echo "deleg.example $SCALE_DIR/deleg/deleg.zone" >"$SCALE_DIR/deleg.list"
  LAST_DELEGATION=d$((SCALE_DELEGATIONS - 1)).deleg.example
}

# start_poller PORT NAME[/TYPE] OUT: rpdns-loadgen in the background (CLIENT_PID) asking
# for NAME every 10 ms until an authoritative answer with data, for up to SCALE_WAIT s.
start_poller() {
  "$LOADGEN" -s 127.0.0.1 -p "$1" --wait-for "$2" --interval 10 -l "$SCALE_WAIT" >"$3" 2>&1 &
  CLIENT_PID=$!
}

# await_poller WHAT: waits for the poller; gives up at once, with the server's log, should
# the server exit, and when the poller got no answer.
await_poller() {
  while kill -0 "$CLIENT_PID" 2>/dev/null; do
    alive "$SERVER_PID" || server_failed "the server exited while waiting for $1"
    sleep 0.1 # the poller stamps its answer itself: this wait adds nothing to it
  done
  wait "$CLIENT_PID" || server_failed "no answer for $1 within $SCALE_WAIT s"
  CLIENT_PID=""
}

# poll_answer PORT NAME[/TYPE]: waits for NAME's answer; sets POLL_US, when it came.
poll_answer() {
  local out=$RUN_DIR/poll.out
  start_poller "$1" "$2" "$out"
  await_poller "$2"
  POLL_US=$(first_answer_us "$out")
}

# Does ZONE answer its SOA now (one query, kdig)? An authoritative-only server gives
# the SOA only from a zone it serves.
serves_now() {
  [ -n "$(kdig @127.0.0.1 -p "$1" +norec +short +time=2 +retry=0 "$2" SOA 2>/dev/null)" ]
}

# zones_served_after PORT LIST T0: sets SERVED_S, the seconds from T0 (µs) until every
# zone of LIST answers. The last zone is polled; then 20 zones spread over the list are
# asked once, and one not served yet is polled, its first answer the new end: a server
# that loads zones one by one (as Knot does) need not follow the list's order.
zones_served_after() {
  local port=$1 list=$2 end origin step
  poll_answer "$port" "$(awk 'END { print $1 }' "$list")"
  end=$POLL_US
  step=$((($(wc -l <"$list") + 19) / 20))
  for origin in $(awk -v s="$step" 'NR % s == 1 { print $1 }' "$list"); do
    serves_now "$port" "$origin" && continue
    log "  $origin was not served yet when the last zone was: waiting for it"
    poll_answer "$port" "$origin"
    if [ "$POLL_US" -gt "$end" ]; then end=$POLL_US; fi
  done
  SERVED_S=$(seconds_between "$3" "$end")
}

# timed_change PORT NAME[/TYPE]: runs CONTROL_CMD and sets TIMED_S to the seconds from just
# before it to the first authoritative answer for NAME, which the change brings. The
# poller (a query every 10 ms) starts first, so that its first answer is not late.
timed_change() {
  local out=$RUN_DIR/change.out t0
  start_poller "$1" "$2" "$out"
  sleep 0.05 # the poller is up, its queries answered without data
  t0=${EPOCHREALTIME//[!0-9]/}
  "${CONTROL_CMD[@]}" >>"$RUN_DIR/control.log" 2>&1 || server_failed "${CONTROL_CMD[*]} failed (see $RUN_DIR/control.log)"
  await_poller "$2 after: ${CONTROL_CMD[*]}"
  TIMED_S=$(seconds_between "$t0" "$(first_answer_us "$out")")
}

# change_and_time SERVER PORT ACTION FILE ZONE: FILE (ZONE's) changed, then the server told
# by ACTION (control_command); sets TIMED_S as timed_change.
change_and_time() {
  CHANGES=$((CHANGES + 1))
  change_zone "$4" "change$CHANGES"
  control_command "$1" "$3" "$5"
  timed_change "$2" "change$CHANGES.$5/A"
}

# Does NAME get a referral: its NS records in the authority section (kdig)?
has_referral() {
  kdig @127.0.0.1 -p "$1" +norec +time=2 +retry=2 "$2" A 2>&1 |
    awk -v n="$2." '$1 == n && $4 == "NS" { found = 1 } END { exit !found }'
}

# Pins every process and thread of the server to CPU 0, as part one starts them (their
# later threads and children inherit it).
pin_server_tree() {
  [ ${#PIN_SERVER[@]} -gt 0 ] || return 0
  local p
  for p in $(tree_pids "$SERVER_PID"); do taskset -a -p -c 0 "$p" >/dev/null 2>&1 || true; done
}

# scale_cost_run ROUND SERVER PORT one|many: the server, serving, pinned; a warm-up, then
# dnsperf at FIXED_QPS over the queries for one zone or for all: CPU per million queries.
scale_cost_run() {
  local round=$1 server=$2 port=$3 set=$4 queries=$SCALE_DIR/queries-$4.txt codes
  pin_server_tree
  run_client "$RUN_DIR/cost-warmup.out" "${PIN_CLIENT[@]}" \
    dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l "$WARMUP" -Q "$FIXED_QPS" "${DNSPERF_ARGS[@]}" ||
    die "dnsperf failed (see $RUN_DIR/cost-warmup.out)"
  codes=$(awk -F': *' '/Response codes:/ { print $2 }' "$RUN_DIR/cost-warmup.out")
  case $codes in
    *REFUSED* | *SERVFAIL* | *FORMERR* | *NOTIMP* | "") server_failed "$server gave unexpected answers: ${codes:-none}" ;;
  esac
  measured "$RUN_DIR/cost-$set.out" "${PIN_CLIENT[@]}" \
    dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l "$SECONDS_PER_RUN" -Q "$FIXED_QPS" "${DNSPERF_ARGS[@]}"
  record "$round" "$server" "cost_${set}_cpu" "$M_CPU" "$M_NOISE"
  record "$round" "$server" cost_noise_pct "$M_NOISE"
  record "$round" "$server" cost_lost "$M_LOST"
  log "  $server, queries over $([ "$set" = one ] && echo "one zone" || echo "$SCALE_ZONES zones") at $FIXED_QPS q/s: $M_CPU CPU-s/1M, lost $M_LOST; interference ${M_NOISE}%"
}

# The reloads of the many-zones profile, on a server serving them all.
scale_zone_reloads() {
  local round=$1 server=$2 port=$3 one="—"
  change_and_time "$server" "$port" reload "$CHANGED_FILE" "$CHANGED_ZONE"
  record "$round" "$server" zones_reload_all_s "$TIMED_S"
  control_command "$server" zone "$CHANGED_ZONE"
  if [ ${#CONTROL_CMD[@]} -gt 0 ]; then
    change_and_time "$server" "$port" zone "$CHANGED_FILE" "$CHANGED_ZONE"
    record "$round" "$server" zones_reload_one_s "$TIMED_S"
    one="$TIMED_S s"
  fi
  # An added zone: z0's records under another name (they are all relative).
  awk '$1 == "$ORIGIN" { $2 = "added.example." } { print }' "$SCALE_DIR/zones/z0.zone" >"$SCALE_DIR/zones/added.zone"
  append_zone "$server" added.example "$SCALE_DIR/zones/added.zone"
  control_command "$server" config
  timed_change "$port" added.example/SOA
  record "$round" "$server" zones_add_s "$TIMED_S"
  log "  $server: a changed zone served $(recorded "$round" "$server" zones_reload_all_s) s after a full reload, $one after its own; an added zone $TIMED_S s after the configuration's"
}

# The value of FIGURE last recorded for SERVER in ROUND (for the log).
recorded() { awk -F'\t' -v r="$1" -v s="$2" -v f="$3" '$1 == r && $2 == s && $3 == f { v = $4 } END { print v }' "$RESULTS"; }

# Many zones: load, memory, reloads, then the query cost over all of them.
scale_zones_session() {
  local round=$1 server=$2 port rss
  log "round $round/$ROUNDS: $server loads $SCALE_ZONES zones"
  cp "$SCALE_DIR/changed.pristine" "$CHANGED_FILE"
  port=$(pick_port)
  start_zones "$server" "$SCALE_DIR/zones.list" "$port"
  zones_served_after "$port" "$SCALE_DIR/zones.list" "$LAUNCH_US"
  sleep 1
  rss=$(tree_kb "$SERVER_PID" status VmRSS)
  record "$round" "$server" zones_load_s "$SERVED_S"
  record "$round" "$server" zones_rss_mb "$(mib "$rss")"
  log "  $server: every zone served $SERVED_S s after exec; RSS $((rss / 1024)) MiB"
  scale_zone_reloads "$round" "$server" "$port"
  scale_cost_run "$round" "$server" "$port" many
  stop_server "$SERVER_PID"
}

# One zone (z0), for the query cost to compare with.
scale_one_zone_session() {
  local round=$1 server=$2 port
  log "round $round/$ROUNDS: $server serves one zone"
  port=$(pick_port)
  start_zones "$server" "$SCALE_DIR/one.list" "$port"
  poll_answer "$port" z0.example
  scale_cost_run "$round" "$server" "$port" one
  stop_server "$SERVER_PID"
}

# The delegation zone: load, memory steady and at its peak, 10 reloads, memory after.
scale_delegation_session() {
  local round=$1 server=$2 port rss peak k
  log "round $round/$ROUNDS: $server loads $SCALE_DELEGATIONS delegations"
  cp "$SCALE_DIR/deleg.pristine" "$SCALE_DIR/deleg/deleg.zone"
  port=$(pick_port)
  start_zones "$server" "$SCALE_DIR/deleg.list" "$port"
  poll_answer "$port" deleg.example
  record "$round" "$server" deleg_load_s "$(seconds_between "$LAUNCH_US" "$POLL_US")"
  has_referral "$port" "$LAST_DELEGATION" || server_failed "$server gives no referral for $LAST_DELEGATION"
  sleep 1
  rss=$(tree_kb "$SERVER_PID" status VmRSS)
  peak=$(tree_kb "$SERVER_PID" status VmHWM)
  record "$round" "$server" deleg_rss_mb "$(mib "$rss")"
  record "$round" "$server" deleg_peak_mb "$(mib "$peak")"
  for ((k = 0; k < 10; k++)); do
    change_and_time "$server" "$port" reload "$SCALE_DIR/deleg/deleg.zone" deleg.example
    record "$round" "$server" deleg_reload_s "$TIMED_S"
  done
  sleep 1
  record "$round" "$server" deleg_rss_reloads_mb "$(mib "$(tree_kb "$SERVER_PID" status VmRSS)")"
  log "  $server: first answer $(recorded "$round" "$server" deleg_load_s) s after exec; RSS $((rss / 1024)) MiB, peak $((peak / 1024)) MiB; after 10 reloads $(recorded "$round" "$server" deleg_rss_reloads_mb) MiB"
  stop_server "$SERVER_PID"
}

run_part_scale() {
  local ROUNDS=$SCALE_ROUNDS # each_round's, for this part alone
  prepare_scale_zones
  log "part 5 (scale): $ROUNDS round(s)"
  each_round scale_zones_session "${BIG_SERVERS[@]}"
  each_round scale_one_zone_session "${BIG_SERVERS[@]}"
  each_round scale_delegation_session "${BIG_SERVERS[@]}"
}
