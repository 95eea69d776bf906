# shellcheck shell=bash
# scripts/bench/lib.sh: what every part of scripts/bench.sh leans on — logging, the
# processes we start and their clean-up on exit, free loopback ports. Sourced, not run.

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# ---------------------------------------------------------------------------------
# Clean-up: every process we start is recorded here and stopped on exit.

TMP=""
POLICY_CREATED=""
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
declare -a SERVER_PIDS=()
CLIENT_PID=""

# Prints PID and all its descendants.
tree_pids() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END {
      queue = root
      while (queue != "") {
        n = split(queue, q, " "); queue = ""
        for (i = 1; i <= n; i++) { print q[i]; if (q[i] in kids) queue = queue kids[q[i]] }
      }
    }'
}

# Stops one process we started: SIGTERM, up to 10 s, then SIGKILL for it and its children.
stop_pid() {
  local pid=$1 tree i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  tree=$(tree_pids "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid did not stop on SIGTERM; killing it"
    # shellcheck disable=SC2086
    kill -KILL $tree 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  # Children that outlived their parent (they were ours too).
  for i in $tree; do
    [ "$i" = "$pid" ] && continue
    if kill -0 "$i" 2>/dev/null; then kill -KILL "$i" 2>/dev/null || true; fi
  done
  return 0
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$CLIENT_PID" ]; then
    kill -TERM "$CLIENT_PID" 2>/dev/null || true
    wait "$CLIENT_PID" 2>/dev/null || true
  fi
  local pid
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
  if [ -n "$POLICY_CREATED" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
      log "kept $TMP"
    else
      rm -rf "$TMP"
    fi
  fi
  exit "$rc"
}

# Called once, before anything is started: from then on every exit cleans up.
install_traps() {
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
}

# Runs a client in the background (so that the traps can stop it) and waits for it.
run_client() {
  local out=$1
  shift
  "$@" >"$out" 2>&1 &
  CLIENT_PID=$!
  local rc=0
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=""
  return "$rc"
}

# Is PID running (and not a zombie waiting to be reaped)?
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# A free loopback port (neither UDP nor TCP in use), from /proc so that no tool is needed.
pick_port() {
  local port hex
  for ((attempt = 0; attempt < 200; attempt++)); do
    port=$((40000 + RANDOM % 20000))
    hex=$(printf ':%04X' "$port")
    if ! awk -v p="$hex" 'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
      /proc/net/udp /proc/net/tcp /proc/net/udp6 /proc/net/tcp6 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found"
}
