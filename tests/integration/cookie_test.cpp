// DNS cookies (RFC 7873, RFC 9018) against the real binary: kdig's cookie
// round trip, BADCOOKIE for a forged cookie over UDP (and an answer over
// TCP), rate limiting that spares clients with valid cookies, and a
// cookie-secret change on SIGHUP that needs a restart.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dns/cookie.hpp"
#include "dns/tsig.hpp"
#include "dns/wire.hpp"
#include "support/hex.hpp"
#include "support/other_servers.hpp"
#include "support/packet.hpp"
#include "support/server_process.hpp"
#include "support/tcp_client.hpp"

namespace rpdns::test {
namespace {

const std::string kBundled = RPDNS_BUNDLED_ZONES;
const char* kSecret = "e5e973e5a6b2a43f48e7dc849e37bfcf";
const char* kOtherSecret = "445536bcd2513298075a5d379663c962";

// Checks a server cookie the way a server of the same fleet would: with the
// configured secret, for the client's address, now.
bool verifies(const std::string& secret_hex, const std::string& cookie_hex, const char* client_ip) {
  auto cookie = from_hex(cookie_hex);
  if (cookie.size() != dns::kCookieSize) return false;
  dns::CookieSecret secret{};
  if (!dns::parse_cookie_secret(secret_hex, secret)) return false;
  dns::ServerCookies cookies({&secret, 1});
  auto peer = ipv4(client_ip);
  auto verdict = cookies.check(cookie.data(), {cookie.data() + 8, cookie.size() - 8}, sa(peer), cookies.now());
  return verdict == dns::ServerCookies::Verdict::valid;
}

struct Parsed {
  unsigned rcode = 0xFFFF;  // 12 bits: the header's and the OPT's
  unsigned answers = 0;
  bool truncated = false;
  std::string cookie;  // hex, empty without one
};

// Reads a reply by hand (ldns does not know the COOKIE option): the header,
// then the OPT, which rpdns writes as the last record.
Parsed parse(const std::vector<uint8_t>& reply) {
  Parsed out;
  if (reply.size() < 12) return out;
  out.rcode = dns::header_rcode(reply.data());
  out.truncated = dns::header_tc(reply.data());
  out.answers = dns::read_u16(reply.data() + 6);
  // The OPT record: root owner, type 41.
  for (std::size_t at = 12; at + 11 <= reply.size(); ++at) {
    if (reply[at] != 0 || dns::read_u16(reply.data() + at + 1) != dns::type::OPT) continue;
    uint16_t rdlen = dns::read_u16(reply.data() + at + 9);
    if (at + 11 + rdlen != reply.size()) continue;
    out.rcode |= static_cast<unsigned>(reply[at + 5]) << 4;
    for (std::size_t o = at + 11; o + 4 <= reply.size();) {
      uint16_t code = dns::read_u16(reply.data() + o);
      uint16_t len = dns::read_u16(reply.data() + o + 2);
      if (code == dns::edns_option::COOKIE && o + 4 + len <= reply.size())
        out.cookie = to_hex(reply.data() + o + 4, len);
      o += 4u + len;
    }
    break;
  }
  return out;
}

// What kdig printed, asking 127.0.0.1:port over UDP, once, within 2 s.
std::string kdig_udp(uint16_t port, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"+time=2", "+retry=0"};
  all.insert(all.end(), args.begin(), args.end());
  return kdig(port, all).output;
}

bool have_kdig() { return run_tool("/usr/bin/kdig", {"-V"}).output.find("kdig") != std::string::npos; }

// The value after "label" up to the end of its line (or a ';'), trimmed.
std::string field(const std::string& text, const std::string& label) {
  auto at = text.find(label);
  if (at == std::string::npos) return "";
  at += label.size();
  auto end = text.find_first_of(";\n", at);
  std::string value = text.substr(at, end - at);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

class Cookies : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_dir("cookies");
    write_config(kSecret);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_config(const std::string& secret) {
    write_atomically(config(), "cookie-secret: " + secret + "\nzones:\n  - origin: example.com\n    file: " + kBundled +
                                   "/example.com.zone\n");
  }
  std::string config() const { return dir_ + "/rpdns.yaml"; }

  std::string dir_;
};

// kdig +cookie gets a server cookie made with the configured secret; the
// next query presenting it is answered, with the same cookie back.
TEST_F(Cookies, KdigGetsACookieThatVerifies) {
  if (!have_kdig()) GTEST_SKIP() << "kdig not installed";
  ServerProcess server({"--config", config(), "--workers", "1"});
  std::string first = kdig_udp(server.port(), {"+cookie", "www.example.com", "A"});
  EXPECT_EQ(field(first, "status: "), "NOERROR") << first;
  std::string cookie = lowercase(field(first, ";; COOKIE: "));
  ASSERT_EQ(cookie.size(), 2 * dns::kCookieSize) << first;
  EXPECT_TRUE(verifies(kSecret, cookie, "127.0.0.1")) << cookie;
  EXPECT_FALSE(verifies(kOtherSecret, cookie, "127.0.0.1"));

  std::string second = kdig_udp(server.port(), {"+cookie=" + cookie, "www.example.com", "A"});
  EXPECT_EQ(field(second, "status: "), "NOERROR") << second;
  EXPECT_NE(second.find("192.0.2.80"), std::string::npos) << second;
  EXPECT_EQ(lowercase(field(second, ";; COOKIE: ")), cookie) << second;
}

// A forged server cookie: BADCOOKIE over UDP with a fresh, valid cookie and
// no answer (kdig and raw alike); the same over TCP is answered.
TEST_F(Cookies, ForgedServerCookieGetsBadcookie) {
  ServerProcess server({"--config", config(), "--workers", "1"});
  // A well-formed RFC 9018 cookie stamped now, with a hash we made up.
  std::vector<uint8_t> forged = {0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57, 1, 0, 0, 0};
  auto now = static_cast<uint32_t>(time(nullptr));
  forged.insert(forged.end(), {static_cast<uint8_t>(now >> 24), static_cast<uint8_t>(now >> 16),
                               static_cast<uint8_t>(now >> 8), static_cast<uint8_t>(now)});
  forged.insert(forged.end(), {1, 2, 3, 4, 5, 6, 7, 8});

  auto reply = exchange_raw(server.port(), cookie_query(forged));
  ASSERT_TRUE(reply);
  Parsed udp = parse(*reply);
  EXPECT_EQ(udp.rcode, dns::rcode::BADCOOKIE);
  EXPECT_EQ(udp.answers, 0u);
  ASSERT_EQ(udp.cookie.size(), 2 * dns::kCookieSize);
  EXPECT_EQ(udp.cookie.substr(0, 16), to_hex(forged.data(), 8));  // the client cookie, echoed
  EXPECT_NE(udp.cookie, to_hex(forged.data(), forged.size()));
  EXPECT_TRUE(verifies(kSecret, udp.cookie, "127.0.0.1")) << udp.cookie;

  // Retrying with the fresh cookie works.
  auto retry = exchange_raw(server.port(), cookie_query(from_hex(udp.cookie)));
  ASSERT_TRUE(retry);
  EXPECT_EQ(parse(*retry).rcode, 0u);
  EXPECT_EQ(parse(*retry).answers, 1u);

  TcpClient tcp(server.port());
  ASSERT_TRUE(tcp.connected());
  ASSERT_TRUE(tcp.send(cookie_query(forged)));
  auto over_tcp = tcp.receive();
  ASSERT_TRUE(over_tcp);
  Parsed t = parse(*over_tcp);
  EXPECT_EQ(t.rcode, 0u);
  EXPECT_EQ(t.answers, 1u);
  EXPECT_TRUE(verifies(kSecret, t.cookie, "127.0.0.1")) << t.cookie;

  if (have_kdig()) {
    std::string out =
        kdig_udp(server.port(), {"+cookie=" + to_hex(forged.data(), forged.size()), "www.example.com", "A"});
    EXPECT_EQ(field(out, "status: "), "BADCOOKIE") << out;
    EXPECT_TRUE(verifies(kSecret, lowercase(field(out, ";; COOKIE: ")), "127.0.0.1")) << out;
  }
}

// RFC 7873 §5.4: no question, only a cookie: NOERROR and a server cookie.
TEST_F(Cookies, CookieOnlyQueryIsAnswered) {
  ServerProcess server({"--config", config(), "--workers", "1"});
  std::vector<uint8_t> q = {0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 12, 0, 10, 0, 8};
  q.insert(q.end(), {9, 8, 7, 6, 5, 4, 3, 2});
  auto reply = exchange_raw(server.port(), q);
  ASSERT_TRUE(reply);
  Parsed p = parse(*reply);
  EXPECT_EQ(p.rcode, 0u);
  EXPECT_EQ(dns::read_u16(reply->data() + 4), 0u);  // still no question
  EXPECT_TRUE(verifies(kSecret, p.cookie, "127.0.0.1")) << p.cookie;
}

struct Tally {
  int full = 0;       // replies without TC
  int truncated = 0;  // slipped
  std::string last_cookie;
};

void count_reply(Tally& tally, const std::vector<uint8_t>& buf, ssize_t n) {
  if (n < 12) return;
  Parsed r = parse({buf.begin(), buf.begin() + n});
  if (r.truncated) {
    ++tally.truncated;
  } else {
    ++tally.full;
    tally.last_cookie = r.cookie;
  }
}

// Sends `count` copies of `request` from `source`, 20 at a time, each
// group's replies awaited (up to 100 ms) before the next goes: still far
// above the rate limit, but no socket buffer on a busy machine overflows.
// Then collects any stragglers.
Tally burst(uint16_t port, const char* source, const std::vector<uint8_t>& request, int count) {
  int fd = socket_from(SOCK_DGRAM, source);
  auto to = loopback(port);
  Tally tally;
  std::vector<uint8_t> buf(1500);
  pollfd p{fd, POLLIN, 0};
  int received = 0;
  for (int sent = 0; sent < count;) {
    for (int i = 0; i < 20 && sent < count; ++i, ++sent)
      sendto(fd, request.data(), request.size(), 0, sa(to), sizeof to);
    while (received < sent && poll(&p, 1, 100) == 1) {
      count_reply(tally, buf, recv(fd, buf.data(), buf.size(), 0));
      ++received;
    }
    received = sent;  // what did not come in time was dropped (rate limited)
  }
  while (poll(&p, 1, 300) == 1) count_reply(tally, buf, recv(fd, buf.data(), buf.size(), 0));
  close(fd);
  return tally;
}

// With RRL at 10/s, a client presenting a valid cookie gets every reply;
// one without a cookie, and one with a forged cookie, are limited.
TEST_F(Cookies, RateLimitSparesValidCookies) {
  ServerProcess server({"--config", config(), "--workers", "1", "--rate-limit", "10"});
  std::vector<uint8_t> client = {1, 2, 3, 4, 5, 6, 7, 8};
  // Learn the cookie for 127.0.0.2 with one query from there.
  Tally learn = burst(server.port(), "127.0.0.2", cookie_query(client), 1);
  ASSERT_EQ(learn.full, 1);
  ASSERT_TRUE(verifies(kSecret, learn.last_cookie, "127.0.0.2")) << learn.last_cookie;

  Tally valid = burst(server.port(), "127.0.0.2", cookie_query(from_hex(learn.last_cookie)), 400);
  EXPECT_EQ(valid.full, 400);
  EXPECT_EQ(valid.truncated, 0);

  // Limited: about 10 a second in full, half of the rest truncated (slip 2).
  Tally plain = burst(server.port(), "127.0.3.1", cookie_query(client), 400);  // a client cookie only
  EXPECT_LE(plain.full, 60);
  EXPECT_GE(plain.truncated, 100);

  auto forged = from_hex(learn.last_cookie);
  forged.back() ^= 1;
  Tally bad = burst(server.port(), "127.0.4.1", cookie_query(forged), 400);
  EXPECT_LE(bad.full, 60);
  EXPECT_GE(bad.truncated, 100);
}

// A request with a verified TSIG is not rate limited either: its sender
// holds the key, and a slipped (truncated) reply would no longer match its
// MAC. An unsigned flood from the next address is still limited.
TEST_F(Cookies, RateLimitSparesSignedRequests) {
  const char* secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";
  ServerProcess server(
      {"--config", config(), "--workers", "1", "--rate-limit", "10", "--key", std::string("k:hmac-sha256:") + secret});
  rpdns::dns::tsig::Key key;
  key.name = std::string("\x01k\x00", 3);
  key.secret = *rpdns::dns::tsig::decode_base64(secret);
  auto request = make_query("www.example.com.", LDNS_RR_TYPE_A);
  std::size_t len = request.size();
  request.resize(len + rpdns::dns::tsig::record_size(key));
  request.resize(
      rpdns::dns::tsig::sign(request.data(), len, request.size(), key, {}, static_cast<uint64_t>(std::time(nullptr))));
  ASSERT_GT(request.size(), len);
  Tally signed_flood = burst(server.port(), "127.0.5.1", request, 400);
  EXPECT_EQ(signed_flood.full, 400);
  Tally plain = burst(server.port(), "127.0.6.1", make_query("www.example.com.", LDNS_RR_TYPE_A), 400);
  EXPECT_LE(plain.full, 60);
}

// SIGHUP does not change the secrets (they are keyed into each worker at
// start): the change is warned about and the running secret stays.
TEST_F(Cookies, SecretChangeNeedsARestart) {
  ServerProcess server({"--config", config(), "--workers", "1"});
  write_config(kOtherSecret);
  kill(server.pid(), SIGHUP);
  std::vector<uint8_t> client = {1, 2, 3, 4, 5, 6, 7, 8};
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a one-zone reload takes milliseconds
  auto reply = exchange_raw(server.port(), cookie_query(client));
  ASSERT_TRUE(reply);
  std::string cookie = parse(*reply).cookie;
  EXPECT_TRUE(verifies(kSecret, cookie, "127.0.0.1")) << cookie;
  auto result = server.stop();
  EXPECT_NE(result.output.find("reload: done"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("cookie-secret changes only on restart"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace rpdns::test
