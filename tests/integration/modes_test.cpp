// Worker modes (issue: balance and steering): SO_REUSEPORT steering by the
// kernel's hash or at random, and one shared socket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "support/server_process.hpp"

namespace rpdns::test {
namespace {

const std::string kBundled = RPDNS_BUNDLED_ZONES;

// Sends `count` queries from ONE client socket (one 4-tuple) and returns how
// many were answered.
int from_one_socket(uint16_t port, int count) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr = loopback(port);
  auto request = make_query("www.example.com.", LDNS_RR_TYPE_A);
  int answered = 0;
  for (int i = 0; i < count; ++i) {
    sendto(fd, request.data(), request.size(), 0, sa(addr), sizeof addr);
    pollfd p{fd, POLLIN, 0};
    uint8_t buf[512];
    if (poll(&p, 1, 1000) == 1 && recv(fd, buf, sizeof buf, 0) > 0) ++answered;
  }
  close(fd);
  return answered;
}

std::map<int, long> run_mode(const std::string& setting, int queries) {
  std::string config = temp_dir() + "/mode-" + std::to_string(getpid()) + ".yaml";
  std::ofstream(config) << "workers: 2\n"
                        << setting << "\nzones:\n  - origin: example.com\n    file: " << kBundled
                        << "/example.com.zone\n";
  ServerProcess server({"--config", config});
  EXPECT_EQ(from_one_socket(server.port(), queries), queries) << setting;
  RunResult result = server.stop();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return queries_per_worker(result.output);
}

// The default 4-tuple hash keeps one client on one worker...
TEST(Modes, HashKeepsOneClientOnOneWorker) {
  auto counts = run_mode("reuseport-steering: hash", 100);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_TRUE(counts[0] < 5 || counts[1] < 5) << counts[0] << " / " << counts[1];
}

// ...random steering spreads even a single client over every worker.
TEST(Modes, RandomSteeringSpreadsOneClient) {
  auto counts = run_mode("reuseport-steering: random", 200);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_GT(counts[0], 40) << counts[0] << " / " << counts[1];
  EXPECT_GT(counts[1], 40) << counts[0] << " / " << counts[1];
}

TEST(Modes, SharedSocketAnswers) {
  auto counts = run_mode("listen-mode: shared", 100);
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_GE(counts[0] + counts[1], 100);
}

TEST(Modes, PinnedWorkersAnswer) {
  auto counts = run_mode("cpu-affinity: true", 100);
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_GE(counts[0] + counts[1], 100);
}

}  // namespace
}  // namespace rpdns::test
