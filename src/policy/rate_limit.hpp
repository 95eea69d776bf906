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

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
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

// One response as the rate limiter sees it; the server fills it in from
// the request, the reply and what answering found.
struct Response {
  uint16_t rcode = 0;                 // extended rcode
  uint8_t header_rcode = 0;           // the reply header's RCODE field
  uint16_t answers = 0;               // the reply's ANCOUNT
  std::span<const uint8_t> question;  // the request's question: QNAME, QTYPE, QCLASS
  std::string_view synthesized_by;    // owner of the wildcard or DNAME that answered the query name; empty: none
  const void* zone = nullptr;         // the zone that answered, as an identity; null: none
  bool proven = false;                // a valid server cookie or a verified TSIG vouches for the source
};

// What counts as "the same response" (as BIND and Knot do): a positive
// answer is its name and type; an answer synthesized from a wildcard or a
// DNAME (positive or NODATA) is that node's owner name and the type, so
// random labels under a wildcard share one bucket; a negative answer or
// referral is its zone and rcode, so random names under one zone share
// one bucket; errors are their rcode.
uint64_t response_kind(const Response& response);

class RateLimiter {
 public:
  enum class Verdict { send, slip, drop };
  static constexpr unsigned kWays = 4;  // buckets per set

  explicit RateLimiter(const RateLimitSettings& settings);

  bool enabled() const { return settings_.responses_per_second > 0; }
  // `kind` identifies the response (response_kind()); `now_ms` a monotonic clock.
  Verdict check(const sockaddr* client, uint64_t kind, uint64_t now_ms);
  // The verdict on one response to `client`. A proven source has nothing
  // to limit: a valid server cookie proves the address, a verified TSIG
  // the sender's key (and a slip would break the reply's MAC). A BADTIME
  // reply (a stale or replayed request) is limited as usual. Inline, so a
  // server with the limiter off pays one test per reply.
  Verdict screen(const sockaddr* client, const Response& response, uint64_t now_ms) {
    if (!enabled() || response.proven) return Verdict::send;
    return check(client, response_kind(response), now_ms);
  }
  // Turns `reply` into the slipped one and returns its size: header and
  // question only, TC set, so the client retries over TCP (where a spoofed
  // source cannot follow).
  static std::size_t slip_reply(uint8_t* reply, std::size_t question_end);

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
