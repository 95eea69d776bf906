// dnstap against the real binary and the reference tools: rpdns
// writes to fstrm_capture (fstrm-bin), and dnstap-ldns reads the capture
// back: every query and response of UDP and TCP is there with its type,
// protocol, addresses and times; a collector stopped mid-run costs no
// answer, its messages are counted as dropped, and logging resumes when it
// comes back; a reload turns it on and off. Both tools are installed by scripts/setup.sh: a missing one
// fails these tests.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/ldns_query.hpp"
#include "support/server_process.hpp"
#include "support/tcp_client.hpp"

namespace rpdns::test {
namespace {

using namespace std::chrono_literals;

const std::string kBundled = RPDNS_BUNDLED_ZONES;
const char* kCapture = "/usr/bin/fstrm_capture";
const char* kReader = "/usr/bin/dnstap-ldns";

long sum_metric(const std::string& text, const std::string& name) {
  std::regex line("(^|\n)" + name + R"(\{[^}]*\} (\d+))");
  long total = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) total += std::stol((*it)[2]);
  return total;
}

// fstrm_capture on a Unix socket (or a TCP port), writing to a file until
// it is stopped.
class Collector {
 public:
  Collector(const std::string& socket, const std::string& file) : socket_(socket) {
    std::filesystem::remove(socket);
    pid_ = spawn_process(kCapture, {"-t", "protobuf:dnstap.Dnstap", "-u", socket, "-w", file}, file + ".log");
  }
  Collector(uint16_t port, const std::string& file) : port_(port) {
    pid_ = spawn_process(kCapture,
                         {"-t", "protobuf:dnstap.Dnstap", "-a", "127.0.0.1", "-p", std::to_string(port), "-w", file},
                         file + ".log");
  }
  ~Collector() { stop(); }
  // Whether it is listening (its socket is there, or its port takes a connection).
  bool listening() const {
    if (port_ != 0) return eventually([&] { return TcpClient(port_).connected(); }, 5s);
    return eventually([&] { return std::filesystem::exists(socket_); }, 5s);
  }
  // SIGTERM: fstrm_capture flushes and closes its file.
  int stop() {
    if (pid_ <= 0) return 0;
    kill(pid_, SIGTERM);
    int status = wait_exit(pid_, 10s);
    pid_ = -1;
    return status;
  }

