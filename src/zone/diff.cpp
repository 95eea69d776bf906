#include "zone/diff.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "dns/wire.hpp"

namespace rpdns::zone {
namespace {

using Record = std::span<const uint8_t>;  // TTL, RDLENGTH, RDATA

// The records of an RRset, one span each.
void split(const RRset& rrset, std::vector<Record>& out) {
  out.clear();
  auto bytes = rrset.records();
  for (std::size_t at = 0; at < bytes.size();) {
    std::size_t length = 6u + dns::read_u16(bytes.data() + at + 4);
    out.push_back(bytes.subspan(at, length));
    at += length;
  }
}

bool less(Record a, Record b) { return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()); }

class Differ {
 public:
  Differ(const Zone& before, const Zone& after, Change& out)
      : before_(before),
        after_(after),
        out_(out),
        before_nsec3_(nsec3_owners(before)),
        after_nsec3_(nsec3_owners(after)) {}

  void run() {
    out_.from = before_.serial;
    out_.to = after_.serial;
    out_.removed.add(before_.origin, dns::type::SOA, soa_record(before_));
    out_.added.add(after_.origin, dns::type::SOA, soa_record(after_));
    for (const Node& node : after_.nodes) compare_nodes(node.name(), counterpart(before_, before_nsec3_, node), &node);
    for (const Node& node : before_.nodes) {
      if (counterpart(after_, after_nsec3_, node) == nullptr) compare_nodes(node.name(), &node, nullptr);
    }
  }

 private:
  using NameMap = std::unordered_map<std::string_view, const Node*>;

  // Names holding only NSEC3 records are left out of a zone's index
  // (RFC 5155 §7.2.9), so they are found here instead.
  static NameMap nsec3_owners(const Zone& zone) {
    NameMap map;
    for (const Node& node : zone.nodes) {
      if (node.nsec3_owner) map.emplace(node.name(), &node);
    }
    return map;
  }

  static Record soa_record(const Zone& zone) {
    auto records = zone.soa->records();
    return records.first(6u + dns::read_u16(records.data() + 4));
  }

  // The node of `zone` with the name of `node`, or null.
  static const Node* counterpart(const Zone& zone, const NameMap& nsec3, const Node& node) {
    if (const Node* found = zone.find(node.name())) return found;
    auto it = nsec3.find(node.name());
    return it == nsec3.end() ? nullptr : it->second;
  }

  // Either node may be null (the name is new, or gone). RRsets are sorted
  // by type in both, so one merge walk pairs them.
  void compare_nodes(std::string_view name, const Node* before, const Node* after) {
    std::span<const RRset> old_sets = before ? before->rrsets() : std::span<const RRset>{};
    std::span<const RRset> new_sets = after ? after->rrsets() : std::span<const RRset>{};
    std::size_t i = 0, j = 0;
    while (i < old_sets.size() || j < new_sets.size()) {
      bool take_old = j == new_sets.size() || (i < old_sets.size() && old_sets[i].type <= new_sets[j].type);
      bool take_new = i == old_sets.size() || (j < new_sets.size() && new_sets[j].type <= old_sets[i].type);
      compare_rrsets(name, take_old ? &old_sets[i] : nullptr, take_new ? &new_sets[j] : nullptr);
      i += take_old ? 1 : 0;
      j += take_new ? 1 : 0;
    }
  }

  // Either RRset may be null (the type is new at the name, or gone).
  void compare_rrsets(std::string_view owner, const RRset* before, const RRset* after) {
    if (before == nullptr && after == nullptr) return;
    uint16_t type = before ? before->type : after->type;
    // The apex SOA is the change's first record, removed and added.
    if (type == dns::type::SOA && owner == after_.origin) return;
    if (before && after && std::ranges::equal(before->records(), after->records())) return;
    old_records_.clear();
    new_records_.clear();
    if (before) split(*before, old_records_);
    if (after) split(*after, new_records_);
    std::sort(old_records_.begin(), old_records_.end(), less);
    std::sort(new_records_.begin(), new_records_.end(), less);
    std::size_t i = 0, j = 0;
    while (i < old_records_.size() || j < new_records_.size()) {
      if (j == new_records_.size() || (i < old_records_.size() && less(old_records_[i], new_records_[j]))) {
        out_.removed.add(owner, type, old_records_[i++]);
      } else if (i == old_records_.size() || less(new_records_[j], old_records_[i])) {
        out_.added.add(owner, type, new_records_[j++]);
      } else {
        ++i, ++j;  // in both
      }
    }
  }

  const Zone& before_;
  const Zone& after_;
  Change& out_;
  NameMap before_nsec3_;
  NameMap after_nsec3_;
  std::vector<Record> old_records_;  // reused from RRset to RRset
  std::vector<Record> new_records_;
};

}  // namespace

ChangePtr diff(const Zone& before, const Zone& after) {
  auto change = std::make_shared<Change>();
  Differ(before, after, *change).run();
  return change;
}

bool no_difference(const Change& change) {
  return change.removed.count() == 1 && change.added.count() == 1 &&
         std::ranges::equal(change.removed.data(), change.added.data());
}

bool follow(const Zone* before, Zone& after, const JournalLimits& limits) {
  if (before == nullptr || before->soa == nullptr || after.soa == nullptr) return true;
  ChangePtr change = diff(*before, after);
  if (dns::serial_greater(after.serial, before->serial)) {
    after.journal = Journal::extend(before->journal.get(), std::move(change), limits);
    return true;
  }
  if (!no_difference(*change)) return false;
  after.journal = before->journal;
  return true;
}

bool only_serial_differs(const Change& change) {
  if (change.removed.count() != 1 || change.added.count() != 1) return false;
  auto before = change.removed.data(), after = change.added.data();
  if (before.size() != after.size()) return false;
  // The SOA's serial lies 20 octets before the end of its RDATA, the
  // record's end (dns::SoaView).
  std::size_t serial = before.size() - 20;
  return std::equal(before.begin(), before.begin() + static_cast<std::ptrdiff_t>(serial), after.begin()) &&
         std::equal(before.begin() + static_cast<std::ptrdiff_t>(serial + 4), before.end(),
                    after.begin() + static_cast<std::ptrdiff_t>(serial + 4));
}

bool set_serial(Zone& zone, uint32_t serial) {
  if (zone.is_signed || zone.soa == nullptr) return false;
  auto rdata = zone.soa->first_rdata();
  auto at = static_cast<std::size_t>(rdata.data() + rdata.size() - 20 - zone.arena.data());
  dns::write_u32(&zone.arena[at], serial);
  zone.serial = serial;
  return true;
}

}  // namespace rpdns::zone
