// "Zero allocations on the query path": operator new is replaced in this
// test binary to count calls, and so are OpenSSL's allocator functions (the
// cookie hashing), then 10,000 queries of every answer kind go through
// answer::respond with none counted.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <utility>

#include "answer/answer.hpp"
#include "dnstap/writer.hpp"
#include "support/packet.hpp"
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

// OpenSSL's own allocations: they bypass operator new. Installed before
// OpenSSL allocates anything (a static initialiser), or it refuses.
void* ssl_malloc(std::size_t size, const char*, int) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size);
}
void* ssl_realloc(void* p, std::size_t size, const char*, int) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, size);
}
void ssl_free(void* p, const char*, int) { std::free(p); }
const bool ssl_hooked = CRYPTO_set_mem_functions(ssl_malloc, ssl_realloc, ssl_free) == 1;

using rpdns::test::PacketBuilder;

struct Request {
  std::string name;
  unsigned qtype;
  bool edns;
  unsigned qclass = 1;
};

// One request per answer kind: positive, NXDOMAIN, NODATA, ENT, CNAME chain
// and loop, wildcard, referral with glue, DNAME, additional data, ANY,
// truncation, REFUSED, CHAOS, BADVERS, FORMERR and IXFR over UDP; then the
// same with DNSSEC.
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
  // DNSSEC (DO=1) in the signed zones: RRSIGs, NSEC and NSEC3 proofs (the
  // NSEC3 ones hash names with SHA-1 per query), wildcard and referrals.
  for (const char* zone : {"signed.example", "nsec3.example"}) {
    const std::pair<std::string, unsigned> signed_kinds[] = {
        {"www.", 1},         {"nothere.", 1},   {"www.", 15},  {"b.c.", 1},
        {"foo.wild.", 1},    {"foo.wild.", 15}, {"many.", 15}, {"host.insecure.", 1},
        {"host.secure.", 1}, {"insecure.", 43}, {"", 48},      {"deep.nothere.", 28},
    };
    for (const auto& [prefix, qtype] : signed_kinds) {
      PacketBuilder p;
      p.header(0x4242, 0, 1, 0, 0, 1).question(prefix + zone, qtype).opt(1232, 0, true);
      out.push_back(p.b);
    }
  }
  PacketBuilder badvers;
  badvers.header(1, 0, 1, 0, 0, 1).question("www.diff.example", 1).opt(1232, 1, false);
  out.push_back(badvers.b);
  PacketBuilder formerr;
  formerr.header(1, 0, 2, 0, 0, 0).question("www.diff.example", 1);
  out.push_back(formerr.b);
  return out;
}

// DNS cookies (RFC 7873 §5.2): a client cookie alone, our valid cookie,
// one to renew, a forged one (BADCOOKIE over UDP), a malformed one, and a
// cookie-only query with no question.
std::vector<std::vector<uint8_t>> cookie_requests(rpdns::dns::ServerCookies& cookies, const sockaddr* peer) {
  const uint8_t client[8] = {0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57};
  auto with = [&](const std::vector<uint8_t>& cookie, bool question = true) {
    return rpdns::test::cookie_query(cookie, question ? "www.diff.example" : "", 7);
  };
  std::vector<uint8_t> alone(client, client + 8);
  auto made = [&](uint32_t when) {
    std::vector<uint8_t> c = alone;
    c.resize(8 + rpdns::dns::kServerCookieSize);
    EXPECT_TRUE(cookies.make(client, peer, when, c.data() + 8));
    return c;
  };
  auto valid = made(cookies.now());
  auto old = made(cookies.now() - 2400);
  auto forged = valid;
  forged.back() ^= 1;
  return {with(alone), with(valid), with(old), with(forged), with({1, 2, 3}), with(valid, false)};
}