 private:
  std::string socket_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// One message of dnstap-ldns's YAML output.
struct Message {
  std::string type;      // AUTH_QUERY, AUTH_RESPONSE
  std::string protocol;  // UDP, TCP
  std::string family;
  std::string query_address, identity;
  std::string query_time, response_time;
  std::string text;  // the whole record, the decoded DNS message included
};

std::string field(const std::string& record, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(record, m, std::regex("(^|\n) *" + name + ": \"?([^\n\"]*)"))) return "";
  return m[2];
}

std::vector<Message> read_capture(const std::string& file) {
  RunResult r = run_tool(kReader, {"-r", file, "-y"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<Message> out;
  std::size_t start = 0;
  while (start < r.output.size()) {
    std::size_t end = r.output.find("\n---\n", start);
    if (end == std::string::npos) end = r.output.size();
    std::string record = r.output.substr(start, end - start);
    start = end + 5;
    if (record.find("message:") == std::string::npos) continue;
    out.push_back({field(record, "  type"), field(record, "socket_protocol"), field(record, "socket_family"),
                   field(record, "query_address"), field(record, "identity"), field(record, "query_time"),
                   field(record, "response_time"), record});
  }
  return out;
}

// The messages of `type` over `protocol` whose DNS message asks for `name`.
std::vector<Message> find(const std::vector<Message>& all, const std::string& type, const std::string& protocol,
                          const std::string& name) {
  std::vector<Message> out;
  for (const auto& m : all) {
    if (m.type == type && m.protocol == protocol && m.text.find(name) != std::string::npos) out.push_back(m);
  }
  return out;
}

// dnstap-ldns prints times as "!!timestamp YYYY-MM-DD HH:MM:SS.NNNNNNNNN" (UTC).
time_t seconds_of(const std::string& timestamp) {
  std::smatch m;
  if (!std::regex_search(timestamp, m, std::regex(R"((\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d))"))) return 0;
  tm t{};
  t.tm_year = std::stoi(m[1]) - 1900;
  t.tm_mon = std::stoi(m[2]) - 1;
  t.tm_mday = std::stoi(m[3]);
  t.tm_hour = std::stoi(m[4]);
  t.tm_min = std::stoi(m[5]);
  t.tm_sec = std::stoi(m[6]);
  return timegm(&t);
}

class DnstapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_dir("dnstap");
    socket_ = dir_ + "/dnstap.sock";
    stats_port_ = free_udp_port();
    write_atomically(dir_ + "/rpdns.yaml", "workers: 2\nstats:\n  listen: 127.0.0.1:" + std::to_string(stats_port_) +
                                               "\nzones:\n  - origin: example.com\n    file: " + kBundled +
                                               "/example.com.zone\ndnstap:\n  socket: " + socket_ +
                                               "\n  identity: tap-test\n  version: rpdns-test\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ServerProcess> start_server() {
    return std::make_unique<ServerProcess>(std::vector<std::string>{"--config", dir_ + "/rpdns.yaml"});
  }
  std::string metrics() const { return http_get(stats_port_, "/metrics"); }
  long sent() const { return sum_metric(metrics(), "rpdns_dnstap_sent_total"); }
  long dropped() const { return sum_metric(metrics(), "rpdns_dnstap_dropped_total"); }

  std::string dir_, socket_;
  uint16_t stats_port_ = 0;
};

bool tcp_query(uint16_t port, const std::string& name) {
  TcpClient client(port);
  if (!client.send(make_query(name, LDNS_RR_TYPE_A))) return false;
  return client.receive().has_value();
}

TEST_F(DnstapTest, EveryQueryAndResponseOverUdpAndTcp) {
  Collector collector(socket_, dir_ + "/capture.fstrm");
  ASSERT_TRUE(collector.listening()) << "fstrm_capture did not start (is fstrm-bin installed?)";
  auto server = start_server();
  ASSERT_TRUE(eventually([&] { return sent() >= 2; }, 10s)) << "the start-up probe was never logged\n" << server->log();
  time_t before = time(nullptr);
  long start = sent();
  ASSERT_TRUE(query(server->port(), "udp-tap.example.com.", LDNS_RR_TYPE_A));
  ASSERT_TRUE(query(server->port(), "www.example.com.", LDNS_RR_TYPE_A));
  ASSERT_TRUE(tcp_query(server->port(), "tcp-tap.example.com."));
  ASSERT_TRUE(eventually([&] { return sent() >= start + 6; }, 10s)) << metrics();
  time_t after = time(nullptr);
  ASSERT_EQ(collector.stop(), 0);

  auto all = read_capture(dir_ + "/capture.fstrm");
  for (const auto& [protocol, name] :
       {std::pair{"UDP", "udp-tap.example.com."}, std::pair{"TCP", "tcp-tap.example.com."},
        std::pair{"UDP", "www.example.com."}}) {
    for (const char* type : {"AUTH_QUERY", "AUTH_RESPONSE"}) {
      auto found = find(all, type, protocol, name);
      ASSERT_EQ(found.size(), 1u) << type << " " << protocol << " " << name << " in\n" << all.size() << " messages";
      const Message& m = found[0];
      EXPECT_EQ(m.family, "INET") << m.text;
      EXPECT_EQ(m.query_address, "127.0.0.1") << m.text;
      EXPECT_EQ(m.identity, "tap-test") << m.text;
      time_t query_time = seconds_of(m.query_time);
      EXPECT_GE(query_time, before - 1) << m.text;
      EXPECT_LE(query_time, after + 1) << m.text;
      if (std::string(type) == "AUTH_RESPONSE") {
        EXPECT_GE(seconds_of(m.response_time), query_time) << m.text;
        bool nxdomain = m.text.find("NXDOMAIN") != std::string::npos;
        EXPECT_EQ(nxdomain, std::string(name) != "www.example.com.") << m.text;
      } else {
        EXPECT_TRUE(m.response_time.empty()) << m.text;
      }
    }
  }
  server->stop();
}

TEST_F(DnstapTest, CollectorStoppedAndRestarted) {
  auto first = std::make_unique<Collector>(socket_, dir_ + "/first.fstrm");
  ASSERT_TRUE(first->listening()) << "fstrm_capture did not start (is fstrm-bin installed?)";
  auto server = start_server();
  ASSERT_TRUE(eventually([&] { return sent() >= 2; }, 10s)) << server->log();
  ASSERT_EQ(first->stop(), 0);
  EXPECT_EQ(dropped(), 0) << metrics();

  // No collector: every query is still answered, and the messages are dropped and counted.
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(query(server->port(), "away-" + std::to_string(i) + ".example.com.", LDNS_RR_TYPE_A)) << i;
  }
  ASSERT_TRUE(tcp_query(server->port(), "away-tcp.example.com."));
  EXPECT_TRUE(eventually([&] { return dropped() > 0; }, 5s)) << metrics();

  // Back again: the writer reconnects by itself and logging resumes.
  Collector second(socket_, dir_ + "/second.fstrm");
  ASSERT_TRUE(second.listening());
  long before = sent();
  int n = 0;
  ASSERT_TRUE(eventually(
      [&] {
        EXPECT_TRUE(query(server->port(), "back-" + std::to_string(n++) + ".example.com.", LDNS_RR_TYPE_A));
        return sent() > before;
      },
      15s, 200ms))
      << metrics() << server->log();
  ASSERT_EQ(second.stop(), 0);
  auto resumed = read_capture(dir_ + "/second.fstrm");
  EXPECT_FALSE(find(resumed, "AUTH_QUERY", "UDP", "back-").empty()) << resumed.size() << " messages";
  EXPECT_FALSE(find(resumed, "AUTH_RESPONSE", "UDP", "back-").empty()) << resumed.size() << " messages";
  EXPECT_TRUE(find(resumed, "AUTH_QUERY", "UDP", "away-").empty());
  server->stop();
}

// The same to a collector over TCP (dnstap.tcp).
TEST_F(DnstapTest, ToACollectorOverTcp) {
  uint16_t port = free_udp_port();  // a TCP port of the same number is almost surely free too
  Collector collector(port, dir_ + "/capture.fstrm");
  ASSERT_TRUE(collector.listening()) << "fstrm_capture did not start (is fstrm-bin installed?)";
  std::string config = read_file(dir_ + "/rpdns.yaml");
  config.replace(config.find("socket: "), config.find('\n', config.find("socket: ")) - config.find("socket: "),
                 "tcp: 127.0.0.1:" + std::to_string(port));
  write_atomically(dir_ + "/rpdns.yaml", config);
  auto server = start_server();
  ASSERT_TRUE(eventually([&] { return sent() >= 2; }, 10s)) << server->log();
  long start = sent();
  ASSERT_TRUE(query(server->port(), "udp-over-tcp.example.com.", LDNS_RR_TYPE_A));
  ASSERT_TRUE(tcp_query(server->port(), "tcp-over-tcp.example.com."));
  ASSERT_TRUE(eventually([&] { return sent() >= start + 4; }, 10s)) << metrics();
  ASSERT_EQ(collector.stop(), 0);
  auto all = read_capture(dir_ + "/capture.fstrm");
  for (const char* type : {"AUTH_QUERY", "AUTH_RESPONSE"}) {
    EXPECT_EQ(find(all, type, "UDP", "udp-over-tcp.example.com.").size(), 1u) << type;
    EXPECT_EQ(find(all, type, "TCP", "tcp-over-tcp.example.com.").size(), 1u) << type;
  }
  server->stop();
}

// A collector that takes the connection and then never answers nor reads
// (here: a socket listening with nobody accepting) holds up neither the
// answers nor a stop: the writer gives up on it, drops and counts.
TEST_F(DnstapTest, ACollectorThatNeverAnswersHoldsNothingUp) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  auto server = start_server();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(query(server->port(), "mute-" + std::to_string(i) + ".example.com.", LDNS_RR_TYPE_A)) << i;
  }
  EXPECT_TRUE(eventually([&] { return dropped() > 0; }, 10s)) << metrics();
  EXPECT_EQ(sent(), 0);
  auto start = std::chrono::steady_clock::now();
  RunResult stopped = server->stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  close(fd);
}

