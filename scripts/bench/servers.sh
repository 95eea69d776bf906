# shellcheck shell=bash
# scripts/bench/servers.sh: the servers under test — installing Knot, NSD and dnsperf,
# building rpdns, writing each server's configuration, starting and stopping them.
# Sourced by scripts/bench.sh after lib.sh.

# Debian's packages: dnsperf, knot, nsd (and the DNSSEC part's tools), when missing.
install_servers() {
  local packages=(dnsperf knot nsd) missing=() p
  # ldns-keygen and ldns-signzone sign the zones of the DNSSEC part; kdig checks the answers.
  if has_part dnssec; then packages+=(ldnsutils knot-dnsutils); fi
  # The scale part checks its referrals with kdig.
  if has_part scale; then packages+=(knot-dnsutils); fi
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

# A Release build of its own, without the tests, in build-bench/: build/ keeps the
# developers' RelWithDebInfo tree (switching it would rebuild everything each time).
BUILD=build-bench
build_rpdns() {
  if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    # Without BUILD_DIR, build.sh would configure build/ with the tests off.
    grep -q 'BUILD_DIR' scripts/build.sh || die "scripts/build.sh does not know BUILD_DIR (needed for $BUILD/)"
    scripts/setup.sh
    log "building (Release) in $BUILD/"
    BUILD_TYPE=Release BUILD_DIR=$BUILD scripts/build.sh -DRPDNS_BUILD_TESTS=OFF
  fi
  local binary
  for binary in rpdns rpdnsctl bench/rpdns-loadgen bench/rpdns-floor; do
    [ -x "$BUILD/$binary" ] || die "$BUILD/$binary is missing"
  done
}

# Measure a snapshot of the binaries, so that a rebuild during the run changes nothing.
snapshot_binaries() {
  mkdir -p "$TMP/bin"
  cp "$BUILD/rpdns" "$BUILD/rpdnsctl" "$BUILD/bench/rpdns-loadgen" "$BUILD/bench/rpdns-floor" "$TMP/bin/"
  RPDNS="$TMP/bin/rpdns"
  RPDNSCTL="$TMP/bin/rpdnsctl"
  LOADGEN="$TMP/bin/rpdns-loadgen"
  FLOOR="$TMP/bin/rpdns-floor"
}

# The versions the report names, and whether NSD was built with RRL (to turn it off).
server_versions() {
  KNOT_VERSION=$(knotd -V 2>&1 | awk 'NR == 1 { v = $NF } END { print v }')
  NSD_VERSION=$(nsd -v 2>&1 | awk '/^NSD version/ && v == "" { v = $3 } END { print v }')
  DNSPERF_VERSION=$(dpkg-query -W -f='${Version}' dnsperf 2>/dev/null || echo '?')
  NSD_HAS_RRL=0
  case $(nsd -v 2>&1 || true) in *--enable-ratelimit*) NSD_HAS_RRL=1 ;; esac
}

# zone_entries SERVER: the zones read on stdin ("ORIGIN FILE" a line) as entries of the
# server's configuration; Knot and NSD name the file relative to their zone directory.
zone_entries() {
  case $1 in
    knot) awk '{ n = split($2, p, "/"); printf "  - domain: %s\n    file: %s\n", $1, p[n] }' ;;
    nsd) awk '{ n = split($2, p, "/"); printf "zone:\n    name: %s\n    zonefile: %s\n", $1, p[n] }' ;;
    rpdns) awk '{ printf "  - origin: %s\n    file: %s\n", $1, $2 }' ;;
  esac
}

# write_config SERVER DIR ZONES PORT CONTROL: configuration files for knot and nsd (and,
# with CONTROL "yes", for rpdns) serving the zones listed in ZONES ("ORIGIN FILE" a line,
# the files all in one directory). With CONTROL "yes" NSD gets a control socket in DIR
# and nsd-control a configuration of its own, so that it does not read the zone list
# (Knot's socket is always DIR/knot.sock: its default, in its rundir).
write_config() {
  local server=$1 dir=$2 zones=$3 port=$4 control=$5 zonedir
  zonedir=$(dirname "$(awk '{ print $2; exit }' "$zones")")
  case $server in
    knot)
      {
        cat <<EOF
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
    storage: $zonedir
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    dnssec-signing: off
zone:
EOF
        zone_entries knot <"$zones"
      } >"$dir/knot.conf"
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
    zonesdir: "$zonedir"
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
        nsd_control_section "$dir" "$control"
        zone_entries nsd <"$zones"
      } >"$dir/nsd.conf"
      nsd-checkconf "$dir/nsd.conf" || die "nsd-checkconf rejected $dir/nsd.conf"
      if [ "$control" = yes ]; then nsd_control_section "$dir" yes >"$dir/nsd-control.conf"; fi
      ;;
    rpdns)
      [ "$control" = yes ] || return 0 # otherwise rpdns takes its zones as flags
      {
        printf 'listen: ["127.0.0.1:%s"]\nworkers: 1\nlog-level: warn\ncontrol:\n  socket: %s/rpdns.sock\nzones:\n' \
          "$port" "$dir"
        zone_entries rpdns <"$zones"
      } >"$dir/rpdns.yaml"
      ;;
  esac
}

