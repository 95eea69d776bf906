# shellcheck shell=bash
# scripts/bench/report.sh: the report — medians (and min–max) over the rounds from the
# raw results, the ratios rpdns/Knot, rpdns/NSD and rpdns/floor, and the markdown
# tables of each part. Sourced after measure.sh (RESULTS, NOISE_LIMIT).

# The values of SERVER's FIGURE, one a line: the runs whose interference exceeded
# NOISE_LIMIT are left out when any other run is left.
kept_values() {
  awk -F'\t' -v s="$1" -v f="$2" -v lim="$NOISE_LIMIT" '
    $2 == s && $3 == f { n++; v[n] = $4; z[n] = $5 + 0; if (z[n] <= lim) clean++ }
    END { for (i = 1; i <= n; i++) if (!clean || z[i] <= lim) print v[i] }' "$RESULTS"
}

# How many runs recorded SERVER's FIGURE, kept or not.
run_count() { awk -F'\t' -v s="$1" -v f="$2" '$2 == s && $3 == f { n++ } END { print n + 0 }' "$RESULTS"; }

# "median min max count" of the numbers on stdin; nothing when there are none.
median_min_max() {
  sort -g | awk '{ v[NR] = $1 }
    END {
      if (NR == 0) exit
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      print m, v[1], v[NR], NR
    }'
}

# stats SERVER FIGURE -> "median min max used total" over the rounds (empty if none).
stats() {
  local summary
  summary=$(kept_values "$1" "$2" | median_min_max)
  if [ -n "$summary" ]; then echo "$summary $(run_count "$1" "$2")"; fi
}

total() { awk -F'\t' -v s="$1" -v f="$2" '$2 == s && $3 == f { t += $4 } END { print t + 0 }' "$RESULTS"; }

# fmt KIND VALUE: kqps (in thousands), 2 decimals, 1 decimal, 3 decimals, int
fmt() {
  case $1 in
    kqps) awk -v v="$2" 'BEGIN { printf "%.1f k", v / 1000 }' ;;
    d2) awk -v v="$2" 'BEGIN { printf "%.2f", v }' ;;
    d1) awk -v v="$2" 'BEGIN { printf "%.1f", v }' ;;
    d3) awk -v v="$2" 'BEGIN { printf "%.3f", v }' ;;
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

# A/B as "0.91×"; "—" when either is missing or B is 0.
times_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b + 0 == 0) print "—"; else printf "%.2f×\n", a / b }'; }

# ratio FIGURE SERVER: rpdns's median over SERVER's.
ratio() {
  if [ -n "${DNSSEC_STATUS[rpdns/${1%%_*}]:-}${DNSSEC_STATUS[$2/${1%%_*}]:-}" ]; then echo "—"; return; fi
  times_ratio "$(median_of rpdns "$1")" "$(median_of "$2" "$1")"
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

# target_row LABEL FIGURE OTHER KIND UNIT GOAL: rpdns against OTHER (nsd, knot or floor)
# on FIGURE, and whether GOAL ("≤ 1.00" or "≥ 1.05", a ratio) was met; KIND (as for
# fmt) and UNIT show rpdns's own median first, KIND "-" leaves it out.
target_row() {
  local label=$1 figure=$2 other=$3 kind=$4 unit=$5 goal=$6 name r value="" check=verdict
  case $other in nsd) name=NSD ;; knot) name=Knot ;; *) name=$other ;; esac
  r=$(median_ratio rpdns "$other" "$figure")
  if [ "$kind" != - ]; then value="$(fmt "$kind" "$(median_of rpdns "$figure")")$unit = "; fi
  if [ "${goal%% *}" = "≥" ]; then check=verdict_at_least; fi
  echo "| $label | $value${r}× $name | $goal× $name | $($check "$r" "${goal#* }") |"
}

