#include "policy/rate_limit.hpp"

#include "dns/wire.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace rpdns::policy {
namespace {

// ASCII lowercase, as names compare (RFC 4343).
uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

}  // namespace

uint64_t response_kind(const Response& response) {
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  enum : uint8_t { kPositive = 1, kSynthesized = 2, kSynthesizedNodata = 3, kNegative = 4 };
  uint64_t h = 0x84222325cbf29ce4ULL ^ response.rcode;
  bool noerror = response.rcode == 0;  // NOERROR
  bool positive = noerror && response.answers > 0;
  if (noerror && !response.synthesized_by.empty()) {
    h = (h ^ (positive ? kSynthesized : kSynthesizedNodata)) * kPrime;
    for (char c : response.synthesized_by) h = (h ^ static_cast<uint8_t>(c)) * kPrime;  // canonical already
    for (uint8_t c : response.question.last(4)) h = (h ^ c) * kPrime;                   // QTYPE and QCLASS
  } else if (positive) {
    h = (h ^ kPositive) * kPrime;
    for (uint8_t c : response.question) h = (h ^ lower(c)) * kPrime;
  } else if (response.zone != nullptr) {
    h = (h ^ kNegative) * kPrime;
    h = (h ^ reinterpret_cast<uintptr_t>(response.zone)) * kPrime;
    h ^= response.header_rcode;  // NXDOMAIN and NODATA apart
  }
  return h;
}

std::size_t RateLimiter::slip_reply(uint8_t* reply, std::size_t question_end) {
  dns::set_header_tc(reply);
  std::memset(reply + 6, 0, 6);  // no answer, authority or additional records (RFC 1035 §4.1.1)
  return question_end;
}

RateLimiter::RateLimiter(const RateLimitSettings& settings) : settings_(settings) {
  if (!enabled()) return;
  seed_ = random_seed();
  std::size_t size = kWays;
  while (size < settings_.table_size) size <<= 1;  // a power of two, for the mask
  table_.resize(size);
  set_mask_ = size / kWays - 1;
}

RateLimiter::Verdict RateLimiter::check(const sockaddr* client, uint64_t kind, uint64_t now_ms) {
  for (const auto& p : settings_.whitelist) {
    if (p.contains(client)) return Verdict::send;
  }
  // Keyed by the seed: without it, which keys share a set is unknown.
  uint64_t hash = mix64(mix64(hash_client_prefix(client, settings_.ipv4_prefix, settings_.ipv6_prefix) ^ seed_) + kind);
  uint64_t key = hash | 1;  // 0 marks an empty bucket
  Bucket* set = &table_[((hash >> 32) & set_mask_) * kWays];
  int64_t rate_milli = static_cast<int64_t>(settings_.responses_per_second) * 1000;
  Bucket* b = nullptr;
  Bucket* stalest = set;
  for (unsigned w = 0; w < kWays && b == nullptr; ++w) {
    Bucket& candidate = set[w];
    if (candidate.key == key) {
      b = &candidate;
    } else if (candidate.key == 0 || (stalest->key != 0 && candidate.last_ms < stalest->last_ms)) {
      stalest = &candidate;  // an empty bucket first, else the least recently used
    }
  }
  if (b == nullptr) {
    // A key not in the table. An empty bucket starts full. Otherwise the
    // stalest bucket of the set is taken over, and the newcomer continues
    // its account (tokens, time, slip count) instead of starting full.
    // Handing out a full bucket on replacement would let a source walk
    // around the limit by cycling through more keys than a set holds (each
    // evicts the last and starts afresh); carrying the account over makes
    // keys that fight over one set share one limit. That costs nothing to
    // a key that replaces an idle bucket: after a second without traffic
    // the refill below has made any bucket full again. With the seeded
    // hash and kWays buckets per set, keys only meet this way when the
    // table is near full, that is when many sources or responses are
    // flooding at once, and sharing the limit is then the safe side.
    b = stalest;
    if (b->key == 0) *b = Bucket{key, rate_milli, now_ms, 0};
    b->key = key;
  }
  // Refill: `rate` replies per second, at most one second's worth saved up.
  auto elapsed = static_cast<int64_t>(now_ms - b->last_ms);
  b->tokens_milli =
      std::min(rate_milli, b->tokens_milli + elapsed * static_cast<int64_t>(settings_.responses_per_second));
  b->last_ms = now_ms;
  if (b->tokens_milli >= 1000) {
    b->tokens_milli -= 1000;
    return Verdict::send;
  }
  ++b->limited;
  if (settings_.slip > 0 && b->limited % settings_.slip == 0) return Verdict::slip;
  return Verdict::drop;
}

}  // namespace rpdns::policy
