// Parsing a request: header, the one question, and the EDNS OPT record.
// Runs on the query path: no allocation, every bound checked.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/name.hpp"

namespace rpdns::dns {

struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;  // the request's header flags word, as sent
  uint8_t opcode = 0;
  bool has_question = false;
  Name qname;  // lowercased; matching is case-insensitive (RFC 4343)
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  const uint8_t* question = nullptr;  // raw question bytes, echoed exactly (0x20 case kept)
  std::size_t question_len = 0;

  bool has_ixfr_serial = false;  // IXFR: the client's SOA serial (RFC 1995 §3)
  uint32_t ixfr_serial = 0;
  // NOTIFY: the serial of the zone's SOA in the answer section, when the
  // primary sent one (RFC 1996 §3.7: a hint the secondary may use).
  bool has_notify_serial = false;
  uint32_t notify_serial = 0;

  bool has_edns = false;
  uint16_t edns_udp_size = 0;
  uint8_t edns_version = 0;
  bool edns_do = false;
  bool edns_nsid = false;    // the NSID option was sent (RFC 5001 §2.1)
  bool edns_expire = false;  // the EXPIRE option was sent (RFC 7314 §2)
  // The first COOKIE option (RFC 7873 §4), pointing into the request: the
  // client cookie, then the server cookie if any. Null when none was sent
  // or it was malformed (length not 8 or 16..40, RFC 7873 §5.2.2).
  const uint8_t* cookie = nullptr;
  uint16_t cookie_len = 0;
  bool cookie_malformed = false;
  // Where the TSIG record (RFC 8945) starts, 0 when none: always the last
  // record of the additional section, or the request is malformed (§5.1).
  std::size_t tsig_offset = 0;
};

enum class ParseStatus {
  ok,
  drop,     // not worth a reply: too short for a header, or a response (QR=1)
  formerr,  // header readable but the rest is malformed (RFC 1035 §4.1.1)
};

// A QUERY with no question is accepted only when it carries a COOKIE
// option: a client asking for a server cookie (RFC 7873 §5.4).
ParseStatus parse_query(const uint8_t* packet, std::size_t len, Query& out);

}  // namespace rpdns::dns
