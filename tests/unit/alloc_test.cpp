// "Zero allocations on the query path": operator new is replaced in this
// test binary to count calls, then 10,000 queries of every answer kind go
// through answer::respond with none counted.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "answer/answer.hpp"
#include "test_support.hpp"
#include "zone/loader.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
// The nothrow forms too (std::stable_sort uses them), so that every new
// here pairs with the delete below, under ASan as well.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using rpdns::testing::PacketBuilder;

struct Request {
  std::string name;
  unsigned qtype;
  bool edns;
  unsigned qclass = 1;
};

// One request per answer kind: positive, NXDOMAIN, NODATA, ENT, CNAME chain
// and loop, wildcard, referral with glue, DNAME, additional data, ANY,
// truncation, REFUSED, CHAOS, BADVERS, FORMERR and IXFR over UDP.
std::vector<std::vector<uint8_t>> requests() {
  const Request kinds[] = {
      {"www.diff.example", 1, false},      {"nothere.diff.example", 1, true},     {"www.diff.example", 15, false},
      {"b.c.diff.example", 1, true},       {"chain1.diff.example", 1, false},     {"loop1.diff.example", 1, true},
      {"foo.wild.diff.example", 16, true}, {"host.deleg.diff.example", 1, false}, {"www.dn.diff.example", 1, true},
      {"manymx.diff.example", 15, false},  {"diff.example", 255, false},          {"huge.diff.example", 16, false},
      {"www.example.org", 1, true},        {"version.bind", 16, false, 3},        {"_sip._tcp.diff.example", 33, true},
      {"diff.example", 251, false},
  };
  std::vector<std::vector<uint8_t>> out;
  for (const auto& k : kinds) {
    PacketBuilder p;
    p.header(0x4242, 0x0100, 1, 0, 0, k.edns ? 1 : 0).question(k.name, k.qtype, k.qclass);
    if (k.edns) p.opt(1232, 0, true);
    out.push_back(p.b);
  }
  PacketBuilder badvers;
  badvers.header(1, 0, 1, 0, 0, 1).question("www.diff.example", 1).opt(1232, 1, false);
  out.push_back(badvers.b);
  PacketBuilder formerr;
  formerr.header(1, 0, 2, 0, 0, 0).question("www.diff.example", 1);
  out.push_back(formerr.b);
  return out;
}

TEST(Allocations, NoneOnTheQueryPath) {
  rpdns::zone::ZoneSet zones;
  for (const char* name : {"diff.example", "child.diff.example"}) {
    auto loaded = rpdns::zone::load_zone(name, std::string(RPDNS_TEST_ZONES) + "/diff/" + name + ".zone");
    ASSERT_TRUE(loaded.zone) << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
    zones.add(loaded.zone);
  }
  auto all = requests();
  std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
  rpdns::answer::Options options;
  options.minimal_responses = false;  // the longer path, with authority NS and glue
  std::size_t answered = 0;
  counting = true;
  for (int round = 0; round < 10000 / static_cast<int>(all.size()) + 1; ++round) {
    for (const auto& r : all) {
      auto outcome = rpdns::answer::respond(r.data(), r.size(), zones, options, round % 2 == 1, out.data());
      answered += outcome.size > 0 ? 1 : 0;
    }
  }
  counting = false;
  EXPECT_GE(answered, 10000u);
  EXPECT_EQ(allocations.load(), 0);
}

// The counter itself works: a std::string that outgrows its inline buffer
// is counted, so a zero above means something.
TEST(Allocations, CounterSeesAnAllocation) {
  allocations = 0;
  counting = true;
  std::string s(100, 'x');
  counting = false;
  EXPECT_GE(allocations.load(), 1);
  EXPECT_EQ(s.size(), 100u);
}

}  // namespace
