# shellcheck shell=bash
# scripts/bench/zones.sh: the zones and query files the servers are measured with, all
# generated (awk, fixed seeds) in the temp dir, and the DNSSEC part's signed copies.
# Sourced by scripts/bench.sh after lib.sh.

# The benchmark zone: ~1,000 names with A, AAAA, MX, TXT, CNAME, a wildcard and
# delegations with glue. Addresses come from 198.18.0.0/15 (RFC 2544, for benchmarks).
make_bench_zone() {
  awk 'BEGIN {
    print "$ORIGIN bench.example."
    print "$TTL 3600"
    print "@ SOA ns1 hostmaster 2026010101 7200 3600 1209600 300"
    print "@ NS ns1"
    print "@ NS ns2"
    print "@ MX 10 mail"
    print "@ TXT \"v=spf1 mx -all\""
    print "@ A 198.18.0.1"
    print "@ AAAA 2001:db8::1"
    print "ns1 A 198.18.0.2"
    print "ns1 AAAA 2001:db8::2"
    print "ns2 A 198.18.0.3"
    print "ns2 AAAA 2001:db8::3"
    print "mail A 198.18.0.4"
    print "mail AAAA 2001:db8::4"
    for (i = 0; i < 700; i++) {
      printf "host%d A 198.18.%d.%d\n", i, 1 + int(i / 250), i % 250
      printf "host%d AAAA 2001:db8::1:%x\n", i, i
      if (i % 4 == 0) printf "host%d TXT \"host %d\"\n", i, i
    }
    for (i = 0; i < 100; i++) {
      printf "mx%d MX 10 host%d\n", i, i
      printf "mx%d MX 20 mail\n", i
      printf "mx%d TXT \"mail domain %d\"\n", i, i
      printf "txt%d TXT \"v=spf1 ip4:198.18.%d.0/24 -all\" \"text record %d\"\n", i, i, i
      printf "alias%d CNAME host%d\n", i, i * 7
    }
    print "*.wild A 198.19.0.1"
    print "*.wild AAAA 2001:db8:ffff::1"
    print "*.wild TXT \"wildcard\""
    for (i = 0; i < 10; i++) {
      printf "sub%d NS ns1.sub%d\n", i, i
      printf "sub%d NS ns2.sub%d\n", i, i
      printf "ns1.sub%d A 198.19.1.%d\n", i, i
      printf "ns2.sub%d A 198.19.2.%d\n", i, i
    }
  }'
}

# 10,000 queries in dnsperf's format, shuffled with a fixed seed: 70% A/AAAA hits
# (one in ten through a CNAME), 10% MX/TXT, 10% NXDOMAIN, 5% wildcard, 5% referral.
make_bench_queries() {
  awk 'BEGIN {
    srand(20260101)
    n = 10000
    for (i = 0; i < n; i++) {
      c = i % 100
      if (c < 63) { line = sprintf("host%d.bench.example %s", int(rand() * 700), (c % 2) ? "AAAA" : "A") }
      else if (c < 70) { line = sprintf("alias%d.bench.example A", int(rand() * 100)) }
      else if (c < 75) { line = sprintf("mx%d.bench.example MX", int(rand() * 100)) }
      else if (c < 80) { line = sprintf("txt%d.bench.example TXT", int(rand() * 100)) }
      else if (c < 90) { line = sprintf("nx%d.bench.example %s", int(rand() * 100000), (c % 2) ? "AAAA" : "A") }
      else if (c < 95) { line = sprintf("w%d.wild.bench.example A", int(rand() * 100000)) }
      else { line = sprintf("www.sub%d.bench.example A", int(rand() * 10)) }
      q[i] = line
    }
    for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = q[i]; q[i] = q[j]; q[j] = t }
    for (i = 0; i < n; i++) print q[i]
  }'
}

# The first lines of a generated zone ORIGIN: SOA, two NS and their addresses (5 records).
zone_head() {
  printf '$ORIGIN %s.\n$TTL 3600\n' "$1"
  printf '@ SOA ns1 hostmaster 2026010101 7200 3600 1209600 300\n@ NS ns1\n@ NS ns2\n'
  printf 'ns1 A 198.18.0.2\nns2 A 198.18.0.3\n'
}

