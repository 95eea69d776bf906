#include "policy/connection_limit.hpp"

#include "policy/prefix.hpp"

namespace rpdns::policy {

ConnectionLimit::ConnectionLimit(const ConnectionLimitSettings& settings, std::size_t slots)
    : settings_(settings), seed_(random_seed()) {
  std::size_t size = 1;
  while (size < slots) size <<= 1;  // a power of two, for the mask
  mask_ = size - 1;
  counts_ = std::make_unique<std::atomic<uint32_t>[]>(size);
}

std::size_t ConnectionLimit::slot_of(const sockaddr* client) const {
  uint64_t h = mix64(hash_client_prefix(client, settings_.ipv4_prefix, settings_.ipv6_prefix) ^ seed_);
  return static_cast<std::size_t>(h) & mask_;
}

std::size_t ConnectionLimit::acquire(const sockaddr* client) {
  std::size_t slot = slot_of(client);
  uint32_t before = counts_[slot].fetch_add(1, std::memory_order_relaxed);
  if (settings_.per_client != 0 && before >= settings_.per_client) {
    counts_[slot].fetch_sub(1, std::memory_order_relaxed);
    return kNone;
  }
  return slot;
}

void ConnectionLimit::release(std::size_t slot) {
  if (slot != kNone) counts_[slot].fetch_sub(1, std::memory_order_relaxed);
}

unsigned ConnectionLimit::open(const sockaddr* client) const {
  return counts_[slot_of(client)].load(std::memory_order_relaxed);
}

}  // namespace rpdns::policy
