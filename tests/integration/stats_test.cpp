// The statistics endpoint and the signals that report: per-worker counts at
// /metrics (Prometheus text) add up to what was sent; SIGUSR1 logs them.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <regex>
#include <set>
#include <thread>

#include "support/server_process.hpp"
#include "support/tcp_client.hpp"

namespace rpdns::test {
namespace {

const std::string kBundled = RPDNS_BUNDLED_ZONES;

using namespace std::chrono_literals;

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

// The signed zone's first RRSIG expiration (2046-01-01T00:00:00Z in
// tests/zones/unit/signed), so an alert can fire before the zone goes bogus;
// the unsigned zone has no such line.
TEST(Stats, SignatureExpirationOfSignedZones) {
  uint16_t stats_port = free_udp_port();
  auto args = args_with_stats(stats_port);
  args.insert(args.end(),
              {"--zone", "signed.example=" + std::string(RPDNS_TEST_ZONES) + "/unit/signed/signed.example.zone"});
  ServerProcess server(args);
  std::string text = http_get(stats_port, "/metrics");
  EXPECT_NE(text.find("rpdns_zone_signature_expiration_timestamp_seconds{zone=\"signed.example.\"} 2398377600\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("rpdns_zone_signature_expiration_timestamp_seconds{zone=\"example.com.\"}"), std::string::npos);
}

TEST(Stats, ReloadResultIsExported) {
  uint16_t stats_port = free_udp_port();
  ServerProcess server(args_with_stats(stats_port));
  // The workers answer the start-up probe a moment before SIGHUP is taken
  // (a HUP before serving is ignored by design), so it is sent again every
  // half second until a reload is counted.
  std::string text;
  for (int i = 0; i < 100 && sum_metric(text, "rpdns_reloads_total") == 0; ++i) {
    if (i % 10 == 0) kill(server.pid(), SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = http_get(stats_port, "/metrics");
  }
  EXPECT_GE(sum_metric(text, "rpdns_reloads_total"), 1) << text;
  EXPECT_NE(text.find("rpdns_reloads_total{result=\"error\"} 0"), std::string::npos) << text;
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

// The status line, the headers and the body of an HTTP response.
struct Response {
  std::string status;   // "HTTP/1.0 200 OK"
  std::string headers;  // the header lines, each ending in \r\n
  std::string body;
  bool complete = false;  // the headers ended with an empty line
};

Response parse_response(const std::string& text) {
  Response r;
  auto line_end = text.find("\r\n");
  auto head_end = text.find("\r\n\r\n");
  if (line_end == std::string::npos || head_end == std::string::npos) {
    r.status = text.substr(0, line_end);
    return r;
  }
  r.status = text.substr(0, line_end);
  r.headers = text.substr(line_end + 2, head_end + 2 - (line_end + 2));
  r.body = text.substr(head_end + 4);
  r.complete = true;
  return r;
}

// The value of header `name` (matched without regard to case), or "".
std::string header_value(const Response& r, const std::string& name) {
  std::regex field("(^|\r\n)" + name + ": *([^\r]*)\r\n", std::regex::icase);
  std::smatch m;
  return std::regex_search(r.headers, m, field) ? m[2].str() : "";
}

// HEAD gets what GET gets, Content-Length included, but no body.
TEST(StatsHttp, HeadHasTheHeadersOfGetButNoBody) {
  uint16_t stats_port = free_udp_port();
  ServerProcess server(args_with_stats(stats_port));
  Response get = parse_response(http_get(stats_port, "/metrics"));
  ASSERT_TRUE(get.complete) << get.status;
  ASSERT_NE(get.status.find(" 200 "), std::string::npos) << get.status;
  Response head = parse_response(http_get(stats_port, "/metrics", "HEAD"));
  ASSERT_TRUE(head.complete) << head.status;
  EXPECT_NE(head.status.find(" 200 "), std::string::npos) << head.status;
  EXPECT_EQ(head.body.size(), 0u) << "HEAD answered with a body";
  // No query came between the two, so the text is the same.
  EXPECT_EQ(header_value(head, "Content-Length"), std::to_string(get.body.size())) << head.headers;
  EXPECT_EQ(header_value(head, "Content-Type"), header_value(get, "Content-Type"));
  Response head_missing = parse_response(http_get(stats_port, "/nothing", "HEAD"));
  EXPECT_NE(head_missing.status.find(" 404 "), std::string::npos) << head_missing.status;
  EXPECT_EQ(head_missing.body.size(), 0u);
}

TEST(StatsHttp, OtherPathsAre404OtherMethods405WithAllow) {
  uint16_t stats_port = free_udp_port();
  ServerProcess server(args_with_stats(stats_port));
  for (const char* path : {"/", "/nothing", "/metrics/", "/metricsx", "/nothing?/metrics"}) {
    Response r = parse_response(http_get(stats_port, path));
    EXPECT_NE(r.status.find(" 404 "), std::string::npos) << path << ": " << r.status;
  }
  // A query string (Prometheus sends one when a scrape job sets `params`)
  // does not change the path.
  Response with_query = parse_response(http_get(stats_port, "/metrics?job=dns"));
  EXPECT_NE(with_query.status.find(" 200 "), std::string::npos) << with_query.status;
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    Response r = parse_response(http_get(stats_port, "/metrics", method));
    EXPECT_NE(r.status.find(" 405 "), std::string::npos) << method << ": " << r.status;
    EXPECT_EQ(header_value(r, "Allow"), "GET, HEAD") << method << ":\n" << r.headers;
  }
}

// The endpoint reads no body: one declared by Content-Length or chunked
// transfer coding gets 413, and a header block over 4 KiB gets 431.
TEST(StatsHttp, BodiesAndLargeHeadersAreRejected) {
  uint16_t stats_port = free_udp_port();
  ServerProcess server(args_with_stats(stats_port));
  const std::string start = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n";
  Response sized = parse_response(http_exchange(stats_port, start + "Content-Length: 5\r\n\r\nhello"));
  EXPECT_NE(sized.status.find(" 413 "), std::string::npos) << sized.status;
  Response post = parse_response(
      http_exchange(stats_port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc"));
  EXPECT_NE(post.status.find(" 413 "), std::string::npos) << post.status;
  Response chunked =
      parse_response(http_exchange(stats_port, start + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  EXPECT_NE(chunked.status.find(" 413 "), std::string::npos) << chunked.status;
  // An empty body is no body.
  Response empty = parse_response(http_exchange(stats_port, start + "Content-Length: 0\r\n\r\n"));
  EXPECT_NE(empty.status.find(" 200 "), std::string::npos) << empty.status;
  // 6 KiB of header: under Beast's default 8 KiB, over ours.
  Response large = parse_response(http_exchange(stats_port, start + "X-Pad: " + std::string(6000, 'a') + "\r\n\r\n"));
  EXPECT_EQ(large.status.find(" 200 "), std::string::npos) << large.status;
  EXPECT_NE(large.status.find(" 431 "), std::string::npos) << large.status;
  // And the endpoint still serves.
  EXPECT_NE(http_get(stats_port, "/metrics").find(" 200 "), std::string::npos);
}

bool tcp_query_answered(uint16_t port) {
  TcpClient client(port);
  if (!client.connected() || !client.send(make_query("www.example.com.", LDNS_RR_TYPE_A))) return false;
  return client.receive(1000).has_value();
}

// 500 clients each send part of a request line and stall. The endpoint
// holds at most 8 of them, each for at most its 2 s read timeout, and
// closes the rest at once, so they cost no descriptors: DNS over UDP and
// TCP goes on being answered, even under a limit of 300 descriptors, and
// once the stalled clients are cut /metrics answers again.
TEST(StatsHttp, SlowClientsAreCutAndDnsIsUnaffected) {
  uint16_t stats_port = free_udp_port();
  ServerProcess server(args_with_stats(stats_port), "example.com.", 300);
  auto start = std::chrono::steady_clock::now();
  std::vector<int> slow;
  for (int i = 0; i < 500; ++i) {
    int fd = connect_loopback(stats_port);
    ASSERT_GE(fd, 0) << "connection " << i;
    send(fd, "GET /metr", 9, MSG_NOSIGNAL);
    slow.push_back(fd);
  }
  for (int i = 0; i < 5; ++i) {
    auto before = std::chrono::steady_clock::now();
    EXPECT_TRUE(query(server.port(), "www.example.com.", LDNS_RR_TYPE_A, false, 500ms)) << "UDP query " << i;
    EXPECT_TRUE(tcp_query_answered(server.port())) << "TCP query " << i;
    EXPECT_LT(std::chrono::steady_clock::now() - before, 500ms) << "query " << i;
  }
  // Every stalled connection is closed by the server: the ones over the
  // cap at once, the others when their read timeout expires.
  std::vector<pollfd> waiting;
  for (int fd : slow) waiting.push_back({fd, POLLIN, 0});
  std::size_t open = waiting.size();
  while (open > 0 && std::chrono::steady_clock::now() - start < 3500ms) {
    poll(waiting.data(), waiting.size(), 100);
    for (auto& p : waiting) {
      if (p.fd < 0 || p.revents == 0) continue;
      char byte = 0;
      if (recv(p.fd, &byte, 1, MSG_DONTWAIT) <= 0) {
        p.fd = -1;
        --open;
      }
    }
  }
  EXPECT_EQ(open, 0u) << "stalled connections still open 3.5 s after they started";
  for (int fd : slow) close(fd);
  bool answered = false;
  for (int i = 0; i < 30 && !answered; ++i) {
    answered = http_get(stats_port, "/metrics").find(" 200 ") != std::string::npos;
    if (!answered) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(answered) << "/metrics did not answer once the stalled clients were gone";
  EXPECT_TRUE(query(server.port(), "www.example.com.", LDNS_RR_TYPE_A));
}

// The lowest descriptor number that process `pid` does not use.
int lowest_free_descriptor(pid_t pid) {
  std::set<int> used;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  while (dirent* entry = readdir(d)) {
    if (entry->d_name[0] != '.') used.insert(std::stoi(entry->d_name));
  }
  closedir(d);
  int fd = 0;
  while (used.count(fd) != 0) ++fd;
  return fd;
}

// With no descriptor left, every accept fails with EMFILE while a client
// waits. The endpoint must pause between tries rather than spin a core,
// log the episode once, and accept the client once descriptors are back.
TEST(StatsHttp, DescriptorExhaustionPausesAcceptInsteadOfSpinning) {
  uint16_t stats_port = free_udp_port();
  ServerProcess server(args_with_stats(stats_port));
  ASSERT_NE(http_get(stats_port, "/metrics").find(" 200 "), std::string::npos);
  rlimit before{};
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_NOFILE, nullptr, &before), 0);
  rlimit none = before;
  none.rlim_cur = static_cast<rlim_t>(lowest_free_descriptor(server.pid()));
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_NOFILE, &none, nullptr), 0);
  int client = connect_loopback(stats_port);  // completed by the kernel, not accepted
  ASSERT_GE(client, 0);
  std::this_thread::sleep_for(100ms);
  double cpu_before = cpu_seconds(server.pid());
  std::this_thread::sleep_for(1s);
  double cpu = cpu_seconds(server.pid()) - cpu_before;
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_NOFILE, &before, nullptr), 0);
  EXPECT_LT(cpu, 0.2) << "CPU seconds in 1 s of EMFILE";
  std::cout << "CPU seconds used in 1 s of EMFILE: " << cpu << "\n";
  // Descriptors back: the waiting client is served.
  std::string request = "GET /metrics HTTP/1.0\r\n\r\n";
  send(client, request.data(), request.size(), MSG_NOSIGNAL);
  timeval timeout{2, 0};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char buf[64] = {};
  EXPECT_GT(recv(client, buf, sizeof buf - 1, 0), 0) << "no answer once descriptors were free again";
  EXPECT_NE(std::string(buf).find(" 200 "), std::string::npos) << buf;
  close(client);
  std::string log = server.log();
  std::regex failed("stats http accept failed");
  auto count = std::distance(std::sregex_iterator(log.begin(), log.end(), failed), std::sregex_iterator());
  EXPECT_EQ(count, 1) << "logged once per episode\n" << log;
}

// SIGTERM while the accept loop waits out a backoff (and slow clients hold
// connections): still exits 0 within a second.
TEST(StatsHttp, StopIsPromptDuringAcceptBackoff) {
  uint16_t stats_port = free_udp_port();
  ServerProcess server(args_with_stats(stats_port));
  std::vector<int> slow;
  for (int i = 0; i < 8; ++i) slow.push_back(connect_loopback(stats_port));
  std::this_thread::sleep_for(100ms);
  rlimit none{};
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_NOFILE, nullptr, &none), 0);
  none.rlim_cur = static_cast<rlim_t>(lowest_free_descriptor(server.pid()));
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_NOFILE, &none, nullptr), 0);
  int waiting = connect_loopback(stats_port);
  std::this_thread::sleep_for(250ms);
  auto start = std::chrono::steady_clock::now();
  RunResult result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_NE(result.output.find("stats http accept failed"), std::string::npos) << result.output;
  close(waiting);
  for (int fd : slow) close(fd);
}

}  // namespace
}  // namespace rpdns::test
