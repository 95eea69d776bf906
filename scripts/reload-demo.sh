#!/usr/bin/env bash
# Reload under load: dnsperf sends a steady stream at a fixed rate while the
# zone is rewritten and SIGHUP sent every 100 ms. Prints queries sent,
# answered and lost; exits 1 if any query was lost.
# Usage: scripts/reload-demo.sh [SECONDS] [QPS]   (defaults: 10 s at 20000 q/s)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
qps=${2:-20000}
port=${RELOAD_DEMO_PORT:-15399}

if ! command -v dnsperf >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends dnsperf >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dnsperf >/dev/null; }
fi
scripts/setup.sh
scripts/build.sh >/dev/null

work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

write_zone() {  # write_zone SERIAL: www's address changes with the serial
  cat > "$work/zone.tmp" <<ZONE
\$ORIGIN demo.test.
\$TTL 300
@    SOA ns.demo.test. admin.demo.test. $1 3600 900 604800 60
     NS  ns
ns   A   192.0.2.53
www  A   192.0.2.$(( $1 % 250 + 1 ))
ZONE
  mv "$work/zone.tmp" "$work/demo.test.zone"  # atomic: the loader never sees half a file
}

write_zone 1
printf 'www.demo.test A\ndemo.test SOA\nnothere.demo.test A\n' > "$work/queries"
build/rpdns --listen "127.0.0.1:$port" --zone "demo.test=$work/demo.test.zone" --workers 2 \
  --log-level warn 2> "$work/rpdns.log" &
server=$!
for _ in $(seq 50); do build/rpdns --probe "127.0.0.1:$port" demo.test >/dev/null && break; sleep 0.1; done

(
  serial=1
  end=$(( $(date +%s) + seconds ))
  while [ "$(date +%s)" -lt "$end" ]; do
    serial=$((serial + 1))
    write_zone "$serial"
    kill -HUP "$server"
    sleep 0.1
  done
  echo "$serial" > "$work/reloads"
) &
reloader=$!

dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$seconds" -Q "$qps" -c 16 -t 2 > "$work/dnsperf.out"
wait "$reloader"

sent=$(awk '/Queries sent:/ {print $3}' "$work/dnsperf.out")
completed=$(awk '/Queries completed:/ {print $3}' "$work/dnsperf.out")
lost=$(awk '/Queries lost:/ {print $3}' "$work/dnsperf.out")
echo "reload demo: ${seconds} s at ${qps} q/s, $(( $(cat "$work/reloads") - 1 )) reloads (SIGHUP every 100 ms)"
echo "queries sent: $sent, answered: $completed, lost: $lost"
if grep -q "error" "$work/rpdns.log"; then cat "$work/rpdns.log"; fi
[ "$lost" = "0" ]
