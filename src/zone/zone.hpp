// The compiled, immutable zone data the query path reads. Built once by the
// loader, never changed afterwards, shared by every worker without locks.
#pragma once

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/name.hpp"
#include "dns/nsec3.hpp"
#include "dns/rrset.hpp"
#include "dns/wire.hpp"
#include "zone/journal.hpp"

namespace rpdns::zone {

// An RRset as stored: its records live in the zone's arena. Kept at 32
// bytes (a TLD has millions): the records as pointer and 32-bit size, and
// the RRSIGs as an offset from them, since both lie in the same node's
// stretch of the arena.
struct RRset {
  uint16_t type = 0;
  uint16_t count = 0;
  uint32_t ttl = 0;  // one TTL per RRset (RFC 2181 §5.2)

  // count × (TTL, RDLENGTH, RDATA), see dns::RRsetWire.
  std::span<const uint8_t> records() const { return {data_, size_}; }
  // The RRSIGs covering this RRset (RFC 4034 §3), laid out the same way:
  // a slice of the node's RRSIG RRset, whose records the loader sorts by
  // type covered. Empty in an unsigned zone and for glue and cut NS.
  std::span<const uint8_t> sigs() const { return {data_ + sig_offset_, sig_size_}; }
  uint16_t sig_count() const { return sig_count_; }
  dns::RRsetWire wire() const { return {type, count, records()}; }
  dns::RRsetWire sig_wire() const { return {dns::type::RRSIG, sig_count_, sigs()}; }
  // RDATA of the first record (for SOA fields and CNAME/DNAME targets).
  std::span<const uint8_t> first_rdata() const { return {data_ + 6, dns::read_u16(data_ + 4)}; }

  // For the builder. False when a size or distance does not fit the
  // compact form (more than 4 GiB of records, 2 GiB between an RRset and
  // its signatures): no zone a server can hold comes near.
  bool set_records(const uint8_t* data, std::size_t size);
  bool set_sigs(const uint8_t* sigs, std::size_t size, uint16_t sig_count);

 private:
  const uint8_t* data_ = nullptr;
  uint32_t size_ = 0;
  uint16_t sig_count_ = 0;
  int32_t sig_offset_ = 0;  // from data_
  uint32_t sig_size_ = 0;
};

// One name of a zone. Kept at 24 bytes (a TLD has millions): name and
// RRsets as pointers with small sizes rather than two 16-byte views.
struct Node {
  std::string_view name() const { return {name_, name_size_}; }              // canonical wire form, in the arena
  std::span<const RRset> rrsets() const { return {rrsets_, rrset_count_}; }  // sorted by type; empty for an ENT

  const RRset* find(uint16_t type) const {
    for (const auto& r : rrsets()) {
      if (r.type == type) return &r;
    }
    return nullptr;
  }

  // For the builder: a wire name is at most 255 octets, and a name holds
  // one RRset per type, fewer than 2^16.
  void set_name(std::string_view name) {
    name_ = name.data();
    name_size_ = static_cast<uint8_t>(name.size());
  }
  void set_rrsets(std::span<const RRset> rrsets) {
    rrsets_ = rrsets.data();
    rrset_count_ = static_cast<uint16_t>(rrsets.size());
  }

 private:
  const char* name_ = nullptr;
  const RRset* rrsets_ = nullptr;
  uint16_t rrset_count_ = 0;
  uint8_t name_size_ = 0;