# A zone of exactly N records: per ten names, 10 A, 5 AAAA, 2 TXT and 1 MX.
make_big_zone() {
  zone_head big.example
  awk -v total="$1" 'BEGIN {
    n = 5
    for (i = 0; n < total; i++) {
      printf "h%d A 198.%d.%d.%d\n", i, 18 + int(i / 65536) % 2, int(i / 256) % 256, i % 256; n++
      if (i % 2 == 0 && n < total) { printf "h%d AAAA 2001:db8::%x:%x\n", i, int(i / 65536), i % 65536; n++ }
      if (i % 5 == 0 && n < total) { printf "h%d TXT \"record %d\"\n", i, i; n++ }
      if (i % 10 == 0 && n < total) { printf "h%d MX 10 h%d\n", i, i + 1; n++ }
    }
  }'
}

# NSEC3_NAMES queries for distinct random names one label below the apex (12
# characters of [a-z0-9]: no name of the benchmark zone is that long), A and AAAA.
make_nsec3_queries() {
  awk -v n="$1" 'BEGIN {
    srand(20260102)
    chars = "abcdefghijklmnopqrstuvwxyz0123456789"
    for (i = 0; i < n;) {
      label = ""
      for (j = 0; j < 12; j++) label = label substr(chars, 1 + int(rand() * 36), 1)
      if (label in seen) continue
      seen[label] = 1
      printf "%s.bench.example %s\n", label, (i % 2) ? "AAAA" : "A"
      i++
    }
  }'
}

# Records in a master file (not blank lines, comments or $ directives).
zone_records() { awk 'NF && $1 !~ /^[;$]/ { n++ } END { print n + 0 }' "$1"; }

