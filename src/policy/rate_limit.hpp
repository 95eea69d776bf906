// Response rate limiting (the RRL scheme of BIND and Knot DNS): a token
// bucket per (client prefix, kind of response). Over the limit most replies
// are dropped, and every `slip`-th one is sent truncated so that a real
// client, whose address was not spoofed, retries over TCP.
//
// One table per worker, fixed size, no locks, no allocation per query. The
// table is set-associative (kWays entries per set) and indexed by a hash
// keyed with a random per-limiter seed, so an attacker cannot aim keys at
// one set. A
// client's datagrams stay on one worker under the default 4-tuple hash, but
// a source that uses many ports spreads over several workers and so gets up
// to (workers × rate) replies per second.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <vector>

#include "policy/prefix.hpp"

namespace rpdns::policy {

struct RateLimitSettings {
  unsigned responses_per_second = 0;  // 0: off
  unsigned slip = 2;                  // every slip-th limited reply goes out truncated; 0: none
  unsigned ipv4_prefix = 24;
  unsigned ipv6_prefix = 56;
  std::vector<policy::Prefix> whitelist;
  unsigned table_size = 1 << 16;  // buckets per worker (rounded up to a power of two, at least kWays)
};

class RateLimiter {
 public:
  enum class Verdict { send, slip, drop };
  static constexpr unsigned kWays = 4;  // buckets per set

  explicit RateLimiter(const RateLimitSettings& settings);

  bool enabled() const { return settings_.responses_per_second > 0; }
  // `kind` identifies the response (see server::Worker); `now_ms` a monotonic clock.
  Verdict check(const sockaddr* client, uint64_t kind, uint64_t now_ms);

 private:
  struct Bucket {
    uint64_t key = 0;
    int64_t tokens_milli = 0;  // thousandths of a reply
    uint64_t last_ms = 0;
    uint32_t limited = 0;  // replies over the limit so far, for the slip
  };

  RateLimitSettings settings_;
  uint64_t seed_ = 0;  // random, drawn at construction
  std::size_t set_mask_ = 0;
  std::vector<Bucket> table_;
};

}  // namespace rpdns::policy
