# shellcheck shell=bash
# scripts/bench/dnssec.sh: part four, DNSSEC answers (DO=1) from the signed copies of
# part one's zone — kdig's check that each server serves the signatures and proofs,
# then dnsperf -D at the fixed rate, pinned as in part one. Sourced after parts.sh.

# Why a server's figures for a mix are missing: DNSSEC_STATUS[SERVER/MIX] is the cell's
# text ("not loaded", "not signed", ...), DNSSEC_REASON[SERVER/MIX] what the log or
# kdig said. The mix is the prefix of its figures' names (do1_cpu, nsec3_cpu, ...).
declare -A DNSSEC_STATUS=() DNSSEC_REASON=()
DNSSEC_MIXES=(do1 nsec3)

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
  record "$round" "$server" "${mix}_rss_mb" "$(mib "$rss")"
  log "  $server ($([ "$mix" = do1 ] && echo f || echo g)) $label, dnsperf -D at $FIXED_QPS q/s: $M_QPS q/s, $M_CPU CPU-s/1M, lost $M_LOST; interference ${M_NOISE}%; RSS $((rss / 1024)) MB"
  stop_server "$SERVER_PID"
}

# Both mixes, one after the other, for one server in one round.
dnssec_sessions() {
  local mix
  for mix in "${DNSSEC_MIXES[@]}"; do
    log "round $1/$ROUNDS: $2, DNSSEC $mix mix"
    dnssec_session "$1" "$2" "$mix"
  done
}

run_part_dnssec() {
  log "part 4 (DNSSEC): $ROUNDS round(s), ${SECONDS_PER_RUN} s per run at $FIXED_QPS q/s; DO=1 mix on the NSEC-signed zone, $NSEC3_NAMES NXDOMAIN names on the NSEC3-signed zone"
  each_round dnssec_sessions "${BIG_SERVERS[@]}"
}
