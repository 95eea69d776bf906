// Hostile input against the real binary: response rate limiting, a storm
// of mutated packets, and dropping root after binding.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "dns/wire.hpp"
#include "support/server_process.hpp"

namespace rpdns::test {
namespace {

const std::string kBundled = RPDNS_BUNDLED_ZONES;

std::vector<std::string> bundled(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--zone", "example.com=" + kBundled + "/example.com.zone"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

struct Tally {
  int full = 0;       // normal replies
  int truncated = 0;  // TC set (slipped)
};

// Sends `count` queries as fast as possible from `source`, the i-th one for
// name(i), then collects every reply that arrives.
Tally burst(uint16_t port, const char* source, int count, const std::function<std::string(int)>& name,
            ldns_rr_type type = LDNS_RR_TYPE_A) {
  int fd = socket_from(SOCK_DGRAM, source);
  auto addr = loopback(port);
  for (int i = 0; i < count; ++i) {
    auto request = make_query(name(i), type);
    sendto(fd, request.data(), request.size(), 0, sa(addr), sizeof addr);
  }
  Tally tally;
  uint8_t buf[1500];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, 300) == 1) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 12) continue;
    if (dns::header_tc(buf))
      ++tally.truncated;
    else
      ++tally.full;
  }
  close(fd);
  return tally;
}

// `count` identical queries.
Tally burst(uint16_t port, const char* source, int count) {
  return burst(port, source, count, [](int) { return std::string("www.example.com."); });
}