# The targets of the issue the current work answers (issue 13: one io_context
# thread per worker, and cheaper per query than NSD).
targets_table() {
  local lost
  echo "| target | rpdns | goal | verdict |"
  echo "|---|---|---|---|"
  target_row "CPU-s per 1M queries, fixed $FIXED_QPS q/s, against NSD" fixed_cpu nsd d2 "" "≤ 1.00"
  target_row "CPU-s per 1M queries, fixed $FIXED_QPS q/s, against the floor" fixed_cpu floor - "" "≤ 1.03"
  target_row "average latency at $FIXED_QPS q/s" fixed_latency_us nsd int " µs" "≤ 1.00"
  target_row "q/s, server-bound (rpdns-loadgen), against NSD" loadgen_qps nsd kqps "" "≥ 1.05"
  target_row "q/s, server-bound, against the floor" loadgen_qps floor - "" "≥ 0.97"
  target_row "CPU-s per 1M queries, server-bound" loadgen_cpu knot d2 "" "≤ 0.90"
  lost=$(total rpdns lost)
  echo "| lost queries in any run | $lost | 0 | $(verdict "$lost" 0) |"
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
  local section
  for section in bench dnssec big targets balance scale ixfr; do
    # The targets are part one's figures, shown after the big zone's.
    if has_part "${section/targets/bench}"; then "report_$section"; fi
  done
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

# own_ratio_row LABEL FIGURE OVER: each server's median of FIGURE over its own of OVER; a
# server not measured on FIGURE's DNSSEC mix shows why.
own_ratio_row() {
  local line="| $1 |" server st
  for server in "${BIG_SERVERS[@]}"; do
    st=${DNSSEC_STATUS[$server/${2%%_*}]:-}
    if [ -n "$st" ]; then
      line="$line $st |"
    else
      line="$line $(times_ratio "$(median_of "$server" "$2")" "$(median_of "$server" "$3")") |"
    fi
  done
  echo "$line — | — |"
}

# max|sum FIGURES LABEL: the largest value, or the sum, of FIGURES (space-separated) over
# all runs; "—" for a server that has none.
fold_row() {
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
$(own_ratio_row "DO=1 mix ÷ unsigned DO=0 (part one), server CPU per query, same server" do1_cpu fixed_cpu)
$(row do1_latency_us int "average latency, DO=1 mix, µs (dnsperf)")
$(row do1_bytes int "average response size, DO=1 mix, bytes")
$(row do1_rss_mb d1 "RSS after the DO=1 run, MB (NSEC-signed zone)")
$(row nsec3_cpu d2 "server CPU-s per 1M queries, fixed $FIXED_QPS q/s, NSEC3 NXDOMAIN mix")
$(row nsec3_latency_us int "average latency, NSEC3 NXDOMAIN mix, µs (dnsperf)")
$(row nsec3_bytes int "average response size, NSEC3 NXDOMAIN mix, bytes")
$(fold_row max "do1_noise_pct nsec3_noise_pct" "interference, % of the run, worst run")
$(fold_row sum "do1_lost nsec3_lost" "lost queries, all runs together")
EOF
  if [ -n "$notes" ]; then
    printf '\nNot measured:\n\n%s\n' "$notes"
  fi
}

# 100000 -> 100,000
thousands() { sed -E ':a; s/^([0-9]+)([0-9]{3})/\1,\2/; ta' <<<"$1"; }

# The rows of the scale table, from lines "PROFILE|FIGURE|KIND|LABEL" on stdin (PROFILE
# empty but in a profile's first row).
scale_rows() {
  local profile figure kind label
  while IFS='|' read -r profile figure kind label; do
    echo "| $profile $(row "$figure" "$kind" "$label")"
  done
}

report_scale() {
  local zones delegations
  zones=$(thousands "$SCALE_ZONES")
  delegations=$(thousands "$SCALE_DELEGATIONS")
  cat <<EOF

## Scale: many zones, a zone of many delegations, query cost with many zones

One worker per server, as above; not pinned while loading or reloading, pinned (server on
CPU 0, dnsperf on CPU 1) for the query cost; $SCALE_ROUNDS round(s). RSS is VmRSS summed over the
process tree 1 s after the figure before it (NSD's processes each count); the peak is VmHWM
summed likewise. "Until served": from just before the command to the first authoritative
answer for the name the change brings (a new name, the serial raised; the file moved into
place), polled every 10 ms by rpdns-loadgen (so to within 10 ms); the command's own run
is included.

- **$zones zones** of 10 records (SOA, 2 NS and their addresses, MX, TXT, www A and AAAA,
  mail A), a file each, all in one configuration: rpdns's YAML \`zones:\` list, Knot's
  text configuration (\`zonefile-load: whole\`, \`journal-content: none\`; its zones load on
  its one \`background-workers\` thread, as in the big-zone part), NSD's \`zone:\` clauses
  (no database). Times count from the server's exec, after its configuration was written.
  "Exec → last zone answers": until the last zone of the list and 20 zones spread over it
  answer their SOA. Full reload: rpdns \`SIGHUP\`, \`knotc reload\`,
  \`nsd-control reload\`; single zone: \`knotc zone-reload Z\`, \`nsd-control reload Z\`, rpdns
  has no such command yet (—). A zone added to the configuration, then rpdns \`SIGHUP\`,
  \`knotc reload\`, \`nsd-control reconfig\`. knotc talks to Knot's socket, and nsd-control
  reads a configuration holding only its socket, so neither client reads the zone list.
- **$delegations delegations** in deleg.example, as a TLD: 2 NS each, one in ten with glue
  below itself (A and AAAA), one in ten with a DS; the first answer is the apex SOA, and a
  referral for the last delegation is checked (kdig) before memory is read. Then 10
  reloads (the full-reload commands above), each waited for until served.
- **Query cost**: dnsperf \`-Q $FIXED_QPS\` for ${SECONDS_PER_RUN} s after ${WARMUP} s of warm-up, 40% www A, 20% www AAAA,
  10% mail A, 10% MX, 10% TXT, 10% NXDOMAIN: over z0 on a server with z0 alone, and over
  all $zones zones at random on the server of the first profile, after its reloads.

| profile | figure | rpdns | Knot DNS $KNOT_VERSION | NSD $NSD_VERSION | rpdns/Knot | rpdns/NSD |
|---|---|---|---|---|---|---|
$(scale_rows <<ROWS
$zones zones of 10 records|zones_load_s|d3|exec → last zone answers, s
|zones_rss_mb|d1|RSS, MiB
|zones_reload_all_s|d3|one zone changed: full reload until served, s
|zones_reload_one_s|d3|one zone changed: single-zone reload until served, s
|zones_add_s|d3|a zone added: reload until served, s
$delegations delegations in one zone|deleg_load_s|d3|exec → first answer, s
|deleg_rss_mb|d1|RSS steady, MiB
|deleg_peak_mb|d1|RSS peak while loading (VmHWM), MiB
|deleg_rss_reloads_mb|d1|RSS after 10 reloads, MiB
|deleg_reload_s|d3|reload until served, s (all reloads)
many-zones query cost|cost_one_cpu|d2|server CPU-s per 1M queries at $FIXED_QPS q/s, 1 zone
|cost_many_cpu|d2|server CPU-s per 1M queries at $FIXED_QPS q/s, $zones zones
ROWS
)
|  $(own_ratio_row "$zones zones ÷ 1 zone, same server" cost_many_cpu cost_one_cpu)
|  $(fold_row max cost_noise_pct "interference, % of the run, worst run")
|  $(fold_row sum cost_lost "lost queries, all runs together")
EOF
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


# The commit measured, marked when the work tree differs from it.
commit_label() {
  local commit
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
  fi
  echo "$commit"
}

# The report on stdout, and with every run's figures into FILE (its directory made).
write_report() {
  local out=$1 report key
  report=$(make_report)
  echo
  echo "$report"
  if [ ${#DNSSEC_STATUS[@]} -gt 0 ]; then
    log "WARNING: some servers were not measured on the signed zones (see \"Not measured\" in the report):"
    for key in "${!DNSSEC_STATUS[@]}"; do log "  $key: ${DNSSEC_STATUS[$key]} — ${DNSSEC_REASON[$key]}"; done
  fi
  mkdir -p "$(dirname "$out")"
  {
    echo "$report"
    raw_table
  } >"$out"
  log "results written to $out"
}
