#include "zone/journal.hpp"

#include <string_view>
#include <unordered_map>

#include "dns/wire.hpp"

namespace rpdns::zone {
namespace {

// The length of the uncompressed wire name at the start of `bytes`; 0 when
// there is none (a label past the end, a pointer, over 255 octets).
std::size_t name_length(std::span<const uint8_t> bytes) {
  std::size_t at = 0;
  while (at < bytes.size() && at < dns::kMaxNameLength) {
    uint8_t label = bytes[at];
    if (label == 0) return at + 1;
    if (label > 63) return 0;
    at += 1u + label;
  }
  return 0;
}

// Type, TTL and RDLENGTH after the owner.
constexpr std::size_t kFixed = 2 + 4 + 2;

}  // namespace

void RecordList::add(std::string_view owner, uint16_t type, std::span<const uint8_t> record) {
  bytes_.insert(bytes_.end(), owner.begin(), owner.end());
  uint8_t type_bytes[2];
  dns::write_u16(type_bytes, type);
  bytes_.insert(bytes_.end(), type_bytes, type_bytes + 2);
  bytes_.insert(bytes_.end(), record.begin(), record.end());
  ++count_;
}

ChangedRecord RecordList::read(std::span<const uint8_t> bytes, std::size_t& offset) {
  ChangedRecord r;
  std::size_t owner = name_length(bytes.subspan(offset));
  r.owner = {reinterpret_cast<const char*>(bytes.data() + offset), owner};
  const uint8_t* p = bytes.data() + offset + owner;
  r.type = dns::read_u16(p);
  std::size_t length = 4u + 2u + dns::read_u16(p + 6);
  r.record = {p + 2, length};
  offset += owner + 2 + length;
  return r;
}

std::unique_ptr<RecordList> RecordList::from_bytes(std::span<const uint8_t> bytes, std::size_t count) {
  std::size_t at = 0, seen = 0;
  while (at < bytes.size()) {
    std::size_t owner = name_length(bytes.subspan(at));
    if (owner == 0 || bytes.size() - at - owner < kFixed) return nullptr;
    std::size_t rdlength = dns::read_u16(bytes.data() + at + owner + 6);
    if (bytes.size() - at - owner - kFixed < rdlength) return nullptr;
    at += owner + kFixed + rdlength;
    ++seen;
  }
  if (seen != count) return nullptr;
  auto list = std::make_unique<RecordList>();
  list->bytes_.assign(bytes.begin(), bytes.end());
  list->count_ = count;
  return list;
}

namespace {

// A record's bytes as stored (owner, type, TTL, RDLENGTH, RDATA): two
// records are the same when these are.
std::string_view stored(const ChangedRecord& r) {
  return {r.owner.data(),
          static_cast<std::size_t>(reinterpret_cast<const char*>(r.record.data() + r.record.size()) - r.owner.data())};
}

}  // namespace

ChangePtr condense(std::span<const ChangePtr> chain) {
  if (chain.size() <= 1) return chain.empty() ? nullptr : chain.front();
  // Keyed by the stored bytes, which the chain's changes hold while this runs.
  std::unordered_map<std::string_view, ChangedRecord> removed, added;
  for (const auto& change : chain) {
    change->removed.for_each_after_first([&](const ChangedRecord& r) {
      if (added.erase(stored(r)) == 0) removed.emplace(stored(r), r);
    });
    change->added.for_each_after_first([&](const ChangedRecord& r) {
      if (removed.erase(stored(r)) == 0) added.emplace(stored(r), r);
    });
  }
  auto out = std::make_shared<Change>();
  out->from = chain.front()->from;
  out->to = chain.back()->to;
  ChangedRecord old_soa = chain.front()->removed.first(), new_soa = chain.back()->added.first();
  out->removed.add(old_soa.owner, old_soa.type, old_soa.record);
  out->added.add(new_soa.owner, new_soa.type, new_soa.record);
  for (const auto& [key, r] : removed) out->removed.add(r.owner, r.type, r.record);
  for (const auto& [key, r] : added) out->added.add(r.owner, r.type, r.record);
  return out;
}

std::shared_ptr<const Journal> Journal::extend(const Journal* earlier, ChangePtr change, const JournalLimits& limits) {
  if (limits.max_depth == 0 || change == nullptr || change->bytes() > limits.max_bytes) return nullptr;
  auto journal = std::make_shared<Journal>();
  // A journal that does not lead up to the change's old version (a serial
  // that went back, a zone replaced whole) has nothing a client could use.
  if (earlier != nullptr && earlier->last_serial() == change->from) {
    journal->changes_ = earlier->changes_;
    journal->bytes_ = earlier->bytes_;
  }
  journal->bytes_ += change->bytes();
  journal->changes_.push_back(std::move(change));
  std::size_t drop = 0;
  while (journal->changes_.size() - drop > limits.max_depth || journal->bytes_ > limits.max_bytes) {
    journal->bytes_ -= journal->changes_[drop]->bytes();
    ++drop;
  }
  journal->changes_.erase(journal->changes_.begin(), journal->changes_.begin() + static_cast<std::ptrdiff_t>(drop));
  return journal;
}

std::shared_ptr<const Journal> Journal::of(std::vector<ChangePtr> changes) {
  if (changes.empty()) return nullptr;
  auto journal = std::make_shared<Journal>();
  for (std::size_t i = 0; i < changes.size(); ++i) {
    if (i > 0 && changes[i]->from != changes[i - 1]->to) return nullptr;
    journal->bytes_ += changes[i]->bytes();
  }
  journal->changes_ = std::move(changes);
  return journal;
}

std::span<const ChangePtr> Journal::since(uint32_t serial) const {
  std::span<const ChangePtr> found;
  for (std::size_t i = 0; i < changes_.size(); ++i) {
    if (changes_[i]->from != serial) continue;
    // A serial met twice (it wrapped round, RFC 1982) could be either
    // version: the client gets the whole zone rather than a guess.
    if (!found.empty()) return {};
    found = std::span<const ChangePtr>(changes_).subspan(i);
  }
  return found;
}

}  // namespace rpdns::zone
