#include "zone/apply.hpp"

#include <unordered_map>
#include <unordered_set>

#include "dns/name.hpp"
#include "dns/wire.hpp"
#include "zone/loader.hpp"

namespace rpdns::zone {
namespace {

// A record's identity in a change: owner, type and RDATA; not its TTL.
std::string identity(std::string_view owner, uint16_t type, std::span<const uint8_t> rdata) {
  std::string key(owner);
  key.push_back(static_cast<char>(type >> 8));
  key.push_back(static_cast<char>(type & 0xff));
  key.append(reinterpret_cast<const char*>(rdata.data()), rdata.size());
  return key;
}

std::span<const uint8_t> rdata_of(std::span<const uint8_t> record) { return record.subspan(6); }

class Applier {
 public:
  explicit Applier(const Zone& base) : base_(base) {
    for (const Node& node : base.nodes) {
      if (node.nsec3_owner) nsec3_.emplace(node.name(), &node);
    }
  }

  std::string apply(std::span<const ChangePtr> changes) {
    uint32_t serial = base_.serial;
    for (const auto& change : changes) {
      if (change->from != serial) {
        return "a change from serial " + std::to_string(change->from) + " where ours is " + std::to_string(serial);
      }
      std::string problem;
      change->removed.for_each_after_first([&](const ChangedRecord& r) {
        if (problem.empty()) problem = remove(r, *change);
      });
      if (!problem.empty()) return problem;
      change->added.for_each_after_first([&](const ChangedRecord& r) { add(r); });
      serial = change->to;
      soa_ = change->added.first();
    }
    return "";
  }

  void write(ParsedRecords& out) const {
    uint32_t line = 0;
    auto put = [&](std::string_view owner, uint16_t type, std::span<const uint8_t> record) {
      out.add(owner, type, dns::read_u32(record.data()), rdata_of(record), 0, ++line);
    };
    put(soa_.owner, dns::type::SOA, soa_.record);
    for (const Node& node : base_.nodes) {
      bool touched = removed_owners_.contains(node.name());
      for (const RRset& rrset : node.rrsets()) {
        if (rrset.type == dns::type::SOA && &node == base_.apex) continue;
        auto bytes = rrset.records();
        for (std::size_t at = 0; at < bytes.size();) {
          auto record = bytes.subspan(at, 6u + dns::read_u16(bytes.data() + at + 4));
          at += record.size();
          if (touched && removed_.contains(identity(node.name(), rrset.type, rdata_of(record)))) continue;
          put(node.name(), rrset.type, record);
        }
      }
    }
    for (const auto& [key, r] : added_) put(r.owner, r.type, r.record);
  }

 private:
  // Whether `base` holds the record (TTL aside).
  bool in_base(const ChangedRecord& r) const {
    const Node* node = base_.find(r.owner);
    if (node == nullptr) {
      auto it = nsec3_.find(r.owner);
      node = it == nsec3_.end() ? nullptr : it->second;
    }
    const RRset* rrset = node == nullptr ? nullptr : node->find(r.type);
    if (rrset == nullptr) return false;
    auto bytes = rrset->records();
    for (std::size_t at = 0; at < bytes.size();) {
      auto record = bytes.subspan(at, 6u + dns::read_u16(bytes.data() + at + 4));
      at += record.size();
      if (std::ranges::equal(rdata_of(record), rdata_of(r.record))) return true;
    }
    return false;
  }

  std::string remove(const ChangedRecord& r, const Change& change) {
    std::string key = identity(r.owner, r.type, rdata_of(r.record));
    bool was_added = added_.erase(key) > 0;
    bool in_base_still = !removed_.contains(key) && in_base(r);
    if (!was_added && !in_base_still) {
      return "the change to serial " + std::to_string(change.to) + " removes " + dns::to_text(r.owner) + " " +
             type_text(r.type) + ", which is not there";
    }
    if (in_base_still) {
      removed_.insert(std::move(key));
      removed_owners_.insert(r.owner);
    }
    return "";
  }

  void add(const ChangedRecord& r) { added_[identity(r.owner, r.type, rdata_of(r.record))] = r; }

  const Zone& base_;
  std::unordered_map<std::string_view, const Node*> nsec3_;
  std::unordered_set<std::string> removed_;              // records of base_ gone
  std::unordered_set<std::string_view> removed_owners_;  // their owners, so most names are passed at a glance
  std::unordered_map<std::string, ChangedRecord> added_;
  ChangedRecord soa_;
};

}  // namespace

std::string apply_changes(const Zone& base, std::span<const ChangePtr> changes, ParsedRecords& out) {
  if (base.soa == nullptr) return "no version to apply changes to";
  if (changes.empty()) return "no changes";
  Applier applier(base);
  if (std::string problem = applier.apply(changes); !problem.empty()) return problem;
  applier.write(out);
  return "";
}

}  // namespace rpdns::zone
