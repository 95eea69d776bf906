#include "policy/connection_limit.hpp"

#include <netinet/in.h>

#include <cstring>
#include <random>

#include "policy/prefix.hpp"

namespace rpdns::policy {
namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

uint64_t random_seed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

ConnectionLimit::ConnectionLimit(const ConnectionLimitSettings& settings, std::size_t slots)
    : settings_(settings), seed_(random_seed()) {
  std::size_t size = 1;
  while (size < slots) size <<= 1;  // a power of two, for the mask
  mask_ = size - 1;
  counts_ = std::make_unique<std::atomic<uint32_t>[]>(size);
}

std::size_t ConnectionLimit::slot_of(const sockaddr* client) const {
  const uint8_t* bytes = nullptr;
  unsigned count = 0;
  unsigned prefix = 0;
  uint64_t h = seed_;
  if (client->sa_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(client);
    bytes = a->sin6_addr.s6_addr;
    count = 16;
    prefix = settings_.ipv6_prefix;
    // A v4-mapped address is the IPv4 client it stands for.
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      bytes += 12;
      count = 4;
      prefix = settings_.ipv4_prefix;
    }
  } else {
    bytes = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(client)->sin_addr);
    count = 4;
    prefix = settings_.ipv4_prefix;
  }
  h = mix(h, count);
  for (unsigned i = 0; i < count; ++i) h = mix(h, bytes[i] & prefix_mask(i, prefix));
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
