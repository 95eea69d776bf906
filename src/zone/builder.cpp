#include "zone/builder.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <numeric>

#include "zone/signatures.hpp"

namespace rpdns::zone {
namespace {

// Names seen while building, each with a number, in an open-addressing table.
class NameTable {
 public:
  explicit NameTable(std::size_t expected) { slots_.assign(capacity_for(expected), 0); }

  // The number of `name`, added if new. `name` must outlive the table.
  uint32_t intern(std::string_view name, bool& added) {
    if ((names_.size() + 1) * 2 > slots_.size()) grow();
    std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = NameHash{}(name)&mask;; slot = (slot + 1) & mask) {
      if (slots_[slot] == 0) {
        names_.push_back(name);
        slots_[slot] = static_cast<uint32_t>(names_.size());
        added = true;
        return static_cast<uint32_t>(names_.size() - 1);
      }
      if (names_[slots_[slot] - 1] == name) {
        added = false;
        return slots_[slot] - 1;
      }
    }
  }
  const std::vector<std::string_view>& names() const { return names_; }

 private:
  static std::size_t capacity_for(std::size_t n) {
    std::size_t size = 16;
    while (size < n * 2 + 2) size <<= 1;
    return size;
  }
  void grow() {
    std::vector<uint32_t> bigger(slots_.size() * 2, 0);
    std::size_t mask = bigger.size() - 1;
    for (uint32_t entry : slots_) {
      if (entry == 0) continue;
      std::size_t slot = NameHash{}(names_[entry - 1]) & mask;
      while (bigger[slot] != 0) slot = (slot + 1) & mask;
      bigger[slot] = entry;
    }
    slots_ = std::move(bigger);
  }

  std::vector<uint32_t> slots_;
  std::vector<std::string_view> names_;
};

class Builder {
 public:
  Builder(const ParsedRecords& parsed, const std::string& file, Zone& zone, std::vector<LoadError>& errors,
          LoadWarnings& warnings)
      : parsed_(parsed),
        file_(file),
        zone_(zone),
        errors_(errors),
        warnings_(warnings),
        table_(parsed.records.size()) {}

  bool run();

 private:
  void error(const ParsedRecords::Record& r, std::string message) {
    errors_.push_back({parsed_.files[r.source], r.line, std::move(message)});
  }
  void warn(const ParsedRecords::Record& r, std::string message) {
    warnings_.add({parsed_.files[r.source], r.line, std::move(message)});
  }
  void number_names();
  void add_empty_non_terminals();
  void group_by_name();
  void select_records();
  void select_rrset(std::size_t first, std::size_t end);
  void check_size(std::size_t first, std::size_t end);
  void check_ttls(std::size_t first, std::size_t end);
  bool keep(std::size_t first, std::size_t i);
  void check_node(std::size_t node);
  void lay_out();
  static void attach_signatures(std::span<RRset> rrsets);
  static bool is_nsec3_owner(const Node& node);
  void build_index();
  void check_below_dname();
  void check_apex();

