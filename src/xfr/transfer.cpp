#include "xfr/transfer.hpp"

#include <algorithm>

#include "dns/name.hpp"
#include "dns/writer.hpp"

namespace rpdns::xfr {

TransferWriter::TransferWriter(std::shared_ptr<const zone::ZoneSet> snapshot, const zone::Zone& zone, uint16_t id,
                               std::span<const uint8_t> question, std::size_t reserve, TransferOpt opt,
                               std::span<const zone::ChangePtr> changes)
    : snapshot_(std::move(snapshot)),
      zone_(zone),
      id_(id),
      question_(question.begin(), question.end()),
      limit_(dns::kMaxMessageSize - std::min(reserve, dns::kMaxMessageSize / 2)),
      opt_(opt),
      node_(zone.nodes.begin()),
      condensed_(changes.size() > 1 ? zone::condense(changes) : nullptr),
      changes_(condensed_ ? std::span<const zone::ChangePtr>(&condensed_, 1) : changes) {}

// Moves to the next record of the zone, skipping the apex SOA (sent
// separately, first and last).
bool TransferWriter::advance() {
  while (node_ != zone_.nodes.end()) {
    const auto& rrsets = node_->rrsets();
    if (rrset_ < rrsets.size()) {
      const auto& rrset = rrsets[rrset_];
      bool apex_soa = rrset.type == dns::type::SOA && &*node_ == zone_.apex;
      if (!apex_soa && record_ < rrset.count) return true;
      ++rrset_;
      record_ = 0;
      offset_ = 0;
      continue;
    }
    ++node_;
    rrset_ = 0;
  }
  return false;
}

// One record at a time, so even an RRset larger than a message can be split.
bool TransferWriter::write_current(dns::ReplyWriter& w) {
  const auto& rrset = node_->rrsets()[rrset_];
  const uint8_t* rec = rrset.records().data() + offset_;
  std::size_t len = 6u + dns::read_u16(rec + 4);
  dns::RRsetWire one{rrset.type, 1, {rec, len}};
  if (!w.put_rrset(dns::Section::answer, node_->name(), dns::klass::IN, one)) return false;
  ++record_;
  offset_ += len;
  return true;
}

bool TransferWriter::next_change(zone::ChangedRecord& out) {
  while (change_ < changes_.size()) {
    const zone::Change& change = *changes_[change_];
    auto bytes = (added_ ? change.added : change.removed).data();
    if (change_offset_ < bytes.size()) {
      std::size_t at = change_offset_;
      out = zone::RecordList::read(bytes, at);
      return true;
    }
    change_offset_ = 0;
    if (added_) ++change_;
    added_ = !added_;
  }
  return false;
}

// One message's worth of the changes; false when even one record did not
// fit an empty message.
bool TransferWriter::write_changes(dns::ReplyWriter& w) {
  zone::ChangedRecord r;
  while (next_change(r)) {
    if (!w.put_rrset(dns::Section::answer, r.owner, dns::klass::IN, r.wire())) return w.count(dns::Section::answer) > 0;
    change_offset_ += r.owner.size() + 2 + r.record.size();
  }
  stage_ = Stage::closing_soa;
  return true;
}

// A record that fits no message cannot be sent, and a transfer without it
// is not the zone: RFC 5936 §2.2 has the server end it with an error RCODE
// instead. The loader refuses such records, so this is a last defence.
std::size_t TransferWriter::fail(uint8_t* out, std::span<const uint8_t> question) {
  dns::ReplyWriter w;
  w.begin(out, limit_, id_, dns::flag::QR, question, false);
  w.set_rcode(dns::rcode::SERVFAIL);
  stage_ = Stage::done;
  failed_ = true;
  return w.size();
}

std::size_t TransferWriter::next(uint8_t* out) {
  if (stage_ == Stage::done) return 0;
  dns::ReplyWriter w;
  std::span<const uint8_t> question;
  if (first_message_) question = question_;
  constexpr std::size_t kExpireOption = dns::kEdnsOptionHeader + 4;
  w.begin(out, limit_, id_, dns::flag::QR | dns::flag::AA, question, opt_.present,
          opt_.expire >= 0 ? kExpireOption : 0);
  first_message_ = false;
  std::size_t size = write_records(w, out, question);
  if (opt_.present && !failed_) {
    w.put_opt(opt_.udp_size, dns::rcode::NOERROR, false, dns::kNoEde, {}, {}, opt_.expire);
    size = w.size();
  }
  return size;
}

// The records of one message: as many as fit.
std::size_t TransferWriter::write_records(dns::ReplyWriter& w, uint8_t* out, std::span<const uint8_t> question) {
  if (stage_ == Stage::opening_soa) {
    w.put_rrset(dns::Section::answer, zone_.origin, dns::klass::IN, zone_.soa->wire());
    stage_ = changes_.empty() ? Stage::records : Stage::changes;
  }
  if (stage_ == Stage::changes) {
    if (!write_changes(w)) return fail(out, question);
    if (stage_ == Stage::changes) return w.size();  // full: the rest goes in the next message
  }
  while (stage_ == Stage::records) {
    if (!advance()) {
      stage_ = Stage::closing_soa;
      break;
    }
    if (write_current(w)) continue;
    if (w.count(dns::Section::answer) > 0) return w.size();  // full: the rest goes in the next message
    return fail(out, question);                              // not even alone in a message
  }
  if (stage_ == Stage::closing_soa) {
    if (!w.put_rrset(dns::Section::answer, zone_.origin, dns::klass::IN, zone_.soa->wire())) return w.size();
    stage_ = Stage::done;
  }
  return w.size();
}

}  // namespace rpdns::xfr
