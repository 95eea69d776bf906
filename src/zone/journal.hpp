// The differences between versions of a zone (RFC 1995 §4), kept so a
// secondary at an older serial can be sent what changed instead of the
// whole zone. Each version of a zone carries the journal that leads up to
// it; journals are immutable and share their changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "dns/rrset.hpp"

namespace rpdns::zone {

// One record of a change, as stored: the owner (uncompressed wire form),
// TYPE, TTL, RDLENGTH and RDATA, class IN.
struct ChangedRecord {
  std::string_view owner;
  uint16_t type = 0;
  std::span<const uint8_t> record;  // TTL, RDLENGTH, RDATA: one record of dns::RRsetWire
  dns::RRsetWire wire() const { return {type, 1, record}; }
};

// A list of records laid out as ChangedRecord describes, back to back.
class RecordList {
 public:
  // Appends one record; `record` is TTL, RDLENGTH and RDATA.
  void add(std::string_view owner, uint16_t type, std::span<const uint8_t> record);
  std::size_t count() const { return count_; }
  std::size_t bytes() const { return bytes_.size(); }
  std::span<const uint8_t> data() const { return bytes_; }

  // Reads the record at `offset` and moves `offset` past it. The list's
  // own bytes are trusted; a journal read from disk is checked first
  // (RecordList::from_bytes).
  static ChangedRecord read(std::span<const uint8_t> bytes, std::size_t& offset);
  // A list from bytes of unknown origin: null unless they hold exactly
  // `count` well-formed records.
  static std::unique_ptr<RecordList> from_bytes(std::span<const uint8_t> bytes, std::size_t count);

  template <class F>
  void for_each(F f) const {
    for (std::size_t at = 0; at < bytes_.size();) f(read(bytes_, at));
  }
  // The first record (a change's SOA); the list must not be empty.
  ChangedRecord first() const {
    std::size_t at = 0;
    return read(bytes_, at);
  }
  // Every record but the first: a change's records after its SOA.
  template <class F>
  void for_each_after_first(F f) const {
    std::size_t at = 0;
    if (!bytes_.empty()) read(bytes_, at);
    while (at < bytes_.size()) f(read(bytes_, at));
  }

 private:
  std::vector<uint8_t> bytes_;
  std::size_t count_ = 0;
};

// One step from serial `from` to serial `to`: the records removed (the old
// SOA first) and those added (the new SOA first), as an IXFR sends them.
struct Change {
  uint32_t from = 0;
  uint32_t to = 0;
  RecordList removed;
  RecordList added;
  std::size_t bytes() const { return removed.bytes() + added.bytes(); }
};

using ChangePtr = std::shared_ptr<const Change>;

// One change with the effect of `chain` (consecutive changes, oldest
// first): what RFC 1995 §4 calls condensing. A record added and removed
// again within the chain is left out, as is one removed and added back as
// it was. Null for an empty chain; the one change itself for a chain of one.
ChangePtr condense(std::span<const ChangePtr> chain);

struct JournalLimits {
  std::size_t max_bytes = std::size_t{4} << 20;  // of changes kept per zone
  unsigned max_depth = 20;                       // changes kept per zone; 0: no journal
};

class Journal {
 public:
  // The journal of a new version of a zone: `earlier`'s changes (when
  // they lead to change->from) and then `change`, the oldest dropped while
  // the limits are passed. Null when nothing would be kept.
  static std::shared_ptr<const Journal> extend(const Journal* earlier, ChangePtr change, const JournalLimits& limits);

  // A journal of `changes`, oldest first; null when there are none or one
  // does not start where the one before it ends.
  static std::shared_ptr<const Journal> of(std::vector<ChangePtr> changes);

  // The changes from `serial` to the newest, in order; empty when no kept
  // change starts at `serial`. No allocation: for the query path.
  std::span<const ChangePtr> since(uint32_t serial) const;
  std::span<const ChangePtr> changes() const { return changes_; }
  uint32_t first_serial() const { return changes_.front()->from; }
  uint32_t last_serial() const { return changes_.back()->to; }
  std::size_t depth() const { return changes_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  std::vector<ChangePtr> changes_;  // never empty; each one's `to` the next one's `from`
  std::size_t bytes_ = 0;
};

}  // namespace rpdns::zone
