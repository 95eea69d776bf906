#!/usr/bin/env bash
# Builds the rpdns image from docker/Dockerfile and checks it the way doc/container.md
# tells operators to use it: docker build, docker run with zones mounted and port
# 53 published, docker kill --signal=HUP, docker logs, docker stop, and compose
# with the dnsperf load service.
#
# Without a reachable Docker engine (the case on our machines and in CI) it sets
# up rootful podman from Debian's packages, imports a debootstrapped base as
# debian:bookworm(-slim) because no registry can be reached, and runs
# `podman system service`, so that the docker CLI itself drives every step
# through DOCKER_HOST.
#
# Idempotent, non-interactive, every wait bounded; exits non-zero if any check
# fails. Images are kept as a cache for the next run; containers, networks, the
# service process and temp files are removed.
#
# Then docker/monitoring/compose.yaml: Prometheus (Debian's package, its alert
# rules tested with promtool as the image is built) scrapes rpdns, lists it as
# an up target and returns rpdns_queries_total.
#
# Then it brings up docker/secondaries/compose.yaml, doc/transfers.md's hidden primary
# with two rpdns secondaries and TSIG: both take the zone by signed AXFR, and
# after a change on the primary and its SIGHUP both serve the new serial.
#
# Last, when scripts/package.sh has made build/rpdns_*.deb, it installs the
# package in a fresh debian:bookworm container, checks its configuration,
# user, conffile and unit (systemd-analyze verify and security), and purges it.
#
# Environment: RPDNS_TEST_PORT (default 15353), RPDNS_TEST_COMPOSE_PORT (default
# 15354), RPDNS_TEST_SECONDARY_PORTS (default "15355 15356") and
# RPDNS_TEST_MONITORING_PORTS (rpdns and Prometheus, default "15357 15358") are
# the loopback ports published; never port 53.
set -euo pipefail
export LC_ALL=C   # "." as the decimal point of $EPOCHREALTIME and awk
cd "$(dirname "$0")/.."

readonly IMAGE=rpdns
readonly PORT=${RPDNS_TEST_PORT:-15353}
readonly COMPOSE_PORT=${RPDNS_TEST_COMPOSE_PORT:-15354}
read -r SECONDARY_PORT_1 SECONDARY_PORT_2 <<<"${RPDNS_TEST_SECONDARY_PORTS:-15355 15356}"
readonly SECONDARY_PORT_1 SECONDARY_PORT_2
read -r MONITOR_DNS_PORT PROMETHEUS_PORT <<<"${RPDNS_TEST_MONITORING_PORTS:-15357 15358}"
readonly MONITOR_DNS_PORT PROMETHEUS_PORT
readonly NAME=rpdns-container-test-$$
readonly START=$EPOCHREALTIME
# A project name of our own, so a developer's own `docker compose` project in
# docker/ is never touched; the compose commands are otherwise doc/container.md's.
export COMPOSE_PROJECT_NAME=rpdns-container-test
WORK=$(mktemp -d /tmp/rpdns-container-test.XXXXXX)
readonly WORK
ENGINE=""          # "docker" or "podman": what answers behind the docker CLI
SERVICE_PID=""     # our `podman system service`, if we started one
CHILD=""           # the long command under `bounded`, if one is running
CONTAINER_STARTED="" COMPOSE_STARTED="" XFR_STARTED="" POLICY_ADDED="" APT_UPDATED="" SYSTEMD_STARTED=""
MONITOR_STARTED=""
COMPOSE=()
PASSED=0 FAILED=0

