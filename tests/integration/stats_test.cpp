// The statistics endpoint and the signals that report: per-worker counts at
// /metrics (Prometheus text) add up to what was sent; SIGUSR1 logs them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "server_process.hpp"

namespace rpdns::test {
namespace {

const std::string kBundled = RPDNS_BUNDLED_ZONES;

// A minimal HTTP/1.0 GET over loopback; returns the whole response.
std::string http_get(uint16_t port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
    send(fd, request.data(), request.size(), 0);
    char buf[4096];
    ssize_t n = 0;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return response;
}

long sum_metric(const std::string& text, const std::string& name) {
  std::regex line("(^|\n)" + name + R"(\{[^}]*\} (\d+))");
  long total = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) total += std::stol((*it)[2]);
  return total;
}

std::vector<std::string> args_with_stats(uint16_t stats_port) {
  return {"--zone",         "example.com=" + kBundled + "/example.com.zone", "--workers", "2",
          "--stats-listen", "127.0.0.1:" + std::to_string(stats_port)};
}

TEST(Stats, MetricsCountEveryQueryPerWorker) {
  uint16_t stats_port = free_udp_port();  // TCP port of the same number is almost surely free too
  ServerProcess server(args_with_stats(stats_port));
  std::string before = http_get(stats_port, "/metrics");
  ASSERT_NE(before.find("200 OK"), std::string::npos) << before;
  long start = sum_metric(before, "rpdns_queries_total");  // the start-up probe's queries
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(query(server.port(), "www.example.com.", LDNS_RR_TYPE_A));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(query(server.port(), "nope.example.com.", LDNS_RR_TYPE_AAAA));
  std::string after = http_get(stats_port, "/metrics");
  EXPECT_EQ(sum_metric(after, "rpdns_queries_total") - start, 60) << after;
  // Each query comes from a socket of its own, so the kernel's hash spreads
  // them over both workers: each must have counted some (all 60 landing on
  // one worker has odds of 2^-59).
  for (const char* worker : {"0", "1"}) {
    std::regex mine(std::string(R"(rpdns_queries_total\{worker=")") + worker + R"(",[^}]*\} (\d+))");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(after, m, mine)) << after;
    EXPECT_GT(std::stol(m[1]), 0) << "worker " << worker << "\n" << after;
  }
  EXPECT_GE(sum_metric(after, "rpdns_replies_total"), 60);
  std::regex nx_line(R"(rpdns_replies_total\{worker="\d+",rcode="NXDOMAIN"\} (\d+))");
  long nxdomain = 0;
  for (std::sregex_iterator it(after.begin(), after.end(), nx_line), end; it != end; ++it)
    nxdomain += std::stol((*it)[1]);
  EXPECT_EQ(nxdomain, 10);
  EXPECT_NE(after.find("rpdns_zone_serial{zone=\"example.com.\"} 2026112201"), std::string::npos) << after;
  EXPECT_NE(http_get(stats_port, "/nothing").find("404"), std::string::npos);
}

TEST(Stats, ReloadResultIsExported) {
  uint16_t stats_port = free_udp_port();
  ServerProcess server(args_with_stats(stats_port));
  kill(server.pid(), SIGHUP);
  std::string text;
  for (int i = 0; i < 50 && text.find("rpdns_reloads_total{result=\"ok\"} 1") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = http_get(stats_port, "/metrics");
  }
  EXPECT_NE(text.find("rpdns_reloads_total{result=\"ok\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("rpdns_last_reload_success 1"), std::string::npos) << text;
}

TEST(Stats, Sigusr1LogsPerWorkerCounts) {
  ServerProcess server({"--zone", "example.com=" + kBundled + "/example.com.zone", "--workers", "2"});
  for (int i = 0; i < 20; ++i) query(server.port(), "www.example.com.", LDNS_RR_TYPE_A);
  kill(server.pid(), SIGUSR1);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RunResult result = server.stop();
  // Logged once for SIGUSR1 and once at shutdown.
  std::regex balance("queries in all over 2 workers");
  auto count =
      std::distance(std::sregex_iterator(result.output.begin(), result.output.end(), balance), std::sregex_iterator());
  EXPECT_EQ(count, 2) << result.output;
}

// SIGTERM: stop receiving, finish, exit 0 within a second.
TEST(Stats, StopIsPrompt) {
  ServerProcess server({"--zone", "example.com=" + kBundled + "/example.com.zone"});
  auto start = std::chrono::steady_clock::now();
  RunResult result = server.stop();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_NE(result.output.find("stopped"), std::string::npos);
}

}  // namespace
}  // namespace rpdns::test
