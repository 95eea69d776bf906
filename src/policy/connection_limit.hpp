// Open TCP connections per client prefix, across every worker: the cap that
// keeps one host (or one /64) from taking every connection slot.
//
// A fixed table of atomic counters indexed by a seeded hash of the masked
// address. Two prefixes that hash to one slot share its cap; the seed is
// random per process, so a client cannot aim a collision at another. Used
// at accept and close only, never per query.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace rpdns::policy {

struct ConnectionLimitSettings {
  unsigned per_client = 32;  // 0: no cap
  unsigned ipv4_prefix = 32;
  unsigned ipv6_prefix = 64;
};

class ConnectionLimit {
 public:
  explicit ConnectionLimit(const ConnectionLimitSettings& settings, std::size_t slots = 1 << 16);

  static constexpr std::size_t kNone = SIZE_MAX;
  // Counts a new connection from `client`; returns its slot, or kNone when
  // the client's prefix is at its cap (nothing counted then). Thread-safe.
  std::size_t acquire(const sockaddr* client);
  // Releases a slot acquire() returned; kNone is ignored.
  void release(std::size_t slot);
  // Connections counted in `client`'s slot (for tests and logs).
  unsigned open(const sockaddr* client) const;

 private:
  std::size_t slot_of(const sockaddr* client) const;

  ConnectionLimitSettings settings_;
  uint64_t seed_;
  std::size_t mask_;
  std::unique_ptr<std::atomic<uint32_t>[]> counts_;
};

}  // namespace rpdns::policy
