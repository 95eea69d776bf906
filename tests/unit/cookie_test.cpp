// Server cookies (RFC 9018): the construction against the RFC's own test
// vectors (Appendix A), and the age window of §4.3.
#include "dns/cookie.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>
#include <vector>

#include "support/hex.hpp"
#include "support/net.hpp"

namespace {

using rpdns::dns::CookieSecret;
using rpdns::dns::ServerCookies;
using Verdict = ServerCookies::Verdict;

using rpdns::test::from_hex;
using rpdns::test::to_hex;

CookieSecret secret(const std::string& text) {
  CookieSecret s{};
  EXPECT_TRUE(rpdns::dns::parse_cookie_secret(text, s)) << text;
  return s;
}

// A socket address for a numeric IPv4 or IPv6 address.
struct Peer {
  sockaddr_storage storage{};
  explicit Peer(const std::string& ip) {
    auto parsed = rpdns::test::socket_address(ip);
    EXPECT_TRUE(parsed) << ip;
    if (parsed) storage = *parsed;
  }
  const sockaddr* get() const { return rpdns::test::sa(storage); }
};

const char* kSecret = "e5e973e5a6b2a43f48e7dc849e37bfcf";     // RFC 9018 A.1 to A.3
const char* kOldSecret = "dd3bdf9344b678b185a6f5cb60fca715";  // A.4, before the rollover
const char* kNewSecret = "445536bcd2513298075a5d379663c962";  // A.4, after it

struct Vector {
  const char* name;
  const char* secret;
  const char* client;
  const char* ip;
  uint32_t time;
  const char* server;  // the server cookie the reply carries
};

// RFC 9018 Appendix A, the replies' cookies.
const Vector kVectors[] = {
    {"A.1 learning a new server cookie", kSecret, "2464c4abcf10c957", "198.51.100.100", 1559731985,
     "010000005cf79f111f8130c3eee29480"},
    {"A.2 the same client, a renewed cookie", kSecret, "2464c4abcf10c957", "198.51.100.100", 1559734385,
     "010000005cf7a871d4a564a1442aca77"},
    {"A.3 another client, a renewed cookie", kSecret, "fc93fc62807ddb86", "203.0.113.203", 1559734700,
     "010000005cf7a9acf73a7810aca2381e"},
    {"A.4 an IPv6 client after a rollover", kNewSecret, "22681ab97d52c298", "2001:db8:220:1:59de:d0f4:8769:82b8",
     1559741961, "010000005cf7c609a6bb79d16625507a"},
};

TEST(ServerCookies, MakesTheRfc9018Vectors) {
  for (const auto& v : kVectors) {
    CookieSecret s = secret(v.secret);
    ServerCookies cookies({&s, 1});
    auto client = from_hex(v.client);
    uint8_t out[rpdns::dns::kServerCookieSize];
    ASSERT_TRUE(cookies.make(client.data(), Peer(v.ip).get(), v.time, out)) << v.name;
    EXPECT_EQ(to_hex(out, sizeof out), v.server) << v.name;
  }
}

TEST(ServerCookies, VerifiesWhatItMade) {
  for (const auto& v : kVectors) {
    CookieSecret s = secret(v.secret);
    ServerCookies cookies({&s, 1});
    auto client = from_hex(v.client);
    auto server = from_hex(v.server);
    EXPECT_EQ(cookies.check(client.data(), server, Peer(v.ip).get(), v.time), Verdict::valid) << v.name;
    // Another address, or another client cookie, is someone else's.
    EXPECT_EQ(cookies.check(client.data(), server, Peer("192.0.2.1").get(), v.time), Verdict::invalid) << v.name;
    client[0] ^= 1;
    EXPECT_EQ(cookies.check(client.data(), server, Peer(v.ip).get(), v.time), Verdict::invalid) << v.name;
  }
}

// A.3's query carries a cookie whose Reserved bytes are not zero: they are
// part of the hash, so it verifies as received. (The RFC's reply comes
// 1h52m after it was made, past the lifetime kept here; checked 40 minutes
// after, it is renewed.)
TEST(ServerCookies, ReservedBytesAreHashedAsReceived) {
  CookieSecret s = secret(kSecret);
  ServerCookies cookies({&s, 1});
  auto client = from_hex("fc93fc62807ddb86");
  auto server = from_hex("01abcdef5cf78f71a314227b6679ebf5");
  Peer peer("203.0.113.203");
  uint32_t made = 0x5cf78f71;
  EXPECT_EQ(cookies.check(client.data(), server, peer.get(), made + 2400), Verdict::renew);
  EXPECT_EQ(cookies.check(client.data(), server, peer.get(), 1559734700), Verdict::invalid);  // 1h52m: expired
  server[1] = 0;
  EXPECT_EQ(cookies.check(client.data(), server, peer.get(), made + 2400), Verdict::invalid);
}

// A.4: the cookie the old secret made still verifies while it is the
// second secret, and is then renewed with the new one.
TEST(ServerCookies, RolloverAcceptsTheOldSecret) {
  CookieSecret both[] = {secret(kNewSecret), secret(kOldSecret)};
  auto client = from_hex("22681ab97d52c298");
  auto old_cookie = from_hex("010000005cf7c57926556bd0934c72f8");
  Peer peer("2001:db8:220:1:59de:d0f4:8769:82b8");
  ServerCookies rolling(both);
  EXPECT_EQ(rolling.check(client.data(), old_cookie, peer.get(), 1559741961), Verdict::renew);
  ServerCookies new_only({both, 1});
  EXPECT_EQ(new_only.check(client.data(), old_cookie, peer.get(), 1559741961), Verdict::invalid);
}

TEST(ServerCookies, AgeWindow) {
  CookieSecret s = secret(kSecret);
  ServerCookies cookies({&s, 1});
  auto client = from_hex("2464c4abcf10c957");
  Peer peer("198.51.100.100");
  struct Case {
    int64_t age;  // now - timestamp
    Verdict want;
  } cases[] = {
      {0, Verdict::valid},      {1800, Verdict::valid}, {1801, Verdict::renew},   {3600, Verdict::renew},
      {3601, Verdict::invalid}, {-300, Verdict::valid}, {-301, Verdict::invalid},
  };
  // Timestamps either side of the 2^32 wrap as well (serial arithmetic).
  for (uint32_t stamp : {1559731985u, 0xFFFFFF00u, 10u}) {
    uint8_t server[rpdns::dns::kServerCookieSize];
    ASSERT_TRUE(cookies.make(client.data(), peer.get(), stamp, server));
    for (const auto& c : cases) {
      auto now = static_cast<uint32_t>(stamp + c.age);
      EXPECT_EQ(cookies.check(client.data(), {server, sizeof server}, peer.get(), now), c.want)
          << "stamp " << stamp << " age " << c.age;
    }
  }
}

TEST(ServerCookies, OnlyVersionOneSixteenBytes) {
  CookieSecret s = secret(kSecret);
  ServerCookies cookies({&s, 1});
  auto client = from_hex("2464c4abcf10c957");
  auto server = from_hex("010000005cf79f111f8130c3eee29480");
  Peer peer("198.51.100.100");
  auto longer = server;
  longer.push_back(0);
  EXPECT_EQ(cookies.check(client.data(), longer, peer.get(), 1559731985), Verdict::invalid);
  EXPECT_EQ(cookies.check(client.data(), {server.data(), 8}, peer.get(), 1559731985), Verdict::invalid);
  server[0] = 2;
  EXPECT_EQ(cookies.check(client.data(), server, peer.get(), 1559731985), Verdict::invalid);
}

// A client on a dual-stack socket appears as ::ffff:a.b.c.d; its cookie is
// the one an IPv4 socket would make, so nodes of one fleet agree.
TEST(ServerCookies, MappedAddressIsIpv4) {
  CookieSecret s = secret(kSecret);
  ServerCookies cookies({&s, 1});
  auto client = from_hex("2464c4abcf10c957");
  auto server = from_hex("010000005cf79f111f8130c3eee29480");
  EXPECT_EQ(cookies.check(client.data(), server, Peer("::ffff:198.51.100.100").get(), 1559731985), Verdict::valid);
}

TEST(ServerCookies, ParsesSecrets) {
  CookieSecret s{};
  EXPECT_TRUE(rpdns::dns::parse_cookie_secret("E5E973E5A6B2A43F48E7DC849E37BFCF", s));
  EXPECT_EQ(s[0], 0xE5);
  EXPECT_EQ(s[15], 0xCF);
  EXPECT_FALSE(rpdns::dns::parse_cookie_secret("e5e973e5a6b2a43f48e7dc849e37bf", s));      // 15 bytes
  EXPECT_FALSE(rpdns::dns::parse_cookie_secret("e5e973e5a6b2a43f48e7dc849e37bfcf00", s));  // 17
  EXPECT_FALSE(rpdns::dns::parse_cookie_secret("g5e973e5a6b2a43f48e7dc849e37bfcf", s));
  EXPECT_FALSE(rpdns::dns::parse_cookie_secret("", s));
}

TEST(ServerCookies, NeedsASecret) { EXPECT_THROW(ServerCookies({}), std::runtime_error); }

}  // namespace