# NSD's remote-control clause: off, or on a unix socket in DIR (no keys needed there).
nsd_control_section() {
  if [ "$2" = yes ]; then
    printf 'remote-control:\n    control-enable: yes\n    control-interface: %s/nsd.sock\n' "$1"
  else
    printf 'remote-control:\n    control-enable: no\n'
  fi
}

# append_zone SERVER ORIGIN FILE: one more zone in the configuration start_zones wrote
# (its zones come last in each file); the server sees it once told to (control_command).
append_zone() {
  local conf
  case $1 in knot) conf=knot.conf ;; nsd) conf=nsd.conf ;; rpdns) conf=rpdns.yaml ;; esac
  echo "$2 $3" | zone_entries "$1" >>"$RUN_DIR/$conf"
}

# A fresh directory for one server's run: its configuration, logs and client outputs.
SERVER_PID=""
RUN_DIR=""
new_run_dir() {
  RUN_DIR=$(mktemp -d "$TMP/run-$1.XXXX")
  mkdir -p "$RUN_DIR/db"
}

# launch COMMAND...: starts a server in the background, its output in RUN_DIR/server.log,
# and sets SERVER_PID and LAUNCH_US (when, in µs since the epoch, after its configuration
# was written); does not wait for it to answer.
launch() {
  LAUNCH_US=${EPOCHREALTIME//[!0-9]/}
  "$@" >"$RUN_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
}

# start_server SERVER ORIGIN ZONEFILE PORT PIN(yes/no): one zone, rpdns with --zone.
start_server() {
  local server=$1 origin=$2 zonefile=$3 port=$4 pin=$5 cmd=()
  new_run_dir "$server"
  echo "$origin $zonefile" >"$RUN_DIR/zones.list"
  write_config "$server" "$RUN_DIR" "$RUN_DIR/zones.list" "$port" no
  case $server in
    rpdns) cmd=("$RPDNS" --listen "127.0.0.1:$port" --workers 1 --log-level warn --zone "$origin=$zonefile") ;;
    knot) cmd=(knotd -c "$RUN_DIR/knot.conf") ;;
    nsd) cmd=(nsd -d -c "$RUN_DIR/nsd.conf") ;;
    floor) cmd=("$FLOOR" 127.0.0.1 "$port") ;;
  esac
  if [ "$pin" = yes ]; then cmd=("${PIN_SERVER[@]}" "${cmd[@]}"); fi
  launch "${cmd[@]}"
}

# start_zones SERVER ZONES PORT: the zones listed in ZONES, not pinned, and controllable
# (control_command): rpdns reads them from a configuration file that SIGHUP re-reads.
start_zones() {
  local server=$1 port=$3 cmd=()
  new_run_dir "$server"
  write_config "$server" "$RUN_DIR" "$2" "$port" yes
  case $server in
    rpdns) cmd=("$RPDNS" --config "$RUN_DIR/rpdns.yaml") ;;
    knot) cmd=(knotd -c "$RUN_DIR/knot.conf") ;;
    nsd) cmd=(nsd -d -c "$RUN_DIR/nsd.conf") ;;
  esac
  launch "${cmd[@]}"
}

# control_command SERVER ACTION [ZONE]: sets CONTROL_CMD to the command line that makes a
# server started by start_zones do ACTION, or to nothing when it has no such command:
#   reload  re-read the zone files that changed (rpdns's SIGHUP re-reads its config too);
#   zone    re-read ZONE's file alone;
#   config  re-read the configuration and serve the zones added to it.
# knotc and nsd-control wait for the server's answer (knotc up to 5 minutes).
CONTROL_CMD=()
control_command() {
  local knotc=(knotc -s "$RUN_DIR/knot.sock" -t 300) nsdc=(nsd-control -c "$RUN_DIR/nsd-control.conf")
  CONTROL_CMD=()
  case $1/$2 in
    rpdns/reload | rpdns/config) CONTROL_CMD=(kill -HUP "$SERVER_PID") ;;
    rpdns/zone) CONTROL_CMD=("$RPDNSCTL" --control "$RUN_DIR/rpdns.sock" --timeout 300 reload "$3") ;;
    knot/reload | knot/config) CONTROL_CMD=("${knotc[@]}" reload) ;;
    knot/zone) CONTROL_CMD=("${knotc[@]}" zone-reload "$3") ;;
    nsd/reload) CONTROL_CMD=("${nsdc[@]}" reload) ;;
    nsd/zone) CONTROL_CMD=("${nsdc[@]}" reload "$3") ;;
    nsd/config) CONTROL_CMD=("${nsdc[@]}" reconfig) ;;
  esac
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

# The server's log lines that report problems (at most 5; NSD's log file too).
log_problems() {
  cat "$RUN_DIR/server.log" "$RUN_DIR/nsd.log" 2>/dev/null |
    awk 'tolower($0) ~ /error|fail|warn|refus|reject|bad|invalid/ && n++ < 5' || true
}
