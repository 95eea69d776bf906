// Per-worker counters. Each worker writes only its own block, which sits on
// its own cache lines, so counting costs no shared-memory traffic; readers
// sum the blocks when asked.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

namespace rpdns::stats {

// Written by one thread only: a relaxed load and store is enough, and keeps
// the increment free of locked instructions. Readers on other threads see a
// recent value without tearing.
struct Counter {
  std::atomic<uint64_t> value{0};
  void add(uint64_t n = 1) { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

// The query types counted one by one; everything else is "other".
inline constexpr std::array<std::pair<uint16_t, std::string_view>, 12> kCountedTypes = {{
    {1, "A"},
    {2, "NS"},
    {5, "CNAME"},
    {6, "SOA"},
    {12, "PTR"},
    {15, "MX"},
    {16, "TXT"},
    {28, "AAAA"},
    {33, "SRV"},
    {43, "DS"},
    {65, "HTTPS"},
    {255, "ANY"},
}};
inline constexpr std::size_t kTypeSlots = kCountedTypes.size() + 1;  // + other

inline std::size_t type_slot(uint16_t qtype) {
  for (std::size_t i = 0; i < kCountedTypes.size(); ++i) {
    if (kCountedTypes[i].first == qtype) return i;
  }
  return kCountedTypes.size();
}

// Reply codes 0..5 by name, then BADVERS and BADCOOKIE, then everything else.
inline constexpr std::array<std::string_view, 9> kRcodeNames = {"NOERROR", "FORMERR", "SERVFAIL",  "NXDOMAIN", "NOTIMP",
                                                                "REFUSED", "BADVERS", "BADCOOKIE", "other"};

inline std::size_t rcode_slot(uint16_t rcode) {
  if (rcode <= 5) return rcode;
  if (rcode == 16) return 6;
  return rcode == 23 ? 7 : 8;
}

// What requests' COOKIE options came to (RFC 7873 §5.2), in the order of
// answer::CookieResult after "none".
inline constexpr std::array<std::string_view, 4> kCookieResults = {"malformed", "client_only", "valid", "invalid"};

struct alignas(64) WorkerCounters {
  Counter queries;    // datagrams received
  Counter replies;    // replies sent
  Counter dropped;    // received but not answered (unparseable, or a response)
  Counter truncated;  // replies with TC set
  Counter edns;       // requests carrying OPT
  Counter send_errors;
  Counter rate_limited_dropped;  // over the rate limit, not answered
  Counter rate_limited_slipped;  // over the rate limit, answered truncated
  Counter tcp_refused;           // connections closed at accept (client at its cap, or all full)
  Counter tcp_evicted;           // connections closed to make room for a new one
  Counter tcp_accept_errors;     // accepts that failed (descriptors exhausted), each followed by a pause
  Counter transfers_axfr;        // AXFRs streamed out (RFC 5936)
  Counter transfers_ixfr;        // IXFRs answered with changes from the journal (RFC 1995)
  Counter transfers_ixfr_full;   // IXFRs the journal could not serve, answered with the whole zone
  Counter transfer_bytes;        // bytes of every transfer's messages sent
  Counter dnstap_dropped;        // dnstap messages the worker's full ring had no room for
  // Written by the dnstap writer's thread, not the worker's:
  Counter dnstap_sent;  // dnstap messages written to the collector
  Counter dnstap_lost;  // dnstap messages dropped while the collector was away
  std::array<Counter, kRcodeNames.size()> by_rcode;
  std::array<Counter, kTypeSlots> by_type;
  std::array<Counter, kCookieResults.size()> by_cookie;
};

// Calls `f` on every counter of `c`, always in the same order (the order
// an upgrade hands them to the successor in).
template <typename Counters, typename F>
void for_each_counter(Counters& c, F f) {
  for (auto* one : {&c.queries, &c.replies, &c.dropped, &c.truncated, &c.edns, &c.send_errors, &c.rate_limited_dropped,
                    &c.rate_limited_slipped, &c.tcp_refused, &c.tcp_evicted, &c.tcp_accept_errors, &c.transfers_axfr,
                    &c.transfers_ixfr, &c.transfers_ixfr_full, &c.transfer_bytes, &c.dnstap_dropped, &c.dnstap_sent,
                    &c.dnstap_lost})
    f(*one);
  for (auto& one : c.by_rcode) f(one);
  for (auto& one : c.by_type) f(one);
  for (auto& one : c.by_cookie) f(one);
}

// Adds every counter of `from` to `to` (one writer of `to` at a time).
inline void add_counters(WorkerCounters& to, const WorkerCounters& from) {
  std::vector<uint64_t> values;
  for_each_counter(from, [&values](const Counter& c) { values.push_back(c.get()); });
  std::size_t i = 0;
  for_each_counter(to, [&values, &i](Counter& c) { c.add(values[i++]); });
}

}  // namespace rpdns::stats