// RRL: a source far above the rate gets about `rate` full replies, half of
// the rest truncated (slip 2) and the other half dropped; a source in
// another /24 is not affected.
TEST(RateLimit, OneSourceLimitedOtherUnaffected) {
  ServerProcess server(bundled({"--workers", "1", "--rate-limit", "10"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the start-up probe's bucket refills
  Tally heavy = burst(server.port(), "127.0.0.1", 400);
  EXPECT_GE(heavy.full, 8);
  EXPECT_LE(heavy.full, 20);
  EXPECT_GE(heavy.truncated, 150);  // about half of the ~390 over the limit
  EXPECT_LE(heavy.truncated, 210);
  Tally other = burst(server.port(), "127.0.1.1", 5);
  EXPECT_EQ(other.full, 5);
  EXPECT_EQ(other.truncated, 0);
}

// RRL keys an answer synthesized from a wildcard by the wildcard: random
// labels under *.apps.example.com from one source are limited like one name,
// for positive answers (A) and for the wildcard's NODATA (MX) alike. Keyed
// by the query name, as positive answers were before, every label had a
// fresh bucket and not one reply was limited.
TEST(RateLimit, RandomLabelsUnderAWildcardShareOneLimit) {
  ServerProcess server(bundled({"--workers", "1", "--rate-limit", "10"}));
  std::mt19937 rng(std::random_device{}());
  auto random_label = [&rng](int) { return "r" + std::to_string(rng()) + ".apps.example.com."; };
  Tally positive = burst(server.port(), "127.0.2.1", 400, random_label);
  EXPECT_GE(positive.full, 8);
  EXPECT_LE(positive.full, 20);
  EXPECT_GE(positive.truncated, 150);
  Tally nodata = burst(server.port(), "127.0.3.1", 400, random_label, LDNS_RR_TYPE_MX);
  EXPECT_GE(nodata.full, 8);
  EXPECT_LE(nodata.full, 20);
  EXPECT_GE(nodata.truncated, 150);
  // Another name from the same source is a response of its own.
  Tally exact = burst(server.port(), "127.0.2.1", 5);
  EXPECT_EQ(exact.full, 5);
}

long rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A million random mutations of valid queries: no crash, correct answers
// afterwards, and memory where it was.
TEST(Storm, MillionMutatedQueries) {
  ServerProcess server(bundled({"--workers", "2"}));
  std::vector<std::vector<uint8_t>> seeds = {make_query("www.example.com.", LDNS_RR_TYPE_A),
                                             make_query("example.com.", LDNS_RR_TYPE_MX, true),
                                             make_query("nope.example.com.", LDNS_RR_TYPE_AAAA, true),
                                             make_query("_sip._udp.example.com.", LDNS_RR_TYPE_SRV),
                                             make_query("x.apps.example.com.", LDNS_RR_TYPE_TXT, true),
                                             make_query("sub.example.com.", LDNS_RR_TYPE_NS)};
  // Warm up so that RSS is measured after the buffers are touched.
  for (int i = 0; i < 2000; ++i)
    query(server.port(), "www.example.com.", LDNS_RR_TYPE_A, false, std::chrono::milliseconds(100));
  long before = rss_kb(server.pid());
  std::mt19937 rng(12345);
  int fd = socket_from(SOCK_DGRAM, "127.0.0.1");
  int flags = 0;
  auto addr = loopback(server.port());
  uint8_t sink[1500];
  for (int i = 0; i < 1000000; ++i) {
    std::vector<uint8_t> packet = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0:
          packet[rng() % packet.size()] = static_cast<uint8_t>(rng());
          break;  // flip a byte
        case 1:
          packet.resize(rng() % (packet.size() + 1));
          if (packet.empty()) packet.push_back(0);
          break;  // cut
        case 2:
          packet.push_back(static_cast<uint8_t>(rng()));
          break;  // extend
        default:
          packet[rng() % packet.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;  // bit
      }
    }
    sendto(fd, packet.data(), packet.size(), flags, sa(addr), sizeof addr);
    if (i % 64 == 0) {
      while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
      }
      if (i % 4096 == 0) std::this_thread::yield();
    }
  }
  close(fd);
  for (const char* name : {"www.example.com.", "mail.example.com."}) {
    // Retried as a real client would: under a sanitizer the storm's backlog
    // can take longer than one timeout to drain. A dead server answers none.
    Packet reply;
    for (int attempt = 0; attempt < 5 && !reply; ++attempt) reply = query(server.port(), name, LDNS_RR_TYPE_A);
    ASSERT_TRUE(reply) << name;
    EXPECT_EQ(ldns_pkt_get_rcode(reply.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(reply.get())), 1u);
  }
  long after = rss_kb(server.pid());
  EXPECT_LE(after, before + before / 10) << "RSS " << before << " kB -> " << after << " kB";
  RunResult result = server.stop();
  EXPECT_EQ(result.exit_code, 0);
}

// Least privilege: with --user, the process runs as that user once its
// sockets are bound (as root), or refuses to run when it cannot switch.
TEST(Privileges, DropsToConfiguredUser) {
  if (geteuid() == 0) {
    ServerProcess server(bundled({"--user", "nobody"}));
    std::ifstream status("/proc/" + std::to_string(server.pid()) + "/status");
    std::string line, uid_line, cap_line;
    while (std::getline(status, line)) {
      if (line.rfind("Uid:", 0) == 0) uid_line = line;
      if (line.rfind("CapEff:", 0) == 0) cap_line = line;
    }
    EXPECT_EQ(uid_line, "Uid:\t65534\t65534\t65534\t65534");
    EXPECT_EQ(cap_line, "CapEff:\t0000000000000000");
    EXPECT_TRUE(query(server.port(), "www.example.com.", LDNS_RR_TYPE_A));
  } else {
    RunResult result =
        run_rpdns(bundled({"--user", "root", "--listen", "127.0.0.1:" + std::to_string(free_udp_port())}));
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("cannot drop privileges"), std::string::npos) << result.output;
  }
}

TEST(Privileges, UnknownUserRefusesToRun) {
  RunResult result =
      run_rpdns(bundled({"--user", "no-such-user-rpdns", "--listen", "127.0.0.1:" + std::to_string(free_udp_port())}));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("no such user"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace rpdns::test
