// Per-worker counters. Each worker writes only its own block, which sits on
// its own cache lines, so counting costs no shared-memory traffic; readers
// sum the blocks when asked.
#pragma once

#include <atomic>
#include <cstdint>

namespace rpdns::stats {

struct alignas(64) WorkerCounters {
  // Written by one thread only: a relaxed load and store is enough, and
  // keeps the increment free of locked instructions.
  struct Counter {
    std::atomic<uint64_t> value{0};
    void add(uint64_t n = 1) { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    uint64_t get() const { return value.load(std::memory_order_relaxed); }
  };

  Counter queries;    // datagrams received
  Counter replies;    // replies sent
  Counter dropped;    // received but not answered (unparseable, or a response)
  Counter truncated;  // replies with TC set
  Counter edns;       // requests carrying OPT
  Counter formerr;
  Counter nxdomain;
  Counter refused;
  Counter send_errors;
};

}  // namespace rpdns::stats
