// Everything an answer reads, published whole: the zones, who may transfer
// them or NOTIFY them, and the TSIG keys. A reload or a transfer builds a
// new Snapshot aside and publishes it with one swap, so a query never sees
// the zones of one version with the access lists of another.
//
// Readers (workers) keep their own shared_ptr and only re-read the shared
// one when the generation moves, so the common case is one acquire load of
// a read-mostly cache line. The shared_ptr itself sits behind a mutex,
// taken by a worker only when the generation has moved (once per reload),
// never per query. libstdc++ 12's std::atomic<std::shared_ptr> would do as
// well, but its load() releases its internal lock with a relaxed store, so
// ThreadSanitizer cannot see the order and reports a race on every reload.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "dns/tsig.hpp"
#include "policy/zone_access.hpp"
#include "zone/zone.hpp"

namespace rpdns::answer {

struct Snapshot {
  zone::ZoneSet zones;
  policy::ZoneAccess access;
  dns::tsig::Keyring keys;  // the keys requests may be signed with (RFC 8945)
};

class SnapshotStore {
 public:
  explicit SnapshotStore(std::shared_ptr<const Snapshot> initial) : current_(std::move(initial)) {}

  void publish(std::shared_ptr<const Snapshot> next) {
    {
      std::lock_guard lock(mutex_);
      current_.swap(next);
    }
    generation_.fetch_add(1, std::memory_order_release);
    // `next` holds the old snapshot now and drops it here, outside the lock.
  }
  std::shared_ptr<const Snapshot> load() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> current_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace rpdns::answer
