// Where the current ZoneSet is published. Readers (workers) keep their own
// shared_ptr and only re-read the shared one when the generation moves, so
// the common case is one relaxed load of a read-mostly cache line.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "zone/zone.hpp"

namespace rpdns::server {

class ZoneStore {
 public:
  explicit ZoneStore(std::shared_ptr<const zone::ZoneSet> initial) : current_(std::move(initial)) {}

  void publish(std::shared_ptr<const zone::ZoneSet> next) {
    current_.store(std::move(next), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const zone::ZoneSet> load() const { return current_.load(std::memory_order_acquire); }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const zone::ZoneSet>> current_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace rpdns::server
