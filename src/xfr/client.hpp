// The secondary's side of replication on the wire: asks a primary for a
// zone's SOA (RFC 1034 §4.3.5: over UDP, over TCP when that is truncated or
// unanswered) and transfers the zone (AXFR, RFC 5936) over TCP, checking
// every message before the records are handed on. Asynchronous on the
// caller's io_context; each call reports once through its callback.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "dns/name.hpp"
#include "zone/builder.hpp"

namespace rpdns::xfr {

struct SoaResult {
  bool ok = false;
  uint32_t serial = 0;
  int64_t expire = -1;  // the reply's EDNS EXPIRE seconds (RFC 7314); -1: none
  std::string error;    // when !ok: what went wrong, for the log
};

struct AxfrResult {
  bool ok = false;
  std::string error;
  zone::ParsedRecords records;  // every record but the closing SOA, in the order received
  uint32_t serial = 0;
  int64_t expire = -1;    // the first EDNS EXPIRE seconds in the stream (RFC 7314); -1: none
  std::size_t bytes = 0;  // DNS messages received, length prefixes included
  std::size_t messages = 0;
  std::size_t ttls_zeroed = 0;  // TTLs over 2^31 - 1, taken as 0 (RFC 2181 §8) as in a zone file
};

// Bounds on one transfer (config's max-zone-size and transfer-timeout): a
// primary that never ends it must not take the secondary's memory or hold
// it forever. Past either the connection is closed and the transfer fails.
struct TransferLimits {
  std::size_t max_bytes = config::kDefaultMaxZoneSize;            // DNS messages, length prefixes included
  std::chrono::seconds timeout{config::kDefaultTransferTimeout};  // the whole transfer, connecting included
};

// Both requests carry OPT with an empty EXPIRE option (RFC 7314 §2). With
// a `key`, the request is signed (RFC 8945) and every reply must be signed
// with it, or it fails.
void query_soa(boost::asio::io_context& io, const config::ListenAddress& primary, const dns::WireName& origin,
               std::optional<dns::tsig::Key> key, std::function<void(SoaResult)> done);
void fetch_axfr(boost::asio::io_context& io, const config::ListenAddress& primary, const dns::WireName& origin,
                std::optional<dns::tsig::Key> key, TransferLimits limits, std::function<void(AxfrResult)> done);

// Checks one AXFR reply message and appends its records to `out` (RFC 5936
// §2.2, §3): the ID and question of our request, NOERROR, class IN, every
// owner inside `origin`, the SOA first, every record as a zone file's
// would be checked (zone/record_check), nothing after the last record;
// sets `complete` at the closing SOA, after which nothing may follow.
// Read by our own reader (dns/message), never by ldns. Returns "" or the
// problem. Exposed for the tests and the fuzz target.
std::string read_axfr_message(const uint8_t* message, std::size_t len, uint16_t id, std::string_view origin, bool first,
                              AxfrResult& out, bool& complete);

// Checks a reply to our SOA query `id` for `origin` (authoritative,
// NOERROR, our question, the zone's SOA in the answer, nothing after the
// last record) and takes its serial and EDNS EXPIRE into `out`. Returns ""
// or the problem. Exposed for the tests.
std::string read_soa_reply(const uint8_t* data, std::size_t len, uint16_t id, std::string_view origin, SoaResult& out);

}  // namespace rpdns::xfr