 public:
  bool is_delegation = false;  // NS below the apex: a zone cut (RFC 1034 §4.2.1)
  // At or below a zone cut, or below a DNAME: its data is glue or hidden
  // (RFC 6672 §2.4), never an authoritative answer of this zone.
  bool occluded = false;
  // Holds NSEC3 records and nothing else but their RRSIGs. Such a name is
  // not in the index: RFC 5155 §7.2.9 has servers treat NSEC3 owner names as
  // nonexistent. It is still in Zone::nodes, so a transfer sends it.
  bool nsec3_owner = false;
};

// How a signed zone proves that names and types do not exist.
enum class Denial : uint8_t { none, nsec, nsec3 };

// One link of the NSEC3 chain the zone's NSEC3PARAM names.
struct Nsec3Link {
  uint8_t hash[dns::kNsec3HashSize];  // the owner's first label, decoded
  const Node* node;                   // owns the NSEC3 RRset (and its RRSIGs)
};

// Hash map keyed by canonical wire names, searchable by string_view so a
// lookup never builds a std::string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// What a zone was read from, to tell on reload whether it changed.
struct SourceFile {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint64_t hash = 0;  // std::hash of the contents (compared within one process only)
};

// One zone, compiled for lookup: every name (owner names and empty
// non-terminals) and every record in one arena, nodes and RRsets in flat
// arrays, and an open-addressing index from name to node.
struct Zone {
  std::string origin;   // canonical wire form
  unsigned labels = 0;  // labels in origin
  std::string file;
  std::vector<SourceFile> sources;  // the file and everything it $INCLUDEs
  uint32_t serial = 0;
  std::size_t record_count = 0;
  int64_t loaded_at = 0;           // Unix time it was compiled (from a file, a transfer or a journal)
  std::vector<uint8_t> arena;      // names and records; never resized once filled
  std::vector<RRset> rrset_store;  // the RRsets of every node, node after node
  std::vector<Node> nodes;         // every owner name and every empty non-terminal
  // By hash slot: the high 32 bits of the name's hash (a tag) above node
  // number + 1; 0 when empty; a power of two long. The tag lets a probe pass
  // over other names without touching their nodes and names, which at low
  // rates are cache misses every time.
  std::vector<uint64_t> index;
  const Node* apex = nullptr;
  const RRset* soa = nullptr;

  // DNSSEC (RFC 4035), all set at load. `is_signed`: the apex has a DNSKEY
  // RRset and its SOA carries RRSIGs; only then do DO=1 answers get
  // signatures and proofs.
  bool is_signed = false;
  Denial denial = Denial::none;
  std::vector<const Node*> nsec_chain;  // the nodes holding NSEC, in canonical order
  std::vector<Nsec3Link> nsec3_chain;   // ordered by hash
  dns::Nsec3Params nsec3_params;        // from the apex NSEC3PARAM
  // The RRSIG that expires first (Unix time, read at load; 0 when the zone
  // has none), for the log, --check-config and /metrics.
  int64_t first_expiration = 0;
  std::string first_expiring;  // its owner and type covered, "www.example.com. A"
  // The changes that led to this version, for IXFR (RFC 1995); null when
  // none are kept. Set before the zone is published, like everything here.
  std::shared_ptr<const Journal> journal;
  // The serial of the journal's base on disk (journal_base.hpp), when this
  // process wrote or read it; unset: none known, the next change writes one.
  std::optional<uint32_t> base_serial;

  // The node whose NSEC matches or covers `name` (a name in the zone): the
  // last NSEC owner at or before it in canonical order (RFC 4034 §4.1.1).
  const Node* nsec_covering(std::string_view name) const;
  // The NSEC3 link whose hash equals `hash`, or the one covering it (the
  // last before it, the chain's last for a hash before the first); `exact`
  // tells which. Null when the chain is empty.
  const Nsec3Link* nsec3_find(const uint8_t (&hash)[dns::kNsec3HashSize], bool& exact) const;

  const Node* find(std::string_view name) const {
    if (index.empty()) return nullptr;
    std::size_t mask = index.size() - 1;
    std::size_t hash = NameHash{}(name);
    uint64_t tag = index_tag(hash);
    for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      uint64_t entry = index[slot];
      if (entry == 0) return nullptr;
      if ((entry & ~uint64_t{0xffffffff}) != tag) continue;
      const Node& node = nodes[static_cast<uint32_t>(entry) - 1];
      if (node.name() == name) return &node;
    }
  }
  static uint64_t index_tag(std::size_t hash) { return static_cast<uint64_t>(hash) & ~uint64_t{0xffffffff}; }
  // TTL for the SOA in negative answers: min(SOA TTL, SOA MINIMUM), RFC 2308 §3.
  uint32_t negative_ttl() const;
  // Sets Node::occluded on every node; called once the nodes are laid out.
  void mark_occluded();
  // Sets is_signed, denial and the NSEC or NSEC3 chain from the nodes.
  void build_denial();
  // The nearest strict ancestor of `name`, up to the apex included, for
  // which `test(node)` holds; nullptr when none (or `name` is the apex).
  template <class Test>
  const Node* find_ancestor(std::string_view name, Test test) const {
    if (name.size() <= origin.size()) return nullptr;
    for (auto up = dns::parent_name(name);; up = dns::parent_name(up)) {
      const Node* above = find(up);
      if (above != nullptr && test(*above)) return above;
      if (up.size() <= origin.size()) return nullptr;
    }
  }
};

