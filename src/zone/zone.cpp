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

ZoneSet& ZoneSet::operator=(const ZoneSet& other) {
  if (this == &other) return *this;
  shards_ = other.shards_;
  size_ = other.size_;
  copy_rest(other);
  return *this;
}

// A copy owns no shard: the first change to one copies it.
void ZoneSet::copy_rest(const ZoneSet& other) {
  owned_.reset();
  secondaries_ = other.secondaries_;
  any_expired_ = other.any_expired_;
  min_labels_ = other.min_labels_;
  max_labels_ = other.max_labels_;
}

ZoneSet::Zones& ZoneSet::writable(std::size_t shard) {
  auto& slot = shards_[shard];
  if (!owned_[shard]) {
    slot = slot ? std::make_shared<Zones>(*slot) : std::make_shared<Zones>();
    owned_[shard] = true;
  }
  return *slot;
}

void ZoneSet::add(std::shared_ptr<const Zone> zone) {
  unsigned labels = dns::count_labels(zone->origin);
  min_labels_ = std::min(min_labels_, labels);
  max_labels_ = std::max(max_labels_, labels);
  auto& shard = writable(shard_of(zone->origin));
  auto [it, added] = shard.try_emplace(zone->origin, zone);
  if (added) {
    ++size_;
  } else {
    it->second = std::move(zone);
  }
}

// The label bounds stay as they were: they only narrow the search.
void ZoneSet::remove(std::string_view origin) {
  std::size_t at = shard_of(origin);
  if (!shards_[at] || shards_[at]->find(origin) == shards_[at]->end()) return;
  auto& shard = writable(at);
  shard.erase(shard.find(origin));
  --size_;
  if (auto it = secondaries_.find(origin); it != secondaries_.end()) secondaries_.erase(it);
}

std::shared_ptr<const Zone> ZoneSet::get(std::string_view origin) const {
  const auto& shard = shards_[shard_of(origin)];
  if (!shard) return nullptr;
  auto it = shard->find(origin);
  return it == shard->end() ? nullptr : it->second;
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
  add(std::move(zone));
}

const Zone* ZoneSet::find_from(const dns::Name& name, unsigned first_skip) const {
  if (size_ == 0 || name.labels < min_labels_) return nullptr;
  // Try the longest candidate origin first; only label counts that some
  // zone actually has are worth a hash lookup.
  unsigned skip = std::max(first_skip, name.labels > max_labels_ ? name.labels - max_labels_ : 0u);
  for (; skip + min_labels_ <= name.labels; ++skip) {
    auto suffix = name.suffix(skip);
    const auto& shard = shards_[shard_of(suffix)];
    if (!shard) continue;
    auto it = shard->find(suffix);
    if (it != shard->end()) return it->second.get();
  }
  return nullptr;
}

const Zone* ZoneSet::find_zone(const dns::Name& name) const { return find_from(name, 0); }

const Zone* ZoneSet::find_parent_zone(const dns::Name& name) const { return find_from(name, 1); }

}  // namespace rpdns::zone
