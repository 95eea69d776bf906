#!/usr/bin/env bash
# Installs everything rpdns needs to build and test, from Debian's packages.
# Idempotent and non-interactive: packages already present are not touched,
# and apt-get update runs only when something is missing.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libboost-dev libldns-dev libyaml-cpp-dev libgtest-dev libspdlog-dev libfmt-dev
  libssl-dev  # OpenSSL 3: SipHash-2-4 for DNS cookies
  nlohmann-json3-dev  # rpdnsctl --json: the control replies as JSON
  libsystemd-dev  # sd_notify: the packaged service is Type=notify
  libfstrm-dev libprotobuf-c-dev protobuf-c-compiler  # dnstap: Frame Streams, the protobuf-c runtime and protoc-c
  fstrm-bin dnstap-ldns  # fstrm_capture and dnstap-ldns: the collector and reader of the dnstap tests
  ldnsutils bind9-dnsutils knot-dnsutils
  knot nsd bind9  # the reference servers of the differential and interop tests (bind9: named as primary and secondary)
  unbound  # the validating resolver of tests/integration/validation_test.cpp
  clang-format clang-tidy  # scripts/check-style.sh
  pandoc groff-base  # scripts/man.sh: the man pages from doc/man/, checked with groff
  prometheus  # promtool: scripts/check-monitoring.sh checks docker/monitoring's rules
  dnsperf  # scripts/upgrade-demo.sh (CI): the load across upgrades
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

# Debian's knot and nsd packages would start their daemons on port 53. A policy-rc.d that
# answers 101 ("not allowed") keeps every package from starting services; we
# only add one for the duration of the install, and only if none exists.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