// What answers need to know of a secondary zone (one kept from its
// primaries by transfers, RFC 1034 §4.3.5): whether its copy may be
// served, and for how long. (Whom it takes NOTIFY from is policy:
// answer::Snapshot::access.)
struct SecondaryState {
  // Past its SOA expire without a successful refresh, or never transferred:
  // answered SERVFAIL (RFC 1034 §4.3.5) until a refresh succeeds.
  bool expired = false;
  int64_t expires_at = 0;  // Unix time the copy expires, for EDNS EXPIRE (RFC 7314)
};

// All zones served, published as one immutable snapshot. The zones sit in
// 256 shards by their first label; a copy shares every shard, and changing
// a zone copies its shard alone, so a reload of one zone among 100,000
// copies some 400 entries, not the table.
class ZoneSet {
 public:
  using Zones = std::unordered_map<std::string, std::shared_ptr<const Zone>, NameHash, std::equal_to<>>;

  ZoneSet() = default;
  ZoneSet(const ZoneSet& other) : shards_(other.shards_), size_(other.size_) { copy_rest(other); }
  ZoneSet& operator=(const ZoneSet& other);
  ZoneSet(ZoneSet&&) = default;
  ZoneSet& operator=(ZoneSet&&) = default;

  // Adds `zone`, or replaces the zone of the same origin.
  void add(std::shared_ptr<const Zone> zone);
  void remove(std::string_view origin);
  // The zone of this origin (canonical wire form), or null.
  std::shared_ptr<const Zone> get(std::string_view origin) const;
  std::size_t size() const { return size_; }
  // Calls f(origin, zone) for every zone, in no particular order.
  template <class F>
  void for_each(F f) const {
    for (const auto& shard : shards_) {
      if (!shard) continue;
      for (const auto& [origin, zone] : *shard) f(origin, zone);
    }
  }

  // Marks the zone `zone` (canonical wire origin, added already) a secondary.
  void set_secondary(const std::string& origin, SecondaryState state);
  // Null for a zone of which we are the primary.
  const SecondaryState* secondary(const Zone& zone) const {
    if (secondaries_.empty()) return nullptr;
    auto it = secondaries_.find(zone.origin);
    return it == secondaries_.end() ? nullptr : &it->second;
  }
  // A secondary zone that must not be answered from (see SecondaryState).
  bool expired(const Zone& zone) const {
    if (!any_expired_) return false;  // the common case: one load of a bool
    const SecondaryState* s = secondary(zone);
    return s != nullptr && s->expired;
  }
  // A new version of a zone already in the set; its SecondaryState, if
  // any, is replaced by `state`.
  void replace(std::shared_ptr<const Zone> zone, std::optional<SecondaryState> state);
  // The most specific zone containing `name`, or nullptr (then: REFUSED).
  const Zone* find_zone(const dns::Name& name) const;
  // The most specific zone strictly above `zone`'s origin (for DS at a cut).
  const Zone* find_parent_zone(const dns::Name& name) const;

 private:
  static constexpr std::size_t kShards = 256;
  // From the first label only: cheap on the query path, and spread enough
  // (zone names differ most in their first label).
  static std::size_t shard_of(std::string_view origin) {
    std::size_t h = 0;
    std::size_t end = origin.empty() ? 0 : std::min<std::size_t>(origin.size(), 1u + static_cast<uint8_t>(origin[0]));
    for (std::size_t i = 0; i < end; ++i) h = h * 31 + static_cast<uint8_t>(origin[i]);
    return h % kShards;
  }
  const Zone* find_from(const dns::Name& name, unsigned first_skip) const;
  // The shard to change: copied first unless this set made it.
  Zones& writable(std::size_t shard);
  void copy_rest(const ZoneSet& other);

  std::array<std::shared_ptr<Zones>, kShards> shards_;  // null: no zone there
  std::bitset<kShards> owned_;                          // shards this set made, not shared with a copy
  std::size_t size_ = 0;
  std::unordered_map<std::string, SecondaryState, NameHash, std::equal_to<>> secondaries_;
  bool any_expired_ = false;
  unsigned min_labels_ = 255;
  unsigned max_labels_ = 0;
};

}  // namespace rpdns::zone
