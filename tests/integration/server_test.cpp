// The real rpdns binary, started on an ephemeral loopback port and queried
// over UDP. Replies are decoded with ldns, not with rpdns's own codec.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "app/cli.hpp"
#include "support/server_process.hpp"

namespace rpdns::test {
namespace {

const std::string kZones = RPDNS_TEST_ZONES "/integration";
const std::string kBundled = RPDNS_BUNDLED_ZONES;

std::vector<std::string> bundled_zone_args() {
  return {"--zone", "example.com=" + kBundled + "/example.com.zone", "--zone",
          "2.0.192.in-addr.arpa=" + kBundled + "/2.0.192.in-addr.arpa.zone"};
}

// RFC 1034 §4.3.2 / RFC 1035 §4.1.1: an authoritative answer from the bundled zone.
TEST(Server, AnswersBundledZoneWithAuthority) {
  ServerProcess server(bundled_zone_args());
  auto reply = query(server.port(), "www.example.com.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ldns_pkt_get_rcode(reply.get()), LDNS_RCODE_NOERROR);
  EXPECT_TRUE(ldns_pkt_aa(reply.get()));
  EXPECT_EQ(ldns_pkt_id(reply.get()), 4242);
  EXPECT_NE(section_text(ldns_pkt_answer(reply.get())).find("192.0.2.80"), std::string::npos);
}

// RFC 2308 §2.1 and §3: NXDOMAIN carries the SOA, TTL = min(SOA TTL, MINIMUM).
TEST(Server, MissingNameIsNxdomainWithSoa) {
  ServerProcess server(bundled_zone_args());
  auto reply = query(server.port(), "missing.example.com.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ldns_pkt_get_rcode(reply.get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_TRUE(ldns_pkt_aa(reply.get()));
  ASSERT_EQ(ldns_rr_list_rr_count(ldns_pkt_authority(reply.get())), 1u);
  ldns_rr* soa = ldns_rr_list_rr(ldns_pkt_authority(reply.get()), 0);
  EXPECT_EQ(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
  EXPECT_EQ(ldns_rr_ttl(soa), 300u);
}

// A name in no zone we serve: REFUSED, not authoritative.
TEST(Server, NameInNoZoneIsRefused) {
  ServerProcess server(bundled_zone_args());
  auto reply = query(server.port(), "www.example.org.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ldns_pkt_get_rcode(reply.get()), LDNS_RCODE_REFUSED);
  EXPECT_FALSE(ldns_pkt_aa(reply.get()));
}

TEST(Server, ReverseZoneAnswersPtr) {
  ServerProcess server(bundled_zone_args());
  auto reply = query(server.port(), "80.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ldns_pkt_get_rcode(reply.get()), LDNS_RCODE_NOERROR);
  EXPECT_NE(section_text(ldns_pkt_answer(reply.get())).find("www.example.com."), std::string::npos);
}

// The kernel spreads many client sockets across the SO_REUSEPORT group; the
// per-worker counts logged at shutdown show it.
TEST(Server, ManyClientSocketsReachSeveralWorkers) {
  auto args = bundled_zone_args();
  args.insert(args.end(), {"--workers", "4"});
  ServerProcess server(args);
  int answered = 0;
  for (int i = 0; i < 200; ++i) {
    if (query(server.port(), "www.example.com.", LDNS_RR_TYPE_A)) ++answered;
  }
  EXPECT_EQ(answered, 200);
  RunResult result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::map<int, long> per_worker = queries_per_worker(result.output);
  ASSERT_EQ(per_worker.size(), 4u) << result.output;
  long total = 0;
  int busy = 0;
  for (auto& [worker, count] : per_worker) {
    total += count;
    if (count > 0) ++busy;
  }
  EXPECT_GE(total, 200);  // the start-up probe adds a few
  EXPECT_GE(busy, 2) << result.output;
}

// DESIGN: bad zone at start -> "file:line: problem", exit 1, bind nothing.
TEST(Server, BrokenZoneExitsWithFileAndLine) {
  uint16_t port = free_udp_port();
  RunResult result = run_rpdns(
      {"--zone", "broken.example=" + kZones + "/broken.zone", "--listen", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("broken.zone:6:"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("listening"), std::string::npos) << result.output;
}

TEST(Server, CheckConfigReportsZonesAndSerials) {
  std::string dir = temp_dir();
  std::string config = dir + "/check-ok.yaml";
  std::ofstream(config) << "listen: [\"127.0.0.1:5300\"]\nworkers: 2\nzones:\n"
                           "  - origin: test.example\n    file: " +
                               kZones + "/test.example.zone\n";
  RunResult result = run_rpdns({"--check-config", config});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("test.example."), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("5 records"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("serial 42"), std::string::npos) << result.output;
  std::filesystem::remove(config);
}

TEST(Server, CheckConfigListsEveryError) {
  std::string dir = temp_dir();
  std::string config = dir + "/check-bad.yaml";
  std::ofstream(config) << "workers: two\nzones:\n  - origin: broken.example\n    file: " + kZones +
                               "/broken.zone\nbogus: 1\n";
  RunResult result = run_rpdns({"--check-config", config});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("check-bad.yaml:1: workers"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("check-bad.yaml:5: bogus"), std::string::npos) << result.output;
  std::filesystem::remove(config);
}

TEST(Server, ServesZonesNamedInConfigFile) {
  std::string dir = temp_dir();
  std::string config = dir + "/serve.yaml";
  std::ofstream(config) << "workers: 2\nlog-level: warn\nzones:\n  - origin: test.example\n    file: " + kZones +
                               "/test.example.zone\n";
  ServerProcess server({"--config", config}, "test.example.");
  auto reply = query(server.port(), "www.test.example.", LDNS_RR_TYPE_AAAA);
  ASSERT_TRUE(reply);
  EXPECT_NE(section_text(ldns_pkt_answer(reply.get())).find("2001:db8::1"), std::string::npos);
  std::filesystem::remove(config);
}

// SIGTERM stops the server promptly and cleanly.
TEST(Server, SigtermExitsZeroQuickly) {
  ServerProcess server(bundled_zone_args());
  auto start = std::chrono::steady_clock::now();
  RunResult result = server.stop(std::chrono::seconds(5));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// The counters logged at shutdown are the queries' alone: the wake-up that
// stops a worker is neither a query nor a dropped datagram.
TEST(Server, ShutdownCountsOnlyRealQueries) {
  ServerProcess server(bundled_zone_args());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(query(server.port(), "www.example.com.", LDNS_RR_TYPE_A));
  RunResult result = server.stop(std::chrono::seconds(5));
  std::regex line(R"(worker \d+ on \S+: (\d+) queries, (\d+) replies, (\d+) dropped)");
  int workers = 0;
  long queries = 0;
  for (std::sregex_iterator it(result.output.begin(), result.output.end(), line), end; it != end; ++it) {
    ++workers;
    queries += std::stol((*it)[1]);
    EXPECT_EQ((*it)[1], (*it)[2]) << result.output;
    EXPECT_EQ((*it)[3], "0") << result.output;
  }
  EXPECT_GT(workers, 0) << result.output;
  EXPECT_GE(queries, 3) << result.output;
}

// A port already taken is named in the error, with the protocol.
TEST(Server, BusyPortIsNamed) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  uint16_t port = free_udp_port();
  sockaddr_in addr = loopback(port);
  ASSERT_EQ(bind(fd, sa(addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  std::string where = "127.0.0.1:" + std::to_string(port);
  RunResult result = run_rpdns({"--zone", "example.com=" + kBundled + "/example.com.zone", "--listen", where});
  close(fd);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("cannot listen on " + where + " (tcp)"), std::string::npos) << result.output;
}

// A datagram too short to hold a header gets silence, and the server lives on.
TEST(Server, GarbageIsIgnoredAndServerSurvives) {
  ServerProcess server(bundled_zone_args());
  EXPECT_FALSE(exchange_raw(server.port(), {0x12, 0x34, 0x01}, std::chrono::milliseconds(200)));
  auto reply = query(server.port(), "www.example.com.", LDNS_RR_TYPE_A);
  EXPECT_TRUE(reply);
}

TEST(Server, VersionAndHelp) {
  RunResult version = run_rpdns({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("rpdns "), std::string::npos);
  RunResult help = run_rpdns({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--check-config"), std::string::npos);
  RunResult schema = run_rpdns({"--print-schema"});
  EXPECT_EQ(schema.exit_code, 0);
  EXPECT_EQ(schema.output, cli::schema_listing());
  RunResult bad = run_rpdns({"--frobnicate"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("--frobnicate"), std::string::npos);
}

}  // namespace
}  // namespace rpdns::test

namespace rpdns::test {
namespace {

// The container health check: --probe asks a real question and reports.
TEST(Server, ProbeSucceedsOnlyForAnAuthoritativeAnswer) {
  ServerProcess server(bundled_zone_args());
  std::string addr = "127.0.0.1:" + std::to_string(server.port());
  RunResult ok = run_rpdns({"--probe", addr, "example.com"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  RunResult refused = run_rpdns({"--probe", addr, "example.org"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("rcode 5"), std::string::npos) << refused.output;
  server.stop();
  RunResult silent = run_rpdns({"--probe", addr, "example.com"});
  EXPECT_EQ(silent.exit_code, 1) << silent.output;
}

}  // namespace
}  // namespace rpdns::test
