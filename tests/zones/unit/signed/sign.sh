#!/usr/bin/env bash
# Signs the unit tests' DNSSEC zones, each with one ECDSA P-256 key
# (algorithm 13), valid 2026-01-01 to 2046-01-01:
#   signed.example  NSEC, by ldns-signzone (Debian: ldnsutils);
#   nsec3.example   NSEC3 with SHA-1, 0 iterations and no salt (RFC 9276)
#                   and opt-out, by BIND's dnssec-signzone (Debian: bind9),
#                   which leaves insecure delegations out of the chain.
# ECDSA signatures are randomized, so running this changes every
# signature's bytes: the signed files are committed and the tests read
# those. Keys are made on the first run and kept.
set -euo pipefail
cd "$(dirname "$0")"
key=$(ls Ksigned.example.+013+*.private 2>/dev/null | head -1 || true)
[ -n "$key" ] || key=$(ldns-keygen -a ECDSAP256SHA256 -k signed.example).private
rm -f Ksigned.example.*.ds
ldns-signzone -i 20260101000000 -e 20460101000000 -o signed.example. -f signed.example.zone \
  signed.example.zone.in "${key%.private}"
key=$(ls Knsec3.example.+013+*.private 2>/dev/null | head -1 || true)
[ -n "$key" ] || key=$(dnssec-keygen -q -a ECDSAP256SHA256 -f KSK nsec3.example).private
dnssec-signzone -q -S -z -K . -3 - -H 0 -A -s 20260101000000 -e 20460101000000 -o nsec3.example. -f nsec3.example.zone \
  -O full nsec3.example.zone.in > /dev/null
rm -f dsset-*
