// libFuzzer target: the incoming zone transfer stream (issue 16). The input
// is a TCP stream of length-prefixed messages, as a primary would send it;
// each is checked by xfr::read_axfr_message like a secondary's transfer
// does, and a complete transfer is compiled by the zone builder. Neither
// may crash or read out of bounds, whatever the primary sends.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dns/wire.hpp"
#include "xfr/client.hpp"
#include "zone/builder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string origin(
      "\x04"
      "diff"
      "\x07"
      "example",
      14);
  rpdns::xfr::AxfrResult result;
  result.records.files.push_back("fuzz");
  bool complete = false;
  uint16_t id = size >= 4 ? rpdns::dns::read_u16(data + 2) : 0;  // the first message's ID is "ours"
  std::size_t at = 0;
  for (bool first = true; at + 2 <= size && !complete; first = false) {
    std::size_t len = rpdns::dns::read_u16(data + at);
    at += 2;
    if (len > size - at) break;
    if (!rpdns::xfr::read_axfr_message(data + at, len, id, origin, first, result, complete).empty()) return 0;
    at += len;
  }
  if (!complete) return 0;
  rpdns::zone::Zone zone;
  zone.origin = origin;
  zone.labels = 2;
  std::vector<rpdns::zone::LoadError> errors;
  rpdns::zone::LoadWarnings warnings;
  rpdns::zone::build_zone(result.records, "fuzz", zone, errors, warnings);
  return 0;
}
