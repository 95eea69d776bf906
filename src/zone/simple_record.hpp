// A fast reader for the few record shapes that make up nearly all of a large
// zone. ldns turns any record into wire form but spends about a microsecond
// and a dozen mallocs on each; this reader takes plain A, AAAA, NS, CNAME,
// PTR, MX and TXT entries in a fraction of that and declines everything else.
//
// It never judges a record: anything it is not certain of (escapes, units in
// a TTL, another class, a bad address, a name too long...) is declined and
// goes to ldns, which parses it or names the error. Where it accepts, its
// output is byte for byte what ldns gives (checked by unit and fuzz tests).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rpdns::zone {

struct SimpleRecord {
  std::string owner;  // canonical wire form (lowercased)
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;  // wire form; names in it uncompressed, case kept
};

// Reads `entry`, one logical line as MasterReader gives it (single spaces,
// no comments or parentheses, a leading space for "same owner as before").
// `origin` is the wire form of the origin in force, as written (case kept).
// `previous_owner` is the owner of the record before (empty when none).
// True and `out` filled when the entry has a shape this reader knows.
bool read_simple_record(std::string_view entry, std::string_view origin, uint32_t default_ttl,
                        std::string_view previous_owner, SimpleRecord& out);

}  // namespace rpdns::zone
