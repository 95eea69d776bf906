#!/usr/bin/env bash
# Installs everything rpdns needs to build and test, from Debian's packages.
# Idempotent and non-interactive: packages already present are not touched,
# and apt-get update runs only when something is missing.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libboost-dev libldns-dev libyaml-cpp-dev libgtest-dev libspdlog-dev libfmt-dev
  ldnsutils bind9-dnsutils knot-dnsutils
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
