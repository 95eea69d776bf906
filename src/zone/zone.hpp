// The compiled, immutable zone data the query path reads. Built once by the
// loader, never changed afterwards, shared by every worker without locks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/name.hpp"
#include "dns/writer.hpp"
#include "net/prefix.hpp"

namespace rpdns::zone {

struct RRset {
  uint16_t type = 0;
  uint16_t count = 0;
  uint32_t ttl = 0;              // of the first record
  std::vector<uint8_t> records;  // count × (TTL, RDLENGTH, RDATA), see dns::RRsetWire

  dns::RRsetWire wire() const { return {type, count, records}; }
  // RDATA of the first record (for SOA fields and CNAME/DNAME targets).
  std::span<const uint8_t> first_rdata() const {
    return {records.data() + 6, dns::read_u16(records.data() + 4)};
  }
};

struct Node {
  std::string name;             // canonical wire form
  std::vector<RRset> rrsets;    // empty for an empty non-terminal
  bool is_delegation = false;   // NS below the apex: a zone cut (RFC 1034 §4.2.1)

  const RRset* find(uint16_t type) const {
    for (const auto& r : rrsets) {
      if (r.type == type) return &r;
    }
    return nullptr;
  }
};

// Hash map keyed by canonical wire names, searchable by string_view so a
// lookup never builds a std::string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
using NodeMap = std::unordered_map<std::string, Node, NameHash, std::equal_to<>>;

// What a zone was read from, to tell on reload whether it changed.
struct SourceFile {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t hash = 0;  // FNV-1a of the contents
};

struct Zone {
  std::string origin;           // canonical wire form
  unsigned labels = 0;          // labels in origin
  std::string file;
  std::vector<SourceFile> sources;  // the file and everything it $INCLUDEs
  uint32_t serial = 0;
  std::size_t record_count = 0;
  NodeMap nodes;                // every owner name and every empty non-terminal
  const Node* apex = nullptr;
  const RRset* soa = nullptr;

  const Node* find(std::string_view name) const {
    auto it = nodes.find(name);
    return it == nodes.end() ? nullptr : &it->second;
  }
  // TTL for the SOA in negative answers: min(SOA TTL, SOA MINIMUM), RFC 2308 §3.
  uint32_t negative_ttl() const;
};

// All zones served, published as one immutable snapshot.
class ZoneSet {
 public:
  // `allow_transfer`: who may AXFR/IXFR the zone (set per snapshot, so a
  // reload can change it without reparsing the zone).
  void add(std::shared_ptr<const Zone> zone, std::vector<net::Prefix> allow_transfer = {});
  bool transfer_allowed(const Zone& zone, const sockaddr* peer) const;
  // The most specific zone containing `name`, or nullptr (then: REFUSED).
  const Zone* find_zone(const dns::Name& name) const;
  // The most specific zone strictly above `zone`'s origin (for DS at a cut).
  const Zone* find_parent_zone(const dns::Name& name) const;
  const std::unordered_map<std::string, std::shared_ptr<const Zone>, NameHash, std::equal_to<>>&
  zones() const {
    return zones_;
  }

 private:
  const Zone* find_from(const dns::Name& name, unsigned first_skip) const;

  std::unordered_map<std::string, std::shared_ptr<const Zone>, NameHash, std::equal_to<>> zones_;
  std::unordered_map<std::string, std::vector<net::Prefix>, NameHash, std::equal_to<>> transfer_acl_;
  unsigned min_labels_ = 255;
  unsigned max_labels_ = 0;
};

}  // namespace rpdns::zone
