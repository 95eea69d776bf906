#!/usr/bin/env bash
# Regenerates the signed zones of this folder from unsigned/ and the keys in
# keys/ (one ECDSAP256SHA256 CSK per zone, RFC 6605), with BIND's
# dnssec-signzone: inception 20260101000000, expiration 20460101000000.
#
# Re-running it changes the bytes of every signature even with the same
# inputs (ECDSA signing is randomized), and so every answer that carries an
# RRSIG: that is why the signed output is committed, and why the tests must
# not re-sign. Run it only when a source or a key changes, then commit all
# of its output together (the DS in the parents and trust-anchors follow the
# keys).
#
# Writes: nsec.dnssec.test.zone (NSEC), nsec3.dnssec.test.zone (NSEC3,
# opt-out), secure.nsec.dnssec.test.zone (NSEC), secure.nsec3.dnssec.test.zone
# (NSEC3 without opt-out), nsec.dnssec.test.broken.zone (one bad signature,
# see README.md), trust-anchors (DS of the two top zones). The unsigned
# children insecure.nsec.dnssec.test.zone and optout.nsec3.dnssec.test.zone
# are sources themselves. Checks each signed zone with dnssec-verify,
# kzonecheck and ldns-verify-zone (see verify below).
#
# Usage: tests/zones/dnssec/sign.sh   (needs Debian's bind9-utils,
# knot-dnssecutils and ldnsutils; the tests need none of them)
set -euo pipefail
cd "$(dirname "$0")"

inception=20260101000000
expiration=20460101000000
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key_of() {  # the one key file of zone $1
  local found=(keys/K"$1".+013+*.key)
  [[ ${#found[@]} -eq 1 && -f ${found[0]} ]] || { echo "sign.sh: want exactly one key for $1 in keys/" >&2; exit 1; }
  echo "${found[0]}"
}

ds_of() {  # the SHA-256 DS of zone $1's key (RFC 4509)
  dnssec-dsfromkey -2 "$(key_of "$1")"
}

# sign ZONE [extra dnssec-signzone options]: unsigned/ZONE.zone, the zone's
# DNSKEY and the DS lines in $work/ZONE.ds (if any) into ZONE.zone.
sign() {
  local zone=$1
  shift
  cat "unsigned/$zone.zone" > "$work/$zone.zone"
  [[ -f $work/$zone.ds ]] && cat "$work/$zone.ds" >> "$work/$zone.zone"
  grep -v '^;' "$(key_of "$zone")" >> "$work/$zone.zone"  # the DNSKEY
  # -z: the CSK signs every RRset; -N keep: the source's serial; -O full:
  # one record per line, absolute names; -P: no check of its own, verify()
  # below checks (dnssec-verify is the same check, and two others).
  dnssec-signzone -q -z -N keep -O full -P -d "$work" -s "$inception" -e "$expiration" \
    -o "$zone." -f "$work/$zone.signed" "$@" "$work/$zone.zone" "$(key_of "$zone")" >/dev/null
  {
    echo "; $zone.: signed by sign.sh from unsigned/$zone.zone; do not edit."
    sort_zone "$work/$zone.signed"
  } > "$zone.zone"
  verify "$zone" "$zone.zone"
}

# verify ZONE FILE: three independent checks of signatures and denial chains.
# ldns 1.8.3 compares the RRSIG times as signed 32-bit numbers, so for any
# expiration past 2038-01-19 it reports "expiration date earlier than
# inception date" and checks nothing else of that signature (RFC 4034 §3.1.5
# wants serial number arithmetic): that message alone is not a failure, and
# the signatures are checked by BIND's dnssec-verify and Knot's kzonecheck.
verify() {
  dnssec-verify -q -z -o "$1." "$2"
  kzonecheck -d on -o "$1." "$2" >/dev/null
  local ldns_errors
  ldns_errors=$(ldns-verify-zone -V 2 "$2" 2>&1 | grep -v 'expiration date earlier than inception date' |
                grep -v '^There were errors in the zone$' || true)
  if [[ -n $ldns_errors ]]; then
    echo "sign.sh: ldns-verify-zone $2:" >&2
    echo "$ldns_errors" >&2
    return 1
  fi
}

# The records as dnssec-signzone writes them, with the SOA first (an order
# that reads better in a diff does not matter to any loader).
sort_zone() {
  awk '$4 == "SOA" && $1 == origin' origin="$(awk '$4 == "SOA" {print $1; exit}' "$1")" "$1"
  awk '!($4 == "SOA" && $1 == origin) && !/^;/' origin="$(awk '$4 == "SOA" {print $1; exit}' "$1")" "$1"
}

nsec3=(-3 - -H 0)  # NSEC3, SHA-1, 0 extra iterations, empty salt (RFC 9276 §3.1)

sign secure.nsec.dnssec.test
sign secure.nsec3.dnssec.test "${nsec3[@]}"

ds_of secure.nsec.dnssec.test > "$work/nsec.dnssec.test.ds"
sign nsec.dnssec.test
ds_of secure.nsec3.dnssec.test > "$work/nsec3.dnssec.test.ds"
sign nsec3.dnssec.test "${nsec3[@]}" -A

# The bogus copy: one character of the signature over www's A RRset changed
# (the signature stays valid base64 of the same length, so it still loads).
awk '
  $1 == "www.nsec.dnssec.test." && $4 == "RRSIG" && $5 == "A" && !done {
    sig = $NF; mid = int(length(sig) / 2)
    c = substr(sig, mid, 1); repl = (c == "A") ? "B" : "A"
    $NF = substr(sig, 1, mid - 1) repl substr(sig, mid + 1)
    done = 1
  }
  { print }
  END { if (!done) exit 1 }
' nsec.dnssec.test.zone | sed '1s/.*/; nsec.dnssec.test.: a copy of nsec.dnssec.test.zone made by sign.sh with the RRSIG over www.nsec.dnssec.test. A altered (bogus)./' \
  > nsec.dnssec.test.broken.zone
if dnssec-verify -q -z -o nsec.dnssec.test. nsec.dnssec.test.broken.zone 2>/dev/null; then
  echo "sign.sh: the broken zone still verifies" >&2
  exit 1
fi

{
  echo "; Trust anchors of the test zones (RFC 4509 DS of each top zone's key),"
  echo "; written by sign.sh. The signed children are chained to these by the DS"
  echo "; records in their parents."
  ds_of nsec.dnssec.test
  ds_of nsec3.dnssec.test
} > trust-anchors