# The DNSSEC part's zones: bench.zone signed with NSEC and with NSEC3 (RFC 9276: SHA-1,
# no extra iteration, no salt, no opt-out), by two ECDSAP256SHA256 keys made here, a KSK
# for the DNSKEY RRset and a ZSK for the rest. ldns-signzone's signatures are valid from
# now for four weeks.
sign_bench_zones() {
  local keys=$TMP/keys ksk zsk t0 t1
  mkdir -p "$keys"
  ksk=$(cd "$keys" && ldns-keygen -a ECDSAP256SHA256 -k bench.example) || die "ldns-keygen failed (KSK)"
  zsk=$(cd "$keys" && ldns-keygen -a ECDSAP256SHA256 bench.example) || die "ldns-keygen failed (ZSK)"
  t0=${EPOCHREALTIME//[!0-9]/}
  ldns-signzone -o bench.example -f "$TMP/zones/bench.nsec.zone" "$TMP/zones/bench.zone" \
    "$keys/$ksk" "$keys/$zsk" || die "ldns-signzone failed (NSEC)"
  ldns-signzone -n -a 1 -t 0 -o bench.example -f "$TMP/zones/bench.nsec3.zone" "$TMP/zones/bench.zone" \
    "$keys/$ksk" "$keys/$zsk" || die "ldns-signzone failed (NSEC3)"
  t1=${EPOCHREALTIME//[!0-9]/}
  [ "$(awk '$4 == "NSEC3PARAM" { print $5, $6, $7, $8; exit }' "$TMP/zones/bench.nsec3.zone")" = "1 0 0 -" ] ||
    die "the NSEC3-signed zone has no NSEC3PARAM 1 0 0 - (SHA-1, no iteration, no salt)"
  NSEC_RECORDS=$(zone_records "$TMP/zones/bench.nsec.zone")
  NSEC3_RECORDS=$(zone_records "$TMP/zones/bench.nsec3.zone")
  log "signed the benchmark zone with NSEC ($NSEC_RECORDS records) and NSEC3 ($NSEC3_RECORDS records) in $(((t1 - t0) / 1000)) ms (keys $ksk, $zsk)"
}


# Part one's zone and queries in $TMP/zones and $TMP, and the zone's size for the report.
prepare_bench_zone() {
  mkdir -p "$TMP/zones"
  make_bench_zone >"$TMP/zones/bench.zone"
  make_bench_queries >"$TMP/queries.txt"
  BENCH_NAMES=$(awk '$1 !~ /^\$/ && !($1 in seen) { seen[$1] = 1; n++ } END { print n }' "$TMP/zones/bench.zone")
  BENCH_RECORDS=$(grep -vc '^\$' "$TMP/zones/bench.zone")
}

# The DNSSEC part's signed zones and its NXDOMAIN queries.
prepare_dnssec_zones() {
  LDNS_VERSION=$(dpkg-query -W -f='${Version}' ldnsutils 2>/dev/null || echo '?')
  sign_bench_zones
  make_nsec3_queries "$NSEC3_NAMES" >"$TMP/queries-nsec3.txt"
}

# ---------------------------------------------------------------------------------
# The scale part's zones (BENCH_SCALE=1).

# make_scale_zones DIR COUNT: COUNT zones z0.example ... of 10 records each (SOA, two NS
# with their addresses, MX, TXT, www A and AAAA, mail A), one file each in DIR; their
# list ("ORIGIN FILE" a line, as start_zones takes it) on stdout.
make_scale_zones() {
  awk -v dir="$1" -v count="$2" 'BEGIN {
    for (i = 0; i < count; i++) {
      f = dir "/z" i ".zone"
      a = sprintf("198.18.%d.%d", int(i / 256) % 256, i % 256)
      printf "$ORIGIN z%d.example.\n$TTL 3600\n", i >f
      print "@ SOA ns1 hostmaster 2026010101 7200 3600 1209600 300" >f
      printf "@ NS ns1\n@ NS ns2\n@ MX 10 mail\n@ TXT \"zone %d\"\n", i >f
      printf "ns1 A %s\nns2 A %s\nwww A %s\nmail A %s\n", a, a, a, a >f
      printf "www AAAA 2001:db8::%x:%x\n", int(i / 65536), i % 65536 >f
      close(f)
      printf "z%d.example %s\n", i, f
    }
  }'
}

# make_scale_queries ZONES COUNT: COUNT queries over zones z0 to z(ZONES-1), chosen at
# random with a fixed seed, so that the mix is the same for one zone and for many:
# 40% www A, 20% www AAAA, 10% mail A, 10% MX, 10% TXT, 10% NXDOMAIN.
make_scale_queries() {
  awk -v zones="$1" -v n="$2" 'BEGIN {
    srand(20260103)
    for (i = 0; i < n; i++) {
      z = "z" int(rand() * zones) ".example"
      c = i % 10
      if (c < 4) print "www." z " A"
      else if (c < 6) print "www." z " AAAA"
      else if (c < 7) print "mail." z " A"
      else if (c < 8) print z " MX"
      else if (c < 9) print z " TXT"
      else print "nx" int(rand() * 100000) "." z " A"
    }
  }'
}

# make_delegation_zone COUNT: a zone as a TLD is, deleg.example with COUNT delegations
# d0 ... : one in ten has its name servers below itself, with glue (A and AAAA); the
# others name servers of hosting companies elsewhere (no glue); one in ten has a DS.
make_delegation_zone() {
  zone_head deleg.example
  awk -v n="$1" 'BEGIN {
    for (i = 0; i < n; i++) {
      if (i % 10 == 0) {
        printf "d%d NS ns1.d%d\nd%d NS ns2.d%d\n", i, i, i, i
        printf "ns1.d%d A 198.%d.%d.%d\n", i, 18 + int(i / 65536) % 2, int(i / 256) % 256, i % 256
        printf "ns2.d%d AAAA 2001:db8::%x:%x\n", i, int(i / 65536), i % 65536
      } else {
        printf "d%d NS ns1.host%d.example.net.\nd%d NS ns2.host%d.example.net.\n", i, i % 5000, i, i % 5000
      }
      if (i % 10 == 5) {
        h = sprintf("%08x", i)
        printf "d%d DS %d 13 2 %s%s%s%s%s%s%s%s\n", i, i % 65536, h, h, h, h, h, h, h, h
      }
    }
  }'
}

# change_zone FILE NAME: the zone in FILE gets the record "NAME A 198.51.100.1" and a
# serial one higher, written aside and moved into place (no server reads half a file).
change_zone() {
  awk -v name="$2" '$2 == "SOA" { $5 = $5 + 1 } { print } END { print name " A 198.51.100.1" }' "$1" >"$1.new"
  mv "$1.new" "$1"
}
