// A ring of variable-length records with one producer (a worker) and one
// consumer (the writer's thread): fixed memory allocated once, no locks,
// and no allocation per record. A record is a 4-byte length and its bytes,
// padded to 4; a record that would straddle the end is preceded by a wrap
// marker and starts again at offset 0. Positions only grow (64 bits never
// wrap), so full and empty cannot be confused.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace rpdns::dnstap {

class Ring {
 public:
  // `capacity`: bytes, a power of two of at least 4096.
  explicit Ring(std::size_t capacity) : mask_(capacity - 1), bytes_(std::make_unique<uint8_t[]>(capacity)) {}

  std::size_t capacity() const { return mask_ + 1; }
  // The largest record that always fits an empty ring.
  std::size_t max_record() const { return capacity() / 2 - kHeader; }

  // Producer: room for `size` bytes, or null when the ring is full (the
  // consumer is behind). Written there, the record goes with commit().
  uint8_t* reserve(std::size_t size) {
    if (size == 0 || size > max_record()) return nullptr;
    uint64_t head = head_.load(std::memory_order_relaxed);
    std::size_t need = padded(size);
    std::size_t offset = head & mask_;
    std::size_t skip = capacity() - offset < need ? capacity() - offset : 0;
    if (head + skip + need - tail_.load(std::memory_order_acquire) > capacity()) return nullptr;
    if (skip != 0) {
      store_u32(offset, kWrap);
      offset = 0;
    }
    pending_ = head + skip;
    pending_size_ = size;
    return bytes_.get() + offset + kHeader;
  }
  void commit() {
    store_u32(pending_ & mask_, static_cast<uint32_t>(pending_size_));
    head_.store(pending_ + padded(pending_size_), std::memory_order_release);
  }

  // Consumer: the record at `position` (start with tail()), or an empty
  // span when there is none; `next` is where the one after it starts.
  std::span<const uint8_t> peek(uint64_t position, uint64_t& next) const {
    for (;;) {
      if (position == head_.load(std::memory_order_acquire)) return {};
      std::size_t offset = position & mask_;
      uint32_t size = load_u32(offset);
      if (size == kWrap) {
        position += capacity() - offset;
        continue;
      }
      next = position + padded(size);
      return {bytes_.get() + offset + kHeader, size};
    }
  }
  uint64_t tail() const { return tail_.load(std::memory_order_relaxed); }
  // Consumer: the records before `position` are done with; the producer may reuse their room.
  void release(uint64_t position) { tail_.store(position, std::memory_order_release); }

 private:
  static constexpr std::size_t kHeader = 4;
  static constexpr uint32_t kWrap = 0xffffffff;
  static std::size_t padded(std::size_t size) { return (kHeader + size + 3) & ~std::size_t{3}; }
  void store_u32(std::size_t offset, uint32_t v) { std::memcpy(bytes_.get() + offset, &v, sizeof v); }
  uint32_t load_u32(std::size_t offset) const {
    uint32_t v;
    std::memcpy(&v, bytes_.get() + offset, sizeof v);
    return v;
  }

  std::size_t mask_;
  std::unique_ptr<uint8_t[]> bytes_;
  // Each on its own cache line: the worker's (head_ and its reservation
  // in progress), and the writer thread's.
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t pending_ = 0;
  std::size_t pending_size_ = 0;
  alignas(64) std::atomic<uint64_t> tail_{0};
};

}  // namespace rpdns::dnstap
