// libFuzzer target: the incoming zone transfer stream (issue 16). The input
// is a TCP stream of length-prefixed messages, as a primary would send it;
// each is checked by xfr::read_axfr_message like a secondary's transfer
// does, and a complete transfer is compiled by the zone builder. Neither
// may crash or read out of bounds, whatever the primary sends. A transfer
// that is accepted must make a kept copy that loads back to the same zone
// (issue 24): if it does not, the target aborts. Every
// message also goes through the TSIG checks (RFC 8945) a signed transfer
// gets: the stream verifier and, as if it were a request, verify_request.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dns/tsig.hpp"
#include "dns/wire.hpp"
#include "xfr/client.hpp"
#include "zone/builder.hpp"
#include "zone/master_writer.hpp"

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
  static const rpdns::dns::tsig::Key key{std::string("\x0ctransfer-key\x00", 14),
                                         rpdns::dns::tsig::Algorithm::hmac_sha256, std::vector<uint8_t>(32, 7)};
  static const rpdns::dns::tsig::Keyring keys = [] {
    rpdns::dns::tsig::Keyring k;
    k.add(key);
    return k;
  }();
  rpdns::dns::tsig::StreamVerifier verifier(key, std::vector<uint8_t>(32, 1));
  std::size_t at = 0;
  for (bool first = true; at + 2 <= size && !complete; first = false) {
    std::size_t len = rpdns::dns::read_u16(data + at);
    at += 2;
    if (len > size - at) break;
    (void)verifier.check(data + at, len, 1700000000);
    rpdns::dns::tsig::Record record;
    bool present = false;
    if (rpdns::dns::tsig::find(data + at, len, record, present))
      (void)rpdns::dns::tsig::verify_request(data + at, record, keys, 1700000000);
    if (!rpdns::xfr::read_axfr_message(data + at, len, id, origin, first, result, complete).empty()) return 0;
    at += len;
  }
  if (!complete) return 0;
  rpdns::zone::Zone zone;
  zone.origin = origin;
  zone.labels = 2;
  std::vector<rpdns::zone::LoadError> errors;
  rpdns::zone::LoadWarnings warnings;
  if (!rpdns::zone::build_zone(result.records, "fuzz", zone, errors, warnings)) return 0;
  std::string problem = rpdns::zone::load_back_problem(zone, rpdns::zone::master_text(zone), "fuzz-copy");
  if (!problem.empty()) {
    std::fprintf(stderr, "accepted transfer whose kept copy does not load back: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
