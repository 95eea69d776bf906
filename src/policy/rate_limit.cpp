#include "policy/rate_limit.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace rpdns::policy {
namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

uint64_t masked_bytes(const uint8_t* bytes, unsigned count, unsigned prefix_bits) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned i = 0; i < count; ++i) h = mix(h, bytes[i] & prefix_mask(i, prefix_bits));
  return h;
}

}  // namespace

RateLimiter::RateLimiter(const RateLimitSettings& settings) : settings_(settings) {
  if (!enabled()) return;
  std::size_t size = 1024;
  while (size < settings_.table_size) size <<= 1;  // a power of two, for the mask
  table_.resize(size);
}

uint64_t RateLimiter::client_key(const sockaddr* client) const {
  if (client->sa_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(client);
    return masked_bytes(a->sin6_addr.s6_addr, 16, settings_.ipv6_prefix) ^ 6;
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(client);
  return masked_bytes(reinterpret_cast<const uint8_t*>(&a->sin_addr), 4, settings_.ipv4_prefix) ^ 4;
}

RateLimiter::Verdict RateLimiter::check(const sockaddr* client, uint64_t kind, uint64_t now_ms) {
  for (const auto& p : settings_.whitelist) {
    if (p.contains(client)) return Verdict::send;
  }
  uint64_t key = mix(client_key(client), kind) | 1;  // 0 marks an empty bucket
  Bucket& b = table_[key & (table_.size() - 1)];
  int64_t rate_milli = static_cast<int64_t>(settings_.responses_per_second) * 1000;
  if (b.key != key) {  // new, or a collision: the newcomer takes the bucket
    b = Bucket{key, rate_milli, now_ms, 0};
  }
  // Refill: `rate` replies per second, at most one second's worth saved up.
  auto elapsed = static_cast<int64_t>(now_ms - b.last_ms);
  b.tokens_milli =
      std::min(rate_milli, b.tokens_milli + elapsed * static_cast<int64_t>(settings_.responses_per_second));
  b.last_ms = now_ms;
  if (b.tokens_milli >= 1000) {
    b.tokens_milli -= 1000;
    return Verdict::send;
  }
  ++b.limited;
  if (settings_.slip > 0 && b.limited % settings_.slip == 0) return Verdict::slip;
  return Verdict::drop;
}

}  // namespace rpdns::policy
