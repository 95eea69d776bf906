// Queries as rpdns sends them to other servers: a secondary's SOA check
// and transfer request, a NOTIFY, the probe. One writer for all of them
// (the reply writer's counterpart), and one way to sign them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dns/tsig.hpp"
#include "dns/wire.hpp"

namespace rpdns::dns {

struct OutgoingQuery {
  uint16_t id = 0;
  uint8_t opcode = opcode::QUERY;
  bool aa = false;         // a NOTIFY sets AA (RFC 1996 §3.7)
  std::string_view qname;  // canonical wire form
  uint16_t qtype = 0;
  bool edns = false;           // OPT (RFC 6891)
  bool expire_option = false;  // with an empty EXPIRE option (RFC 7314 §2); implies `edns`
  // An IXFR's version of the zone (RFC 1995 §3): this SOA RDATA (uncompressed)
  // at `qname` in the authority section; empty: none.
  std::span<const uint8_t> authority_soa = {};
};

// Header (RD clear), the one question (class IN), and OPT when asked for.
std::vector<uint8_t> write_query(const OutgoingQuery& q);

// Appends a TSIG record signing `message` with `key` (RFC 8945 §5.1) and
// returns its MAC, which the replies' MACs chain from; empty (and the
// message unchanged) when it could not be signed.
std::vector<uint8_t> sign_query(std::vector<uint8_t>& message, const tsig::Key& key, uint64_t now);

}  // namespace rpdns::dns
