// libFuzzer target: the incoming IXFR stream (RFC 1995). The input is a TCP
// stream of length-prefixed messages, as a primary would send it, read by
// xfr::IxfrReader against our copy of ix.example at serial 1. A complete
// answer is taken as a secondary would: changes applied to the copy with
// zone::apply_changes, and the result (or a whole zone sent AXFR-style)
// compiled by the zone builder. None of it may crash or read out of
// bounds, whatever the primary sends.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "dns/wire.hpp"
#include "xfr/client.hpp"
#include "zone/apply.hpp"
#include "zone/builder.hpp"
#include "zone/loader.hpp"

namespace {

const std::string kOrigin("\2ix\7example\0", 12);

// Our copy: a few names, and an NSEC3-only name outside the index.
const rpdns::zone::Zone& base() {
  static const std::shared_ptr<const rpdns::zone::Zone> zone =
      rpdns::zone::load_zone_text("ix.example", "base",
                                  "$ORIGIN ix.example.\n$TTL 300\n@ SOA ns1 host 1 3600 600 86400 300\n@ NS ns1\n"
                                  "ns1 A 192.0.2.1\nwww A 192.0.2.10\nwww A 192.0.2.11\ntxt TXT \"x\"\n"
                                  "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom NSEC3 1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr A\n")
          .zone;
  return *zone;
}

void compile(const rpdns::zone::ParsedRecords& records) {
  rpdns::zone::Zone zone;
  zone.origin = kOrigin;
  zone.labels = 2;
  std::vector<rpdns::zone::LoadError> errors;
  rpdns::zone::LoadWarnings warnings;
  rpdns::zone::build_zone(records, "fuzz", zone, errors, warnings);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rpdns::xfr::IxfrResult result;
  result.transfer.records.files.push_back("fuzz");
  uint16_t id = size >= 4 ? rpdns::dns::read_u16(data + 2) : 0;  // the first message's ID is "ours"
  rpdns::xfr::IxfrReader reader(id, kOrigin, base().serial, result);
  bool complete = false;
  for (std::size_t at = 0; at + 2 <= size && !complete;) {
    std::size_t len = rpdns::dns::read_u16(data + at);
    at += 2;
    if (len > size - at) break;
    if (!reader.read(data + at, len, complete).empty()) return 0;
    at += len;
  }
  if (!complete) return 0;
  if (result.kind == rpdns::xfr::IxfrResult::Kind::full) compile(result.transfer.records);
  if (result.kind != rpdns::xfr::IxfrResult::Kind::incremental) return 0;
  rpdns::zone::ParsedRecords records;
  records.files.push_back("fuzz");
  if (rpdns::zone::apply_changes(base(), result.changes, records).empty()) compile(records);
  return 0;
}