log() { printf 'container-test: %s\n' "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
ok() { PASSED=$((PASSED + 1)); log "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); log "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
# grep -q on a here-string, not at the end of a pipe: with pipefail, a writer
# cut off by grep's early exit (SIGPIPE) would turn a match into a failure.
has() { grep -qF -- "$1" <<<"$2"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# `timeout SECONDS CMD...` run in the background and waited for: bash runs the
# INT/TERM trap only between commands, and `wait` is one it can interrupt, so a
# stopped run cleans up at once rather than after a long build. timeout passes
# the TERM that cleanup sends on to the command.
bounded() {
  local rc=0
  timeout "$@" &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}

# Retries "$@" until it succeeds or SECONDS run out. Each attempt must be
# bounded by itself (the docker calls below carry their own timeouts).
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# --- cleanup: everything this run started, whatever the exit path ----------

cleanup() {
  local rc=$?
  set +e
  if [ -n "$CHILD" ]; then kill "$CHILD" 2>/dev/null; wait "$CHILD" 2>/dev/null; fi
  [ -n "$CONTAINER_STARTED" ] && timeout 30 docker rm -f "$NAME" >/dev/null 2>&1
  [ -n "$COMPOSE_STARTED" ] && compose 60 down --remove-orphans --timeout 5 >/dev/null 2>&1
  [ -n "$XFR_STARTED" ] && xfr 60 down -v --remove-orphans --timeout 5 >/dev/null 2>&1
  [ -n "$SYSTEMD_STARTED" ] && timeout 30 podman rm -f "$NAME-systemd" >/dev/null 2>&1
  [ -n "$MONITOR_STARTED" ] && monitoring 60 down --remove-orphans --timeout 5 >/dev/null 2>&1
  stop_service
  [ -n "$POLICY_ADDED" ] && rm -f /usr/sbin/policy-rc.d
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $s != Z* ]]; }

stop_service() {
  [ -n "$SERVICE_PID" ] || return 0
  kill "$SERVICE_PID" 2>/dev/null
  local _
  for _ in $(seq 50); do alive "$SERVICE_PID" || break; sleep 0.2; done
  alive "$SERVICE_PID" && kill -9 "$SERVICE_PID" 2>/dev/null
  wait "$SERVICE_PID" 2>/dev/null
  SERVICE_PID=""
}

# --- packages ----------------------------------------------------------------

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

# apt-get install of whatever is missing; apt-get update at most once a run.
# A policy-rc.d answering 101 keeps packages from starting daemons (as in
# scripts/setup.sh): nothing may end up listening on port 53.
install_missing() {
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "needs root to install ${missing[*]}"
  log "installing ${missing[*]}"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    POLICY_ADDED=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$APT_UPDATED" ]; then
    bounded 120 apt-get update -q >>"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log" >&2; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  bounded 300 apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1 ||
    { tail -30 "$WORK/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
  [ -n "$POLICY_ADDED" ] && rm -f /usr/sbin/policy-rc.d && POLICY_ADDED=""
  return 0
}

# --- engine ------------------------------------------------------------------

docker_reachable() { timeout 10 docker version >/dev/null 2>&1; }

# podman behind the docker socket needs `podman healthcheck run` (below).
engine_kind() {
  local names
  names=$(timeout 10 docker version --format '{{range .Server.Components}}{{.Name}};{{end}}')
  if grep -qi podman <<<"$names"; then
    echo podman
  else
    echo docker
  fi
}

# crun fails here ("cgroups in hybrid mode not supported") and the default
# ulimits cannot be set ("setrlimit RLIMIT_NOFILE: Operation not permitted"):
# runc and explicit ulimits fix both. netavark is named because podman would
# otherwise pick CNI (its package ships a CNI config) without the CNI plugins.
write_containers_conf() {
  cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
[network]
network_backend = "netavark"
EOF
  export CONTAINERS_CONF=$WORK/containers.conf
}

prepare_podman() {
  [ "$(id -u)" -eq 0 ] || die "no Docker engine reachable, and rootful podman needs root"
  # netavark runs iptables for published ports ("netavark: No such file or
  # directory" without it); aardvark-dns resolves compose service names.
  install_missing podman buildah runc debootstrap netavark aardvark-dns iptables
  write_containers_conf
  # podman's own CLI would build OCI images, which drop HEALTHCHECK.
  export BUILDAH_FORMAT=docker
  ensure_base_images
  start_service
}

start_service() {
  local sock=$WORK/podman.sock
  podman system service --time=0 "unix://$sock" >"$WORK/service.log" 2>&1 &
  SERVICE_PID=$!
  export DOCKER_HOST=unix://$sock
  # The docker CLI would use BuildKit through buildx if installed; podman's API
  # serves the classic build endpoint only.
  export DOCKER_BUILDKIT=0
  wait_for 20 docker_reachable || { cat "$WORK/service.log" >&2; die "podman system service did not answer"; }
}

prepare_engine() {
  command -v docker >/dev/null || die "the docker CLI is missing"
  if docker_reachable; then
    ENGINE=$(engine_kind)
  else
    unset DOCKER_HOST
    prepare_podman
    ENGINE=podman
  fi
  log "engine: $(timeout 10 docker version --format '{{.Server.Version}}') ($ENGINE) via docker CLI $(timeout 10 docker version --format '{{.Client.Version}}')${DOCKER_HOST:+, DOCKER_HOST=$DOCKER_HOST}"
}

# --- base image (podman only: no registry to pull debian:bookworm from) -------

# The Debian mirror and security mirror named in the machine's apt sources.
apt_uris() {
  {
    grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | sed -E 's/^[[:space:]]*URIs:[[:space:]]*//' | tr ' ' '\n'
    grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
      sed -E 's/\[[^]]*\]//' | awk '{ print $2 }'
  } | sed -E 's#/+$##' || true  # a missing sources.list is no error
}

write_sources() {  # apt sources for the image: the same mirrors as the host's
  local mirror=$1 security=$2 key=/usr/share/keyrings/debian-archive-keyring.gpg
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: %s\n' "$mirror" "$key"
  [ -z "$security" ] ||
    printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: %s\n' "$security" "$key"
}

# What the official slim images do: no docs, man pages or locales, now or in
# later apt-get installs; no apt lists or caches.
slim_rootfs() {
  local root=$1
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/man/* "$root"/usr/share/info/*
  find "$root/var/log" -type f -delete
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    >"$root/etc/dpkg/dpkg.cfg.d/slim"
  printf 'APT::Install-Recommends "false";\n' >"$root/etc/apt/apt.conf.d/99no-recommends"
}

ensure_base_images() {
  podman image exists debian:bookworm && podman image exists debian:bookworm-slim && return 0
  local t0=$EPOCHREALTIME root=$WORK/rootfs mirror security
  mirror=$(apt_uris | grep -E '/debian$' | head -n1)
  security=$(apt_uris | grep -E '/debian-security$' | head -n1)
  mirror=${mirror:-http://deb.debian.org/debian}
  log "no debian:bookworm image: debootstrap --variant=minbase bookworm from $mirror"
  bounded 300 debootstrap --variant=minbase bookworm "$root" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  slim_rootfs "$root"
  rm -f "$root/etc/apt/sources.list"
  write_sources "$mirror" "$security" >"$root/etc/apt/sources.list.d/debian.sources"
  tar -C "$root" -c . | timeout 120 podman import --change 'CMD ["bash"]' - debian:bookworm >"$WORK/import.log" 2>&1 ||
    { cat "$WORK/import.log" >&2; die "podman import failed"; }
  timeout 30 podman tag debian:bookworm debian:bookworm-slim
  rm -rf "$root"
  log "base image debian:bookworm(-slim) ready in $(since "$t0") s"
}

# --- compose -----------------------------------------------------------------

# `docker compose` (v2 plugin) when present, else Debian's docker-compose: same
# subcommands and file. The plugin is not packaged in Debian 12.
prepare_compose() {
  if timeout 10 docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  else
    command -v docker-compose >/dev/null || install_missing docker-compose
    COMPOSE=(docker-compose)
  fi
}
compose() { local t=$1; shift; bounded "$t" "${COMPOSE[@]}" -f docker/compose.yaml "$@"; }  # SECONDS ARGS
# The primary-and-secondaries example, as a project of its own.
xfr() {
  local t=$1; shift
  bounded "$t" "${COMPOSE[@]}" -p rpdns-container-test-xfr -f docker/secondaries/compose.yaml "$@"
}

# The monitoring example, as a project of its own.
monitoring() {
  local t=$1; shift
  bounded "$t" "${COMPOSE[@]}" -p rpdns-container-test-mon -f docker/monitoring/compose.yaml "$@"
}

# --- the checks --------------------------------------------------------------

dig_at() { dig +norec +time=1 +tries=1 @127.0.0.1 -p "$@"; }

# PORT NAME TYPE DATA: the reply has the aa flag and NAME TYPE DATA in it.
authoritative() {
  local out
  out=$(dig_at "$1" "$2" "$3") || return 1
  grep -Eq '^;; flags:[^;]* aa[ ;]' <<<"$out" && grep -Eq "[[:space:]]$3[[:space:]]+$4\$" <<<"$out"
}

# PORT NAME TYPE: an authoritative answer over TCP.
authoritative_tcp() { dig_at "$1" +tcp "$2" "$3" | grep -Eq '^;; flags:[^;]* aa[ ;]'; }

status_is() { has "status: $4," "$(dig_at "$1" "$2" "$3")"; }

healthy() {
  # podman schedules health checks with systemd timers, and there is no systemd
  # here: run the image's HEALTHCHECK now, then read what the engine recorded.
  if [ "$ENGINE" = podman ]; then timeout 20 podman healthcheck run "$1" >/dev/null 2>&1 || true; fi
  [ "$(timeout 10 docker inspect -f '{{.State.Health.Status}}' "$1")" = healthy ]
}

# Read from the host's /proc (no `docker exec`: through podman's API it leaves a
# conmon behind for minutes). Uid 10053 everywhere, and only the one capability
# the binary's file capability grants (0x400 = cap_net_bind_service).
runs_as_non_root() {
  local pid status
  pid=$(timeout 10 docker inspect -f '{{.State.Pid}}' "$NAME") && status=$(cat "/proc/$pid/status") || return 1
  log "     pid $pid: $(grep -E '^(Name|Uid|CapEff):' <<<"$status" | tr -s '\t\n' '  ')"
  grep -Eq '^Uid:[[:space:]]+10053[[:space:]]+10053[[:space:]]+10053[[:space:]]+10053$' <<<"$status" &&
    grep -Eq '^CapEff:[[:space:]]+0000000000000400$' <<<"$status"
}

build_image() {
  local t0=$EPOCHREALTIME
  bounded 480 docker build -f docker/Dockerfile -t "$IMAGE" . >"$WORK/build.log" 2>&1 ||
    { tail -40 "$WORK/build.log" >&2; die "docker build failed"; }
  log "timing: docker build -f docker/Dockerfile -t $IMAGE . took $(since "$t0") s"
}

check_image_size() {
  local bytes
  bytes=$(timeout 10 docker image inspect -f '{{.Size}}' "$IMAGE")
  log "image size: $IMAGE $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB ($bytes bytes; limit 150 MB)"
  [ "$bytes" -lt 150000000 ]
}

run_container() {
  cp -r zones "$WORK/zones"
  chmod -R a+rX "$WORK/zones"  # read inside by uid 10053, whatever our umask
  local t0=$EPOCHREALTIME
  CONTAINER_STARTED=1
  # --stop-timeout 10 is Docker's default, spelled out because containers made
  # through podman's Docker API get 0 (docker stop would SIGKILL at once).
  timeout 60 docker run -d --name "$NAME" --stop-timeout 10 -p "127.0.0.1:$PORT:53/udp" -p "127.0.0.1:$PORT:53/tcp" \
    -v "$WORK/zones:/etc/rpdns/zones:ro" "$IMAGE" >/dev/null || die "docker run failed"
  wait_for 20 authoritative "$PORT" www.example.com A 192.0.2.80 ||
    { timeout 10 docker logs "$NAME" >&2; die "no answer on 127.0.0.1:$PORT"; }
  log "timing: first authoritative answer $(since "$t0") s after docker run"
}

# Bumps the SOA serial and adds a name, written aside and moved into place as
# doc/container.md advises, then asks for a reload that page's way.
reload_zone() {
  local f=$WORK/zones/example.com.zone serial t0
  serial=$(dig_at "$PORT" +short example.com SOA | awk '{ print $3 }')
  [ -n "$serial" ] || return 1
  sed "0,/\\b$serial\\b/s//$((serial + 1))/" "$f" >"$f.new"
  printf 'reload-test.example.com. 300 IN A 192.0.2.99\n' >>"$f.new"
  chmod a+r "$f.new" && mv "$f.new" "$f"
  t0=$EPOCHREALTIME
  timeout 30 docker kill --signal=HUP "$NAME" >/dev/null || return 1
  wait_for 10 authoritative "$PORT" reload-test.example.com A 192.0.2.99 || return 1
  log "timing: new zone served $(since "$t0") s after docker kill --signal=HUP"
  logs_show "zone example.com.: serial $serial -> $((serial + 1))"
}

# An upgrade in the container (docker kill --signal=USR2): rpdns as PID 1
# stays behind as a supervisor, so the container keeps running while a new
# process takes the sockets over; queries sent meanwhile are all answered.
upgrade_container() {
  local t0=$EPOCHREALTIME failed=0 i
  timeout 30 docker kill --signal=USR2 "$NAME" >/dev/null || return 1
  for i in $(seq 30); do
    authoritative "$PORT" www.example.com A 192.0.2.80 || failed=$((failed + 1))
  done
  wait_for 20 logs_show "took over from the predecessor" || return 1
  log "timing: upgrade done $(since "$t0") s after docker kill --signal=USR2; $failed of 30 queries meanwhile unanswered"
  [ "$failed" -eq 0 ] && [ "$(timeout 10 docker inspect -f '{{.State.Running}}' "$NAME")" = true ] &&
    authoritative "$PORT" www.example.com A 192.0.2.80
}

stop_container() {
  local t0=$EPOCHREALTIME took
  timeout 30 docker stop "$NAME" >/dev/null || return 1
  took=$(since "$t0")
  log "timing: docker stop took $took s (limit 2 s)"
  [ "$(timeout 10 docker inspect -f '{{.State.ExitCode}}' "$NAME")" = 0 ] &&
    awk -v t="$took" 'BEGIN { exit !(t < 2) }'
}

logs_show() { has "$1" "$(timeout 10 docker logs "$NAME" 2>&1)"; }

dnsperf_ok() {  # every query answered (a lost one would be a bug on loopback)
  grep -E 'Queries (sent|completed|lost)|Queries per second' "$WORK/dnsperf.log" | sed 's/^ */     /' >&2
  grep -Eq 'Queries completed:[[:space:]]+[1-9][0-9]* \(100\.00%\)' "$WORK/dnsperf.log"
}

# The zones here are the repository's own (read-only mount): nothing changes,
# so the log says the reload ran rather than a new serial.
compose_reloaded() { has "reload: done" "$(compose 10 logs rpdns 2>&1)"; }
compose_reload() {
  compose 30 kill -s HUP rpdns >/dev/null 2>&1 && wait_for 10 compose_reloaded
}

compose_down() { compose 60 down --timeout 5 >"$WORK/compose-down.log" 2>&1; }

compose_checks() {
  local t0=$EPOCHREALTIME id
  export RPDNS_PUBLISH=127.0.0.1:$COMPOSE_PORT
  compose 480 build >"$WORK/compose-build.log" 2>&1 ||
    { tail -30 "$WORK/compose-build.log" >&2; fail "compose build"; return; }
  log "timing: compose build took $(since "$t0") s"
  COMPOSE_STARTED=1
  compose 120 up -d rpdns >"$WORK/compose-up.log" 2>&1 ||
    { cat "$WORK/compose-up.log" >&2; fail "compose up -d rpdns"; return; }
  id=$(compose 30 ps -q rpdns)
  check "compose: rpdns reports healthy" wait_for 60 healthy "$id"
  check "compose: authoritative answer on 127.0.0.1:$COMPOSE_PORT" \
    wait_for 10 authoritative "$COMPOSE_PORT" www.example.com A 192.0.2.80
  check "compose: kill -s HUP rpdns reloads" compose_reload
  t0=$EPOCHREALTIME
  compose 120 run --rm dnsperf >"$WORK/dnsperf.log" 2>&1 || cat "$WORK/dnsperf.log" >&2
  log "timing: compose run --rm dnsperf took $(since "$t0") s"
  check "compose: dnsperf got every query answered" dnsperf_ok
  check "compose: down" compose_down
  COMPOSE_STARTED=""
}

# --- the primary and its two secondaries (docker/secondaries) ---------------

soa_serial() { dig_at "$1" +short example.com SOA | awk '{ print $3 }'; }
# PORT SERIAL: an authoritative SOA with that serial.
serves_serial() { [ "$(soa_serial "$1")" = "$2" ] && authoritative_tcp "$1" example.com SOA; }
both_serve() { serves_serial "$SECONDARY_PORT_1" "$1" && serves_serial "$SECONDARY_PORT_2" "$1"; }
xfr_logs() { xfr 10 logs "$1" 2>&1; }
xfr_logs_show() { has "$2" "$(xfr_logs "$1")"; }

xfr_down() { xfr 60 down -v --timeout 5 >"$WORK/xfr-down.log" 2>&1; }

xfr_up() {
  # One `up` for all three: docker-compose 1.x compares the network with the
  # file on every later `up`, and podman's report of it (IPAM option
  # driver=host-local) never matches. Compose starts the secondaries once the
  # primary is healthy, and under podman only `healthy` runs the check (see
  # there): it runs beside compose until compose is done.
  local up id="" rc=0
  xfr 180 up -d >"$WORK/xfr-up.log" 2>&1 &
  up=$!
  while alive "$up"; do
    [ -n "$id" ] || id=$(timeout 10 docker ps -q --filter name=rpdns-container-test-xfr_primary 2>/dev/null) || true
    [ -z "$id" ] || healthy "$id" >/dev/null 2>&1 || true
    sleep 1
  done
  wait "$up" || rc=$?
  [ "$rc" -eq 0 ] || { cat "$WORK/xfr-up.log" >&2; xfr_logs primary >&2; }
  return "$rc"
}

# Raises the serial of the primary's copy and asks it to reload.
xfr_change() {
  local f=$RPDNS_PRIMARY_ZONES/example.com.zone
  sed "0,/\\b$1\\b/s//$2/" "$f" >"$f.new"
  printf 'xfr-test.example.com. 300 IN A 192.0.2.98\n' >>"$f.new"
  chmod a+r "$f.new" && mv "$f.new" "$f"
  xfr 30 kill -s HUP primary >/dev/null 2>&1
}

secondaries_checks() {
  local serial t0
  export RPDNS_PRIMARY_ZONES=$WORK/primary-zones
  export RPDNS_SECONDARY_1=127.0.0.1:$SECONDARY_PORT_1 RPDNS_SECONDARY_2=127.0.0.1:$SECONDARY_PORT_2
  cp -r zones "$RPDNS_PRIMARY_ZONES"
  chmod -R a+rX "$RPDNS_PRIMARY_ZONES"
  serial=$(awk '/; serial/ { print $1; exit }' "$RPDNS_PRIMARY_ZONES/example.com.zone")
  XFR_STARTED=1
  t0=$EPOCHREALTIME
  if ! xfr_up; then fail "secondaries: compose up, primary healthy"; return 0; fi
  ok "secondaries: compose up, primary healthy"
  # The primary admits only signed transfers: a copy on a secondary means the
  # key worked both ways.
  check "secondaries: both serve serial $serial from the hidden primary" wait_for 60 both_serve "$serial"
  log "timing: both secondaries serving $(since "$t0") s after compose up"
  check "secondaries: secondary-1 logs a transfer" xfr_logs_show secondary-1 "AXFR of serial $serial"
  t0=$EPOCHREALTIME
  check "secondaries: change on the primary, SIGHUP" xfr_change "$serial" "$((serial + 1))"
  check "secondaries: both serve serial $((serial + 1)) within 10 s" wait_for 10 both_serve "$((serial + 1))"
  log "timing: new serial on both secondaries $(since "$t0") s after the primary's SIGHUP"
  check "secondaries: the new name answered" authoritative "$SECONDARY_PORT_2" xfr-test.example.com A 192.0.2.98
  check "secondaries: secondary-1 took the change by IXFR" xfr_logs_show secondary-1 "IXFR of serial $((serial + 1))"
  check "secondaries: down -v" xfr_down
  XFR_STARTED=""
}

# --- the monitoring example (docker/monitoring) --------------------------------

prometheus_api() { curl -fsS --max-time 5 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/$1"; }
target_up() { has '"health":"up"' "$(prometheus_api targets)"; }
scraped() { has '"__name__":"rpdns_queries_total"' "$(prometheus_api 'query?query=rpdns_queries_total')"; }
rules_loaded() { has '"name":"RpdnsWorkerImbalance"' "$(prometheus_api rules)"; }

monitoring_checks() {
  install_missing curl  # the Prometheus API
  export RPDNS_PUBLISH=127.0.0.1:$MONITOR_DNS_PORT PROMETHEUS_PUBLISH=127.0.0.1:$PROMETHEUS_PORT
  local t0=$EPOCHREALTIME
  MONITOR_STARTED=1
  if ! monitoring 600 up -d --build >"$WORK/monitoring-up.log" 2>&1; then
    tail -30 "$WORK/monitoring-up.log" >&2
    fail "monitoring: compose up (rpdns and Prometheus)"
    return 0
  fi
  ok "monitoring: compose up (rpdns and Prometheus)"
  log "timing: monitoring example up in $(since "$t0") s"
  check "monitoring: rpdns answers" wait_for 30 authoritative "$MONITOR_DNS_PORT" www.example.com A 192.0.2.80
  check "monitoring: Prometheus lists rpdns as an up target" wait_for 60 target_up
  check "monitoring: Prometheus returns rpdns_queries_total" wait_for 30 scraped
  check "monitoring: Prometheus loaded the alert rules" rules_loaded
  monitoring 60 down --timeout 5 >"$WORK/monitoring-down.log" 2>&1 && MONITOR_STARTED=""
}

# --- the Debian package (scripts/package.sh) ----------------------------------

# Run inside a fresh debian:bookworm container with the package in /pkg: it
# installs (its dependencies from the archive), its configuration passes
# --check-config, the user exists, systemd-analyze accepts the unit and rates
# it, and a purge leaves neither the files nor the user. Prints a "PKG ..."
# line per fact for the host to check.
package_script() {
  cat <<'SCRIPT'
set -u
export DEBIAN_FRONTEND=noninteractive
rm -f /etc/dpkg/dpkg.cfg.d/slim  # the man pages too: systemd-analyze verify reads them
apt-get update -q >/tmp/update.log 2>&1
apt-get install -y -q --no-install-recommends /pkg/rpdns.deb systemd man-db >/tmp/install.log 2>&1 &&
  echo "PKG installed" || tail -20 /tmp/install.log
rpdns --check-config /etc/rpdns/rpdns.yaml >/tmp/check.log 2>&1 && echo "PKG check-config" || cat /tmp/check.log
getent passwd rpdns >/dev/null && echo "PKG user"
dpkg-query -W -f='${Conffiles}\n' rpdns | grep -q /etc/rpdns/rpdns.yaml && echo "PKG conffile"
test -x /usr/sbin/rpdnsctl && test -e /usr/share/man/man5/rpdns.yaml.5.gz && echo "PKG files"
systemd-analyze verify /lib/systemd/system/rpdns.service >/tmp/verify.log 2>&1 && echo "PKG unit verifies" ||
  cat /tmp/verify.log
echo "PKG security $(systemd-analyze security --offline=yes /lib/systemd/system/rpdns.service 2>&1 | tail -n1)"
apt-get purge -y -q rpdns >/tmp/purge.log 2>&1 && echo "PKG purged" || tail -20 /tmp/purge.log
getent passwd rpdns >/dev/null || echo "PKG user gone"
test -e /etc/rpdns || test -e /usr/sbin/rpdns || test -e /var/lib/rpdns || echo "PKG files gone"
SCRIPT
}

package_checks() {
  local deb out
  deb=$(find build -maxdepth 1 -name 'rpdns_*.deb' 2>/dev/null | head -n1) || true  # no build/: no package
  if [ -z "$deb" ]; then
    log "no build/rpdns_*.deb (scripts/package.sh makes it): package checks not run"
    return 0
  fi
  mkdir -p "$WORK/pkg"
  cp "$deb" "$WORK/pkg/rpdns.deb"
  package_script >"$WORK/pkg/check.sh"
  chmod -R a+rX "$WORK/pkg"
  out=$(bounded 600 docker run --rm -v "$WORK/pkg:/pkg:ro" debian:bookworm bash /pkg/check.sh 2>&1) || true
  printf '%s\n' "$out" >"$WORK/package.log"
  for fact in installed check-config user conffile files "unit verifies" purged "user gone" "files gone"; do
    check "package: $fact" has "PKG $fact" "$out"
  done
  grep -E '^PKG security' <<<"$out" | sed 's/^PKG /package: /' | while read -r line; do log "$line"; done
  check "package: systemd-analyze security rates the unit OK or better" grep -Eq '^PKG security.* (OK|SAFE)' <<<"$out"
  [ "$FAILED" -eq 0 ] || grep -v '^PKG' "$WORK/package.log" | tail -30 >&2
  package_service_checks
}

# The package's service under systemd (podman runs /sbin/init in systemd
# mode): it starts (Type=notify, so READY came), refuses queries with no zone,
# serves a zone added to its configuration after `systemctl reload`, runs as
# the user rpdns, answers rpdnsctl on the default socket, and stops.
in_systemd() { timeout 30 podman exec "$NAME-systemd" "$@"; }
systemd_up() { [ "$(in_systemd systemctl is-system-running 2>/dev/null)" = running ]; }
systemd_dig() { in_systemd dig +norec +time=1 +tries=1 @127.0.0.1 "$@"; }
zone_answered() { has 192.0.2.80 "$(systemd_dig +short www.example.com A)"; }

add_zone_and_reload() {
  in_systemd sh -c 'cp /usr/share/doc/rpdns/examples/zones/example.com.zone /var/lib/rpdns/ &&
    printf "listen: [127.0.0.1]\ncontrol:\n  socket: /run/rpdns/control.sock\nzones:\n  - origin: example.com\n    file: /var/lib/rpdns/example.com.zone\n" >/etc/rpdns/rpdns.yaml' &&
    in_systemd systemctl reload rpdns
}

main_pid() { in_systemd systemctl show -p MainPID --value rpdns; }

# systemd_upgrade COMMAND...: COMMAND replaces the running server by its
# upgrade: the service stays active, its main PID moves to the successor
# (sent as MAINPID= under NotifyAccess=all), and the zone is still answered.
systemd_upgrade() {
  local before
  before=$(main_pid) && [ -n "$before" ] && [ "$before" != 0 ] || return 1
  "$@" >"$WORK/upgrade.out" 2>&1 || { cat "$WORK/upgrade.out" >&2; return 1; }
  wait_for 20 main_pid_moved "$before" || return 1
  log "     main pid $before -> $(main_pid)"
  [ "$(in_systemd systemctl is-active rpdns)" = active ] && zone_answered
}
main_pid_moved() { local now; now=$(main_pid) && [ -n "$now" ] && [ "$now" != 0 ] && [ "$now" != "$1" ]; }

# The package is kept in /opt in the image (podman's systemd mode mounts a
# tmpfs over /tmp), to be installed again over itself as an upgrade.
package_service_checks() {
  if [ "$ENGINE" != podman ]; then
    log "engine $ENGINE: the package's service is run under systemd with podman only; not run"
    return 0
  fi
  printf 'FROM debian:bookworm\nCOPY rpdns.deb /opt/rpdns.deb\nRUN rm -f /etc/dpkg/dpkg.cfg.d/slim && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd systemd-sysv bind9-dnsutils /opt/rpdns.deb && rm -rf /var/lib/apt/lists/*\nCMD ["/sbin/init"]\n' >"$WORK/pkg/Dockerfile"
  bounded 600 podman build -t rpdns-package-test "$WORK/pkg" >"$WORK/package-build.log" 2>&1 ||
    { tail -20 "$WORK/package-build.log" >&2; fail "package: image with systemd built"; return 0; }
  SYSTEMD_STARTED=1
  timeout 60 podman run -d --name "$NAME-systemd" --systemd=always rpdns-package-test >/dev/null ||
    { fail "package: systemd runs in a container"; return 0; }
  check "package: systemd runs in a container" wait_for 60 systemd_up
  check "package: systemctl start rpdns (Type=notify)" in_systemd systemctl start rpdns
  check "package: REFUSED with no zone configured" has "status: REFUSED" "$(systemd_dig example.com SOA)"
  check "package: a zone added, systemctl reload" add_zone_and_reload
  check "package: the zone answered after the reload" wait_for 10 zone_answered
  check "package: runs as rpdns" has rpdns "$(in_systemd ps -o user= -C rpdns)"
  check "package: rpdnsctl on the default socket" has "serial 2026112201" "$(in_systemd rpdnsctl zone-status example.com)"
  check "package: rpdnsctl upgrade, systemd follows the new main process" systemd_upgrade in_systemd rpdnsctl upgrade
  check "package: installed again, postinst upgrades in place" systemd_upgrade in_systemd dpkg -i /opt/rpdns.deb
  check "package: systemctl stop rpdns" in_systemd systemctl stop rpdns
  timeout 60 podman rm -f "$NAME-systemd" >/dev/null 2>&1 && SYSTEMD_STARTED=""
  timeout 60 podman rmi -f rpdns-package-test >/dev/null 2>&1 || true  # holds this build's package: no cache
}

# A run that was killed outright (SIGKILL) could not clean up: its container
# or compose project would hold our ports.
remove_leftovers() {
  local ids
  mapfile -t ids < <(timeout 30 docker ps -aq --filter name=rpdns-container-test-)
  [ ${#ids[@]} -eq 0 ] || timeout 60 docker rm -f "${ids[@]}" >/dev/null 2>&1 || true
  compose 60 down --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  xfr 60 down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  monitoring 60 down --remove-orphans --timeout 5 >/dev/null 2>&1 || true
}

main() {
  bash scripts/setup.sh  # dig, from the project's own dependency list
  prepare_engine
  prepare_compose
  remove_leftovers
  build_image
  check "runtime image under 150 MB" check_image_size
  run_container
  ok "docker run: rpdns answers on 127.0.0.1:$PORT"
  check "answer has aa: www.example.com A 192.0.2.80" authoritative "$PORT" www.example.com A 192.0.2.80
  check "answer over TCP has aa" authoritative_tcp "$PORT" www.example.com A
  check "reverse zone: 80.2.0.192.in-addr.arpa PTR" authoritative "$PORT" 80.2.0.192.in-addr.arpa PTR www.example.com.
  check "REFUSED outside the served zones" status_is "$PORT" www.example.org A REFUSED
  check "runs as uid 10053 with cap_net_bind_service only" runs_as_non_root
  check "HEALTHCHECK reports healthy" wait_for 60 healthy "$NAME"
  check "changed zone served after docker kill --signal=HUP" reload_zone
  check "docker kill --signal=USR2 upgrades in place, no query lost, the container runs on" upgrade_container
  check "docker logs shows the listeners" logs_show "listening on 0.0.0.0:53"
  check "docker stop under 2 s, exit code 0" stop_container
  check "docker logs shows a clean stop" logs_show "stopped"
  timeout 30 docker rm "$NAME" >/dev/null && CONTAINER_STARTED=""
  compose_checks
  secondaries_checks
  monitoring_checks
  package_checks
  log "timing: whole run $(since "$START") s"
  log "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

main "$@"
