// What a zone may hold, record by record. One set of checks for the records
// of a zone file and those of a transfer, so that whatever a secondary
// accepts from its primary also loads back from its kept copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dns/wire.hpp"

struct ldns_struct_rr;

namespace rpdns::zone {

// RFC 2181 §8: a TTL is at most 2^31 - 1, and one with the top bit set is
// "treated as if the entire value received was zero". BIND loads such a TTL
// as 0 with a warning; so does rpdns, from a file or a transfer (Knot keeps
// it, NSD uses 3600).
inline constexpr uint64_t kMaxTtl = 0x7fffffff;
// A record every message can carry: 65535 bytes (RFC 1035 §4.2.2, the TCP
// length) less the header and the largest question (a 255-byte name, type
// and class). Anything bigger could be neither answered nor transferred.
inline constexpr std::size_t kMaxRecordSize = dns::kMaxMessageSize - dns::kHeaderSize - (dns::kMaxNameLength + 4);

// Whether ldns knows the fields of `type`; the RDATA of any other type is
// opaque (RFC 3597).
bool known_type(uint16_t type);

// "" when `rdata` is RDATA of `type`: for a type with known fields, every
// field there, well formed, names uncompressed and at most 255 bytes,
// nothing left over; any RDATA for an opaque type. Else what is wrong.
std::string check_rdata(uint16_t type, std::span<const uint8_t> rdata);

// "" when a record of `type` may be in a zone at all, else why not: type 0,
// OPT and the meta-types and QTYPEs 128-255 (RFC 6895 §3.1) are never data.
std::string check_type(uint16_t type);

// ldns appends the origin to a relative name without checking the result
// against the 255-byte limit (RFC 1035 §2.3.4): false when it went over.
bool names_within_limit(const ldns_struct_rr* rr);

// "" when the record fits in a DNS message, uncompressed (kMaxRecordSize).
std::string check_record_size(std::string_view owner, std::size_t rdata_size);

}  // namespace rpdns::zone