TEST(Allocations, NoneOnTheQueryPath) {
  rpdns::answer::Snapshot snapshot;
  rpdns::zone::ZoneSet& zones = snapshot.zones;
  for (const char* name : {"diff.example", "child.diff.example"}) {
    auto loaded = rpdns::zone::load_zone(name, std::string(RPDNS_TEST_ZONES) + "/diff/" + name + ".zone");
    ASSERT_TRUE(loaded.zone) << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
    zones.add(loaded.zone);
  }
  for (const char* name : {"signed.example", "nsec3.example"}) {
    auto loaded = rpdns::zone::load_zone(name, std::string(RPDNS_TEST_ZONES) + "/unit/signed/" + name + ".zone");
    ASSERT_TRUE(loaded.zone) << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
    ASSERT_TRUE(loaded.zone->is_signed);
    zones.add(loaded.zone);
  }
  ASSERT_TRUE(ssl_hooked) << "OpenSSL allocated before its allocator could be replaced";
  rpdns::dns::CookieSecret secrets[2] = {{1, 2, 3}, {4, 5, 6}};
  rpdns::dns::ServerCookies cookies(secrets);
  // The clients: one IPv4, one IPv6 (a cookie hashes the address).
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::7", &v6.sin6_addr);
  const sockaddr* peers[] = {reinterpret_cast<const sockaddr*>(&v4), reinterpret_cast<const sockaddr*>(&v6)};
  auto all = requests();
  for (const sockaddr* peer : peers) {
    for (auto& r : cookie_requests(cookies, peer)) all.push_back(r);
  }
  std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
  rpdns::answer::Options options;
  options.minimal_responses = false;  // the longer path, with authority NS and glue
  options.cookies = &cookies;
  std::size_t answered = 0;
  std::size_t valid_cookies = 0;
  allocations = 0;
  counting = true;
  for (int round = 0; round < 10000 / static_cast<int>(all.size()) + 1; ++round) {
    for (const auto& r : all) {
      auto outcome = rpdns::answer::respond(r.data(), r.size(), snapshot, options, round % 2 == 1, out.data(),
                                            peers[round % 4 / 2]);
      answered += outcome.size > 0 ? 1 : 0;
      valid_cookies += outcome.cookie_valid ? 1 : 0;
    }
  }
  counting = false;
  EXPECT_GE(answered, 10000u);
  EXPECT_GT(valid_cookies, 0u);  // the cookie path was taken, not only refused
  EXPECT_EQ(allocations.load(), 0);
}

// dnstap on: a worker's Tap encodes each query and response into its ring
// with protobuf-c's flat pack (which, like the ring, calls no allocator:
// C code's malloc is not counted here, so that part rests on protobuf-c's
// pack writing only into the buffer it is given). The collector is absent,
// so the writer's thread drops what it drains; its one warning is let out
// before counting starts.
TEST(Allocations, NoneInTheDnstapTap) {
  rpdns::dnstap::Settings settings;
  settings.socket = "/nonexistent/rpdns-alloc-test.sock";
  settings.identity = "alloc-test";
  rpdns::stats::WorkerCounters counters;
  rpdns::dnstap::Writer writer(settings, {&counters});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  PacketBuilder p;
  p.header(0x4242, 0, 1, 0, 0, 0).question("www.example.com", 1);
  const std::vector<uint8_t>& request = p.b;
  sockaddr_in client{};
  client.sin_family = AF_INET;
  client.sin_port = htons(5353);
  client.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  rpdns::dnstap::Exchange exchange;
  exchange.client = reinterpret_cast<const sockaddr*>(&client);
  exchange.query = {request.data(), request.size()};
  exchange.response = {request.data(), request.size()};
  allocations = 0;
  counting = true;
  for (int i = 0; i < 10000; ++i) {
    exchange.query_time = exchange.response_time = rpdns::dnstap::now();
    writer.tap(0).log(exchange);
  }
  counting = false;
  EXPECT_EQ(allocations.load(), 0);
  EXPECT_EQ(counters.dnstap_sent.get(), 0u);
  EXPECT_GT(counters.dnstap_lost.get() + counters.dnstap_dropped.get(), 0u);
}

// OpenSSL's allocator really is counted: keying a new context allocates.
TEST(Allocations, CounterSeesOpensslAllocating) {
  ASSERT_TRUE(ssl_hooked);
  rpdns::dns::CookieSecret secret{};
  allocations = 0;
  counting = true;
  { rpdns::dns::ServerCookies cookies({&secret, 1}); }
  counting = false;
  EXPECT_GE(allocations.load(), 1);
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