// SIGHUP turns dnstap on and off while the server keeps serving.
TEST_F(DnstapTest, TurnedOnAndOffByReload) {
  Collector collector(socket_, dir_ + "/capture.fstrm");
  ASSERT_TRUE(collector.listening()) << "fstrm_capture did not start (is fstrm-bin installed?)";
  const std::string config = dir_ + "/rpdns.yaml";
  const std::string with = read_file(config);
  const std::string without = with.substr(0, with.find("dnstap:"));
  write_atomically(config, without);
  auto server = start_server();
  ASSERT_TRUE(query(server->port(), "off-before.example.com.", LDNS_RR_TYPE_A));
  EXPECT_EQ(sent(), 0);

  write_atomically(config, with);
  kill(server->pid(), SIGHUP);
  int n = 0;
  ASSERT_TRUE(eventually(
      [&] {
        EXPECT_TRUE(query(server->port(), "on-" + std::to_string(n++) + ".example.com.", LDNS_RR_TYPE_A));
        return sent() > 0;
      },
      10s, 100ms))
      << server->log();

  write_atomically(config, without);
  kill(server->pid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return server->log().find("dnstap: off") != std::string::npos; }, 10s)) << server->log();
  long after_off = sent();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(query(server->port(), "off-after-" + std::to_string(i) + ".example.com.", LDNS_RR_TYPE_A));
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sent(), after_off);
  EXPECT_EQ(server->log().find("changes only on restart"), std::string::npos) << server->log();
  ASSERT_EQ(collector.stop(), 0);

  auto all = read_capture(dir_ + "/capture.fstrm");
  EXPECT_FALSE(find(all, "AUTH_QUERY", "UDP", "on-").empty()) << all.size() << " messages";
  EXPECT_FALSE(find(all, "AUTH_RESPONSE", "UDP", "on-").empty()) << all.size() << " messages";
  EXPECT_TRUE(find(all, "AUTH_QUERY", "UDP", "off-").empty());
  server->stop();
}

}  // namespace
}  // namespace rpdns::test
