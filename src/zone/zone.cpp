#include "zone/zone.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace rpdns::zone {

// A TLD holds millions of each; their size is most of its memory.
static_assert(sizeof(RRset) == 32);
static_assert(sizeof(Node) == 24);

bool RRset::set_records(const uint8_t* data, std::size_t size) {
  if (size > std::numeric_limits<uint32_t>::max()) return false;
  data_ = data;
  size_ = static_cast<uint32_t>(size);
  return true;
}

bool RRset::set_sigs(const uint8_t* sigs, std::size_t size, uint16_t sig_count) {
  std::ptrdiff_t offset = sigs - data_;
  if (offset < std::numeric_limits<int32_t>::min() || offset > std::numeric_limits<int32_t>::max() ||
      size > std::numeric_limits<uint32_t>::max()) {
    return false;
  }
  sig_offset_ = static_cast<int32_t>(offset);
  sig_size_ = static_cast<uint32_t>(size);
  sig_count_ = sig_count;
  return true;
}

uint32_t Zone::negative_ttl() const {
  auto rdata = soa->first_rdata();
  uint32_t minimum = dns::SoaView{rdata.data(), rdata.size()}.minimum();
  return std::min(soa->ttl, minimum);
}

// A name is occluded when it is a cut, or an ancestor below the apex is
// one, or an ancestor (the apex included) holds a DNAME (RFC 6672 §2.4).
void Zone::mark_occluded() {
  auto hides = [](const Node& n) { return n.is_delegation || n.find(dns::type::DNAME) != nullptr; };
  if (std::none_of(nodes.begin(), nodes.end(), hides)) return;  // the common case: no walk at all
  for (Node& node : nodes) node.occluded = node.is_delegation || find_ancestor(node.name(), hides) != nullptr;
}

void ZoneSet::add(std::shared_ptr<const Zone> zone) {
  unsigned labels = dns::count_labels(zone->origin);
  min_labels_ = std::min(min_labels_, labels);
  max_labels_ = std::max(max_labels_, labels);
  zones_[zone->origin] = std::move(zone);
}

void ZoneSet::set_secondary(const std::string& origin, SecondaryState state) {
  any_expired_ |= state.expired;
  secondaries_[origin] = state;
}

void ZoneSet::replace(std::shared_ptr<const Zone> zone, std::optional<SecondaryState> state) {
  if (state) {
    secondaries_[zone->origin] = *state;
    any_expired_ =
        std::any_of(secondaries_.begin(), secondaries_.end(), [](const auto& s) { return s.second.expired; });
  }
  zones_[zone->origin] = std::move(zone);
}

const Zone* ZoneSet::find_from(const dns::Name& name, unsigned first_skip) const {
  if (zones_.empty() || name.labels < min_labels_) return nullptr;
  // Try the longest candidate origin first; only label counts that some
  // zone actually has are worth a hash lookup.
  unsigned skip = std::max(first_skip, name.labels > max_labels_ ? name.labels - max_labels_ : 0u);
  for (; skip + min_labels_ <= name.labels; ++skip) {
    auto it = zones_.find(name.suffix(skip));
    if (it != zones_.end()) return it->second.get();
  }
  return nullptr;
}

const Zone* ZoneSet::find_zone(const dns::Name& name) const { return find_from(name, 0); }

const Zone* ZoneSet::find_parent_zone(const dns::Name& name) const { return find_from(name, 1); }

}  // namespace rpdns::zone
