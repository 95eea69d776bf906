// Streams a zone as AXFR messages (RFC 5936 §2.2): the SOA first, every
// record, the SOA again last, split over as many messages as needed; or,
// for an IXFR answered incrementally (RFC 1995 §4), the SOA, the changes
// from the journal and the SOA again. It holds the snapshot it reads, so a
// reload during a transfer cannot mix versions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dns/writer.hpp"
#include "zone/zone.hpp"

namespace rpdns::xfr {

// The OPT record of each message, when the request carried one (RFC 6891
// §7: a request with OPT gets OPT back), with the EXPIRE option (RFC 7314
// §3) when `expire` is not negative.
struct TransferOpt {
  bool present = false;
  uint16_t udp_size = dns::kDefaultEdnsPayload;
  int64_t expire = -1;
};

class TransferWriter {
 public:
  // Echoes the request's `id` and `question` (the raw question bytes), which
  // respond() has parsed: request[0..1] and request[12..Reply::question_end).
  // `reserve`: bytes left free at the end of each message, for the TSIG
  // record a signed transfer adds to it (RFC 8945 §5.3.1). `changes`
  // (from the zone's journal, which the snapshot holds): sent instead of
  // the zone's records when not empty, condensed into one when several.
  TransferWriter(std::shared_ptr<const zone::ZoneSet> snapshot, const zone::Zone& zone, uint16_t id,
                 std::span<const uint8_t> question, std::size_t reserve = 0, TransferOpt opt = {},
                 std::span<const zone::ChangePtr> changes = {});

  // Writes the next message into `out` (at least dns::kMaxMessageSize
  // bytes) and returns its length; 0 once the closing SOA has been sent.
  std::size_t next(uint8_t* out);

  // True once the transfer was given up: a record too big for any message
  // ends it with a SERVFAIL message holding no records, after which next()
  // returns 0.
  bool failed() const { return failed_; }
  const zone::Zone& zone() const { return zone_; }

 private:
  // Advances to the next record to send; false at the end of the zone.
  bool advance();
  bool write_current(dns::ReplyWriter& w);
  // The next record of the changes; false once they are all sent.
  bool next_change(zone::ChangedRecord& out);
  bool write_changes(dns::ReplyWriter& w);
  std::size_t write_records(dns::ReplyWriter& w, uint8_t* out, std::span<const uint8_t> question);
  std::size_t fail(uint8_t* out, std::span<const uint8_t> question);

  std::shared_ptr<const zone::ZoneSet> snapshot_;
  const zone::Zone& zone_;
  uint16_t id_ = 0;
  std::vector<uint8_t> question_;
  std::size_t limit_ = dns::kMaxMessageSize;
  TransferOpt opt_;
  bool first_message_ = true;
  enum class Stage { opening_soa, records, changes, closing_soa, done } stage_ = Stage::opening_soa;
  std::vector<zone::Node>::const_iterator node_;
  std::size_t rrset_ = 0;
  std::size_t record_ = 0;
  std::size_t offset_ = 0;     // of the current record inside its RRset's bytes
  zone::ChangePtr condensed_;  // a chain of changes sent as one (RFC 1995 §4)
  std::span<const zone::ChangePtr> changes_;
  std::size_t change_ = 0;  // of changes_
  bool added_ = false;      // in its added records, else in its removed ones
  std::size_t change_offset_ = 0;
  bool failed_ = false;
};

}  // namespace rpdns::xfr