  const ParsedRecords& parsed_;
  const std::string& file_;
  Zone& zone_;
  std::vector<LoadError>& errors_;
  LoadWarnings& warnings_;
  NameTable table_;
  std::vector<uint32_t> node_of_;     // record -> node
  std::vector<uint32_t> order_;       // records grouped by node, then by type
  std::vector<uint32_t> node_start_;  // node -> first position in order_ (size nodes + 1)
  std::vector<bool> kept_;            // record survives de-duplication
};

void Builder::number_names() {
  node_of_.resize(parsed_.records.size());
  std::string_view previous;
  for (std::size_t i = 0; i < parsed_.records.size(); ++i) {
    std::string_view owner = parsed_.owner(parsed_.records[i]);
    bool added = false;
    // Zone files mostly list a name's records together: skip the table then.
    node_of_[i] = i > 0 && owner == previous ? node_of_[i - 1] : table_.intern(owner, added);
    previous = owner;
  }
}

// Every name between an owner and the apex exists, even with no data (an
// empty non-terminal, RFC 8020, RFC 4592 §2.2.2).
void Builder::add_empty_non_terminals() {
  std::size_t owners = table_.names().size();
  for (std::size_t n = 0; n < owners; ++n) {
    std::string_view name = table_.names()[n];
    for (auto up = dns::parent_name(name); up.size() > zone_.origin.size(); up = dns::parent_name(up)) {
      bool added = false;
      table_.intern(up, added);
      if (!added) break;  // that name's ancestors are (or will be) walked from it
    }
  }
}

// A counting sort of the records by node keeps file order within a node.
void Builder::group_by_name() {
  std::size_t nodes = table_.names().size();
  node_start_.assign(nodes + 1, 0);
  for (uint32_t n : node_of_) ++node_start_[n + 1];
  std::partial_sum(node_start_.begin(), node_start_.end(), node_start_.begin());
  order_.resize(node_of_.size());
  std::vector<uint32_t> next(node_start_.begin(), node_start_.end() - 1);
  for (std::size_t i = 0; i < node_of_.size(); ++i) order_[next[node_of_[i]]++] = static_cast<uint32_t>(i);
  // RRSIGs sort by the type they cover, so each RRset's signatures are one
  // slice of the name's RRSIG RRset (see attach_signatures).
  auto key = [this](uint32_t i) {
    const auto& r = parsed_.records[i];
    uint32_t covered = r.type == dns::type::RRSIG && r.rdata_length >= 2 ? dns::read_u16(parsed_.rdata(r).data()) : 0;
    return uint32_t{r.type} << 16 | covered;
  };
  auto by_type = [&](uint32_t a, uint32_t b) { return key(a) < key(b); };
  for (std::size_t n = 0; n < nodes; ++n) {
    auto first = order_.begin() + node_start_[n], last = order_.begin() + node_start_[n + 1];
    // Most names hold one type, already in order; stable_sort would still allocate.
    if (!std::is_sorted(first, last, by_type)) std::stable_sort(first, last, by_type);
  }
}

// RFC 2181 §5: an RRset is a set, so a record equal to an earlier one of the
// same RRset (which starts at `first`) goes; CNAME and DNAME hold one record.
bool Builder::keep(std::size_t first, std::size_t i) {
  const auto& r = parsed_.records[order_[i]];
  auto rdata = parsed_.rdata(r);
  for (std::size_t k = first; k < i; ++k) {
    if (!kept_[order_[k]]) continue;
    auto other = parsed_.rdata(parsed_.records[order_[k]]);
    if (other.size() == rdata.size() && std::equal(rdata.begin(), rdata.end(), other.begin())) return false;
    if (r.type == dns::type::CNAME || r.type == dns::type::DNAME) {
      error(r, "more than one record in a singleton RRset");
      return false;
    }
  }
  return true;
}

void Builder::select_records() {
  kept_.assign(parsed_.records.size(), false);
  std::size_t nodes = table_.names().size();
  for (std::size_t n = 0; n < nodes; ++n) {
    std::size_t first = node_start_[n];
    for (std::size_t i = node_start_[n]; i <= node_start_[n + 1]; ++i) {
      bool rrset_ends =
          i == node_start_[n + 1] || parsed_.records[order_[i]].type != parsed_.records[order_[first]].type;
      if (rrset_ends) {
        select_rrset(first, i);
        check_size(first, i);
        check_ttls(first, i);
        first = i;
      }
    }
    check_node(n);
  }
}

// Positions [first, end) of order_ hold one RRset. Comparing each record with
// the ones before it is quadratic, so a big RRset (a name with thousands of
// records would take seconds) finds its duplicates by sorting instead; either
// way the first of equal records, in file order, is the one kept.
void Builder::select_rrset(std::size_t first, std::size_t end) {
  constexpr std::size_t kSortAbove = 32;
  uint16_t type = end > first ? parsed_.records[order_[first]].type : 0;
  bool singleton = type == dns::type::CNAME || type == dns::type::DNAME;
  if (end - first <= kSortAbove || singleton) {
    for (std::size_t i = first; i < end; ++i) kept_[order_[i]] = keep(first, i);
    return;
  }
  std::vector<uint32_t> by_rdata(order_.begin() + static_cast<std::ptrdiff_t>(first),
                                 order_.begin() + static_cast<std::ptrdiff_t>(end));
  auto rdata_of = [this](uint32_t record) { return parsed_.rdata(parsed_.records[record]); };
  std::stable_sort(by_rdata.begin(), by_rdata.end(), [&](uint32_t a, uint32_t b) {
    auto x = rdata_of(a), y = rdata_of(b);
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
  });
  for (std::size_t k = 0; k < by_rdata.size(); ++k) {
    bool repeat = k > 0 && std::ranges::equal(rdata_of(by_rdata[k]), rdata_of(by_rdata[k - 1]));
    kept_[by_rdata[k]] = !repeat;
  }
}

// RRset::count and a message's ANCOUNT are 16 bits (RFC 1035 §4.1.1): an
// RRset of more records could be neither stored nor sent. The record named
// is the first one past the limit.
void Builder::check_size(std::size_t first, std::size_t end) {
  constexpr std::size_t kMaxRecords = 65535;
  std::size_t kept = 0;
  for (std::size_t i = first; i < end; ++i) {
    if (!kept_[order_[i]] || ++kept <= kMaxRecords) continue;
    const auto& r = parsed_.records[order_[i]];
    error(r, dns::to_text(parsed_.owner(r)) + ": more than 65535 records in one RRset");
    return;
  }
}

// RFC 2181 §5.2: an RRset has one TTL. As BIND does, the first record's (in
// file order) is served for all of them, and each record that differs is
// named. RRSIGs are the exception (RFC 4034 §3): those at one name cover
// different RRsets and each carries the TTL of the one it covers.
void Builder::check_ttls(std::size_t first, std::size_t end) {
  if (end == first) return;  // an empty non-terminal: `first` may be past the end of order_
  const auto& head = parsed_.records[order_[first]];
  if (head.type == dns::type::RRSIG) return;
  for (std::size_t i = first + 1; i < end; ++i) {
    const auto& r = parsed_.records[order_[i]];
    if (r.ttl == head.ttl) continue;
    warn(r, dns::to_text(parsed_.owner(r)) + ": TTL " + std::to_string(r.ttl) + " differs from TTL " +
                std::to_string(head.ttl) + " of the RRset's first record at " + parsed_.files[head.source] + ":" +
                std::to_string(head.line) + "; " + std::to_string(head.ttl) + " is used (RFC 2181 §5.2)");
  }
}

// RFC 1034 §3.6.2 / RFC 2181 §10.1: a CNAME owner has no other data, but
// for the RRSIG and NSEC records that sign and chain it (RFC 4035 §2.5).
void Builder::check_node(std::size_t n) {
  std::size_t begin = node_start_[n], end = node_start_[n + 1];
  if (end - begin < 2) return;
  const ParsedRecords::Record* cname = nullptr;
  bool other = false;
  for (std::size_t i = begin; i < end; ++i) {
    const auto& r = parsed_.records[order_[i]];
    if (r.type == dns::type::CNAME) {
      cname = &r;
    } else if (r.type != dns::type::RRSIG && r.type != dns::type::NSEC) {
      other = true;
    }
  }
  if (cname != nullptr && other) error(*cname, "CNAME and other data at " + dns::to_text(table_.names()[n]));
}

void Builder::lay_out() {
  const auto& names = table_.names();
  std::size_t bytes = 0, rrsets = 0;
  for (auto name : names) bytes += name.size();
  for (std::size_t n = 0; n < names.size(); ++n) {
    uint16_t last_type = 0;
    bool any = false;
    for (std::size_t i = node_start_[n]; i < node_start_[n + 1]; ++i) {
      const auto& r = parsed_.records[order_[i]];
      if (!kept_[order_[i]]) continue;
      bytes += 6u + r.rdata_length;
      if (!any || r.type != last_type) ++rrsets;
      any = true;
      last_type = r.type;
    }
  }
  // Sized once: the spans below point into these and must never move.
  zone_.arena.resize(bytes);
  zone_.rrset_store.resize(rrsets);
  zone_.nodes.resize(names.size());
  uint8_t* out = zone_.arena.data();
  RRset* rrset = zone_.rrset_store.data();
  zone_.record_count = 0;
  for (std::size_t n = 0; n < names.size(); ++n) {
    Node& node = zone_.nodes[n];
    std::memcpy(out, names[n].data(), names[n].size());
    node.set_name({reinterpret_cast<const char*>(out), names[n].size()});
    out += names[n].size();
    RRset* first_rrset = rrset;
    for (std::size_t i = node_start_[n]; i < node_start_[n + 1]; ++i) {
      const auto& r = parsed_.records[order_[i]];
      if (!kept_[order_[i]]) continue;
      if (rrset == first_rrset || (rrset - 1)->type != r.type) {
        *rrset = RRset{};
        rrset->type = r.type;
        rrset->ttl = r.ttl;
        rrset->set_records(out, 0);
        ++rrset;
      }
      RRset& current = *(rrset - 1);
      // The RRset's first TTL for every record (see check_ttls).
      dns::write_u32(out, r.type == dns::type::RRSIG ? r.ttl : current.ttl);
      dns::write_u16(out + 4, r.rdata_length);
      std::memcpy(out + 6, parsed_.bytes.data() + r.rdata_offset, r.rdata_length);
      out += 6u + r.rdata_length;
      if (!current.set_records(current.records().data(), current.records().size() + 6u + r.rdata_length)) {
        error(r, dns::to_text(parsed_.owner(r)) + ": more than 4 GiB of records in one RRset");
      }
      ++current.count;
      ++zone_.record_count;
    }
    std::span<RRset> laid{first_rrset, static_cast<std::size_t>(rrset - first_rrset)};
    attach_signatures(laid);
    node.set_rrsets(laid);
    node.is_delegation = node.name() != zone_.origin && node.find(dns::type::NS) != nullptr;
    node.nsec3_owner = is_nsec3_owner(node);
  }
  build_index();
}

// Points each RRset at its slice of the node's RRSIG RRset, sorted by type
// covered in group_by_name. RRSIGs covering a type the name lacks stay in
// the RRSIG RRset only (served to qtype RRSIG and in transfers).
void Builder::attach_signatures(std::span<RRset> rrsets) {
  auto sig = std::find_if(rrsets.begin(), rrsets.end(), [](const RRset& r) { return r.type == dns::type::RRSIG; });
  if (sig == rrsets.end()) return;
  const uint8_t* rec = sig->records().data();
  const uint8_t* end = rec + sig->records().size();
  while (rec < end) {
    uint16_t covered = dns::read_u16(rec + 6);
    const uint8_t* first = rec;
    uint16_t count = 0;
    for (; rec < end && dns::read_u16(rec + 6) == covered; ++count) rec += 6u + dns::read_u16(rec + 4);
    for (RRset& r : rrsets) {
      if (r.type != covered || r.type == dns::type::RRSIG) continue;
      // Both lie in one name's stretch of the arena; only a name holding
      // over 2 GiB could fail this, and would be served unsigned.
      r.set_sigs(first, static_cast<std::size_t>(rec - first), count);
    }
  }
}

bool Builder::is_nsec3_owner(const Node& node) {
  bool nsec3 = false;
  for (const RRset& r : node.rrsets()) {
    if (r.type == dns::type::NSEC3) {
      nsec3 = true;
    } else if (r.type != dns::type::RRSIG) {
      return false;
    }
  }
  return nsec3;
}

// Every name but NSEC3 owners (see Node::nsec3_owner), each slot holding
// the name's hash tag above its node number + 1 (see Zone::index).
// Sized for the names it holds, at most 70% full: the 32-bit tags beside
// each slot keep probes off the nodes, so a fuller table costs a few more
// slots read in the same cache line, while a TLD's index shrinks by half.
void Builder::build_index() {
  auto indexed = static_cast<std::size_t>(
      std::count_if(zone_.nodes.begin(), zone_.nodes.end(), [](const Node& node) { return !node.nsec3_owner; }));
  std::size_t slots = 8;
  while (slots * 7 < indexed * 10) slots <<= 1;
  zone_.index.assign(slots, 0);
  std::size_t mask = zone_.index.size() - 1;
  for (std::size_t n = 0; n < zone_.nodes.size(); ++n) {
    const Node& node = zone_.nodes[n];
    if (node.nsec3_owner) continue;
    std::size_t hash = NameHash{}(node.name());
    std::size_t slot = hash & mask;
    while (zone_.index[slot] != 0) slot = (slot + 1) & mask;
    zone_.index[slot] = Zone::index_tag(hash) | (n + 1);
  }
}

// RFC 6672 §2.3: no records at any name below a DNAME's owner (Knot DNS
// and NSD refuse such zones too).
void Builder::check_below_dname() {
  auto has_dname = [](const Node& n) { return n.find(dns::type::DNAME) != nullptr; };
  if (std::none_of(zone_.nodes.begin(), zone_.nodes.end(), has_dname)) return;
  for (std::size_t n = 0; n < zone_.nodes.size(); ++n) {
    const Node& node = zone_.nodes[n];
    if (node.rrsets().empty()) continue;
    if (const Node* dname = zone_.find_ancestor(node.name(), has_dname)) {
      error(parsed_.records[order_[node_start_[n]]],
            dns::to_text(node.name()) + " is below the DNAME at " + dns::to_text(dname->name()));
    }
  }
}

void Builder::check_apex() {
  std::size_t soa_count = 0;
  for (const auto& r : parsed_.records) {
    if (r.type != dns::type::SOA) continue;
    if (parsed_.owner(r) != zone_.origin)
      error(r, "SOA record outside the zone apex");
    else if (++soa_count > 1)
      error(r, "more than one SOA record at the apex");
  }
  std::size_t first_line = parsed_.records.empty() ? 0 : parsed_.records.front().line;
  zone_.apex = zone_.find(zone_.origin);
  if (soa_count == 0) errors_.push_back({file_, first_line, "no SOA record at the zone apex"});
  if (zone_.apex == nullptr || zone_.apex->find(dns::type::NS) == nullptr) {
    errors_.push_back({file_, first_line, "no NS records at the zone apex"});
  }
}

bool Builder::run() {
  std::size_t before = errors_.size();
  number_names();
  add_empty_non_terminals();
  group_by_name();
  select_records();
  lay_out();
  check_below_dname();
  check_apex();
  if (errors_.size() != before) return false;
  zone_.mark_occluded();
  zone_.soa = zone_.apex->find(dns::type::SOA);
  auto soa = zone_.soa->first_rdata();
  zone_.serial = dns::SoaView{soa.data(), soa.size()}.serial();
  zone_.build_denial();
  inspect_signatures(zone_, file_, warnings_, std::time(nullptr));
  return true;
}

}  // namespace

