// dnstap::Ring, the worker's lock-free queue of dnstap messages: records
// come out as they went in, in order, across many wraps of the buffer; a
// full ring refuses a record instead of overwriting one not yet read; a
// record too large for it is refused.
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <thread>
#include <vector>

#include "dnstap/ring.hpp"

namespace rpdns::dnstap {
namespace {

std::vector<uint8_t> record(unsigned n) {
  std::vector<uint8_t> r(1 + (n * 37) % 900);  // sizes that do not divide the ring
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<uint8_t>(n + i);
  return r;
}

bool put(Ring& ring, const std::vector<uint8_t>& r) {
  uint8_t* out = ring.reserve(r.size());
  if (out == nullptr) return false;
  std::memcpy(out, r.data(), r.size());
  ring.commit();
  return true;
}

TEST(DnstapRing, RecordsComeOutInOrderAcrossWraps) {
  Ring ring(4096);
  std::deque<std::vector<uint8_t>> expected;
  unsigned made = 0, taken = 0;
  while (taken < 5000) {
    // Fill until full, then read some: the positions wrap many times.
    while (put(ring, record(made))) expected.push_back(record(made++));
    ASSERT_FALSE(expected.empty());
    uint64_t position = ring.tail();
    for (int i = 0; i < 3 && !expected.empty(); ++i) {
      uint64_t next = 0;
      auto got = ring.peek(position, next);
      ASSERT_EQ(std::vector<uint8_t>(got.begin(), got.end()), expected.front()) << "record " << taken;
      expected.pop_front();
      position = next;
      ++taken;
    }
    ring.release(position);
  }
  EXPECT_GT(made, 5000u);
}

TEST(DnstapRing, FullRefusesAndEmptyHasNothing) {
  Ring ring(4096);
  uint64_t next = 0;
  EXPECT_TRUE(ring.peek(ring.tail(), next).empty());
  EXPECT_EQ(ring.reserve(ring.max_record() + 1), nullptr);
  EXPECT_EQ(ring.reserve(0), nullptr);
  std::vector<uint8_t> big(1000, 7);
  int fitted = 0;
  while (put(ring, big)) ++fitted;
  EXPECT_EQ(fitted, 4);  // 4 x (4 + 1000) of 4096
  auto first = ring.peek(ring.tail(), next);
  EXPECT_EQ(first.size(), 1000u);
  ring.release(next);
  EXPECT_TRUE(put(ring, big));
}

// One thread writes, another reads, as a worker and the writer's thread do.
TEST(DnstapRing, OneProducerOneConsumer) {
  Ring ring(8192);
  constexpr unsigned kCount = 20000;
  std::thread producer([&] {
    for (unsigned n = 0; n < kCount; ++n) {
      while (!put(ring, record(n))) std::this_thread::yield();
    }
  });
  unsigned taken = 0;
  while (taken < kCount) {
    uint64_t next = 0;
    auto got = ring.peek(ring.tail(), next);
    if (got.empty()) {
      std::this_thread::yield();
      continue;
    }
    ASSERT_EQ(std::vector<uint8_t>(got.begin(), got.end()), record(taken)) << "record " << taken;
    ring.release(next);
    ++taken;
  }
  producer.join();
}

}  // namespace
}  // namespace rpdns::dnstap
