# shellcheck shell=bash
# scripts/bench/servers.sh: the servers under test — installing Knot, NSD and dnsperf,
# building rpdns, writing each server's configuration, starting and stopping them.
# Sourced by scripts/bench.sh after lib.sh.

# Debian's packages: dnsperf, knot, nsd (and the DNSSEC part's tools), when missing.
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
  for binary in rpdns bench/rpdns-loadgen bench/rpdns-floor; do
    [ -x "$BUILD/$binary" ] || die "$BUILD/$binary is missing"
  done
}

# Measure a snapshot of the binaries, so that a rebuild during the run changes nothing.
snapshot_binaries() {
  mkdir -p "$TMP/bin"
  cp "$BUILD/rpdns" "$BUILD/bench/rpdns-loadgen" "$BUILD/bench/rpdns-floor" "$TMP/bin/"
  RPDNS="$TMP/bin/rpdns"
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

# The server's log lines that report problems (at most 5; NSD's log file too).
log_problems() {
  cat "$RUN_DIR/server.log" "$RUN_DIR/nsd.log" 2>/dev/null |
    awk 'tolower($0) ~ /error|fail|warn|refus|reject|bad|invalid/ && n++ < 5' || true
}
