#!/usr/bin/env bash
# Sets up (if needed), builds, and runs rpdns in the foreground on
# 127.0.0.1:5353, serving every zones/ORIGIN.zone file of the repository.
# Extra arguments pass through to rpdns (e.g. --workers 4, --log-level debug).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
zone_args=()
for file in zones/*.zone; do
  origin=$(basename "$file" .zone)
  zone_args+=(--zone "$origin=$file")
done
exec build/rpdns --listen 127.0.0.1:5353 "${zone_args[@]}" "$@"
