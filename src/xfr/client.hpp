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
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dns/message.hpp"
#include "dns/name.hpp"
#include "zone/builder.hpp"
#include "zone/journal.hpp"

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

// What an IXFR (RFC 1995) brought: nothing new, the changes from our
// version, or the whole zone (an AXFR-style answer, RFC 1995 §4).
struct IxfrResult {
  enum class Kind { current, incremental, full };
  bool ok = false;
  std::string error;
  Kind kind = Kind::current;
  uint32_t serial = 0;                   // the primary's
  std::vector<zone::ChangePtr> changes;  // incremental: in order, each with its SOAs first
  // The whole zone when `full`, as fetch_axfr gives it; and in any case
  // the EXPIRE option, the bytes, messages and TTLs zeroed.
  AxfrResult transfer;
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

// An IXFR from `ours` (our SOA's RDATA), over TCP, with the same limits
// and key as fetch_axfr. The caller falls back to AXFR when it fails.
void fetch_ixfr(boost::asio::io_context& io, const config::ListenAddress& primary, const dns::WireName& origin,
                std::span<const uint8_t> ours, std::optional<dns::tsig::Key> key, TransferLimits limits,
                std::function<void(IxfrResult)> done);

// Checks one AXFR reply message and appends its records to `out` (RFC 5936
// §2.2, §3): the ID and question of our request, NOERROR, class IN, every
// owner inside `origin`, the SOA first, every record as a zone file's
// would be checked (zone/record_check), nothing after the last record;
// sets `complete` at the closing SOA, after which nothing may follow.
// Read by our own reader (dns/message), never by ldns. Returns "" or the
// problem. Exposed for the tests and the fuzz target.
std::string read_axfr_message(const uint8_t* message, std::size_t len, uint16_t id, std::string_view origin, bool first,
                              AxfrResult& out, bool& complete);

// Reads the reply to our IXFR `id` for `origin` from serial `ours`, message
// by message (RFC 1995 §4), with the checks read_axfr_message makes: the
// primary's SOA first; then our SOA and the changes, or the rest of the
// zone AXFR-style; or nothing more when we are current. Exposed for the
// tests and the fuzz target.
class IxfrReader {
 public:
  IxfrReader(uint16_t id, std::string_view origin, uint32_t ours, IxfrResult& out)
      : id_(id), origin_(origin), ours_(ours), out_(out) {}
  // "" or the problem; sets `complete` once the answer is whole.
  std::string read(const uint8_t* message, std::size_t len, bool& complete);

 private:
  std::string take(const dns::MessageReader& reader, const dns::WireRecord& r, bool& complete);
  std::string take_first(std::span<const uint8_t> record, uint32_t serial);
  std::string take_soa(std::span<const uint8_t> record, uint32_t serial, bool& complete);

  enum class Stage { first, second, whole_zone, removed, added, done };
  uint16_t id_;
  std::string origin_;
  uint32_t ours_;
  IxfrResult& out_;
  Stage stage_ = Stage::first;
  bool first_message_ = true;
  std::vector<uint8_t> first_soa_;  // TTL, RDLENGTH, RDATA of the primary's SOA
  std::shared_ptr<zone::Change> change_;
  std::vector<uint8_t> rdata_, record_;  // reused from record to record
};

// Checks a reply to our SOA query `id` for `origin` (authoritative,
// NOERROR, our question, the zone's SOA in the answer, nothing after the
// last record) and takes its serial and EDNS EXPIRE into `out`. Returns ""
// or the problem. Exposed for the tests.
std::string read_soa_reply(const uint8_t* data, std::size_t len, uint16_t id, std::string_view origin, SoaResult& out);

}  // namespace rpdns::xfr
