# shellcheck shell=bash
# scripts/bench/ixfr.sh: part six, IXFR (BENCH_IXFR=1 or "ixfr" in BENCH_PARTS; off by
# default). One zone of IXFR_RECORDS records (make_big_zone), served with its journal of
# differences: rpdns as it is (a journal beside the zone file), Knot with
# `zonefile-load: difference` and `journal-content: changes` (its journal in its
# database). NSD 4.6, Debian 12's, has no IXFR out (store-ixfr came in 4.7): not run.
# Per server: exec until the first answer (the full load); one record added and the
# serial raised, then a reload (rpdns SIGHUP, knotc reload) until the new name answers
# (the reload with its difference) and RSS and peak RSS after it; then an IXFR from the
# old serial and an AXFR, over TCP with kdig: bytes received and wall time. Not pinned.

IXFR_RECORDS=${BENCH_IXFR_RECORDS:-1000000}

prepare_ixfr_zone() {
  IXFR_DIR=$TMP/ixfr
  mkdir -p "$IXFR_DIR"
  log "part 6 (ixfr): generating a zone of $IXFR_RECORDS records"
  make_big_zone "$IXFR_RECORDS" >"$IXFR_DIR/big.pristine"
}

# The configuration start_zones would write, with transfers allowed to 127.0.0.1 and,
# for Knot, its journal of the zone file's differences.
write_ixfr_config() {
  local server=$1 port=$2
  write_config "$server" "$RUN_DIR" "$RUN_DIR/zones.list" "$port" yes
  case $server in
    rpdns) printf '    allow-transfer: [127.0.0.1]\n' >>"$RUN_DIR/rpdns.yaml" ;;
    knot)
      sed -i -e 's/zonefile-load: whole/zonefile-load: difference/' \
        -e 's/journal-content: none/journal-content: changes/' \
        -e 's/^zone:$/acl:\n  - id: local\n    address: 127.0.0.1\n    action: transfer\nzone:/' "$RUN_DIR/knot.conf"
      printf '    acl: local\n' >>"$RUN_DIR/knot.conf"
      ;;
  esac
}

# kdig_transfer PORT TYPE: sets XFR_BYTES (received, as kdig counts them) and XFR_S.
kdig_transfer() {
  local out=$RUN_DIR/xfr.out t0 t1
  t0=${EPOCHREALTIME//[!0-9]/}
  kdig @127.0.0.1 -p "$1" +tcp +nocookie +time=60 big.example "$2" >"$out" 2>&1 || server_failed "kdig $2 failed"
  t1=${EPOCHREALTIME//[!0-9]/}
  XFR_BYTES=$(awk '/^;; Received/ { print $3; exit }' "$out")
  [ -n "$XFR_BYTES" ] || server_failed "kdig $2: no transfer (see $out)"
  XFR_S=$(seconds_between "$t0" "$t1")
}

ixfr_session() {
  local round=$1 server=$2 port zone_dir old_serial=2026010101 new_serial=2026010102
  port=$(pick_port)
  new_run_dir "$server"
  zone_dir=$RUN_DIR/zone
  mkdir -p "$zone_dir"
  cp "$IXFR_DIR/big.pristine" "$zone_dir/big.zone"
  echo "big.example $zone_dir/big.zone" >"$RUN_DIR/zones.list"
  write_ixfr_config "$server" "$port"
  case $server in
    rpdns) launch "$RPDNS" --config "$RUN_DIR/rpdns.yaml" ;;
    knot) launch knotd -c "$RUN_DIR/knot.conf" ;;
  esac
  poll_answer "$port" big.example/SOA
  record "$round" "$server" ixfr_load_s "$(seconds_between "$LAUNCH_US" "$POLL_US")"
  sleep 1
  sed -i "s/ $old_serial / $new_serial /" "$zone_dir/big.zone"
  echo "ixfr-new A 198.51.100.7" >>"$zone_dir/big.zone"
  control_command "$server" reload
  timed_change "$port" ixfr-new.big.example/A
  record "$round" "$server" ixfr_reload_s "$TIMED_S"
  sleep 1
  record "$round" "$server" ixfr_rss_mb "$(awk -v k="$(tree_kb "$SERVER_PID" status VmRSS)" 'BEGIN { printf "%.1f", k / 1024 }')"
  record "$round" "$server" ixfr_peak_mb "$(awk -v k="$(tree_kb "$SERVER_PID" status VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }')"
  kdig_transfer "$port" "IXFR=$old_serial"
  record "$round" "$server" ixfr_bytes "$XFR_BYTES"
  record "$round" "$server" ixfr_s "$XFR_S"
  kdig_transfer "$port" AXFR
  record "$round" "$server" axfr_bytes "$XFR_BYTES"
  record "$round" "$server" axfr_s "$XFR_S"
  stop_server "$SERVER_PID"
}

run_part_ixfr() {
  prepare_ixfr_zone
  log "part 6 (ixfr): $ROUNDS round(s)"
  each_round ixfr_session rpdns knot
}

report_ixfr() {
  cat <<EOF

## IXFR: a one-record change to a zone of $(thousands "$IXFR_RECORDS") records

One worker per server, not pinned; $ROUNDS round(s). rpdns keeps its journal beside the
zone file (journal-size 4 MiB, depth 20, the defaults); Knot runs with
\`zonefile-load: difference\` and \`journal-content: changes\`. NSD 4.6 (Debian 12's) has
no IXFR out and is not run (—). The change: one name added and the serial raised; the
reload (rpdns \`SIGHUP\`, \`knotc reload\`) is timed until the new name answers, which
includes reading the whole file again and computing the difference. Transfers: kdig over
TCP from 127.0.0.1, bytes as kdig counts them, wall time of the whole kdig run.

| figure | rpdns | Knot DNS $KNOT_VERSION | NSD $NSD_VERSION | rpdns/Knot | rpdns/NSD |
|---|---|---|---|---|---|
$(row ixfr_load_s d3 "exec → first answer (the full load), s")
$(row ixfr_reload_s d3 "one record added: reload with its difference until served, s")
$(row ixfr_rss_mb d1 "RSS after the reload, MiB")
$(row ixfr_peak_mb d1 "RSS peak (VmHWM), MiB")
$(row ixfr_bytes int "IXFR of the change, bytes")
$(row ixfr_s d3 "IXFR of the change, s")
$(row axfr_bytes int "AXFR of the zone, bytes")
$(row axfr_s d3 "AXFR of the zone, s")
EOF
}