void ParsedRecords::add(std::string_view owner, uint16_t type, uint32_t ttl, std::span<const uint8_t> rdata,
                        uint32_t source, uint32_t line) {
  Record r{};
  r.owner_offset = static_cast<uint32_t>(bytes.size());
  r.owner_length = static_cast<uint8_t>(owner.size());
  bytes.insert(bytes.end(), owner.begin(), owner.end());
  r.rdata_offset = static_cast<uint32_t>(bytes.size());
  r.rdata_length = static_cast<uint16_t>(rdata.size());
  bytes.insert(bytes.end(), rdata.begin(), rdata.end());
  r.type = type;
  r.ttl = ttl;
  r.source = source;
  r.line = line;
  records.push_back(r);
}

void ParsedRecords::append(const ParsedRecords& more) {
  auto shift = static_cast<uint32_t>(bytes.size());
  bytes.insert(bytes.end(), more.bytes.begin(), more.bytes.end());
  records.reserve(records.size() + more.records.size());
  for (Record r : more.records) {
    r.owner_offset += shift;
    r.rdata_offset += shift;
    records.push_back(r);
  }
}

bool build_zone(const ParsedRecords& parsed, const std::string& file, Zone& zone, std::vector<LoadError>& errors,
                LoadWarnings& warnings) {
  zone.loaded_at = std::time(nullptr);
  return Builder(parsed, file, zone, errors, warnings).run();
}

}  // namespace rpdns::zone
