// The TCP listener under descriptor exhaustion, in-process: the real Worker
// and TcpListener, with this process's RLIMIT_NOFILE lowered so that every
// accept fails with EMFILE. Before, the listener re-armed at once and spun.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "server/tcp_listener.hpp"
#include "server/udp_socket.hpp"
#include "server/worker.hpp"
#include "server_process.hpp"
#include "tcp_client.hpp"

namespace rpdns::server {
namespace {

using namespace std::chrono_literals;

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Connects an already created socket to 127.0.0.1:port (connect takes no
// new descriptor, so it works with none left).
bool connect_to(int fd, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

TEST(AcceptBackoff, DescriptorExhaustionPausesInsteadOfSpinning) {
  config::ListenAddress address{"127.0.0.1", test::free_udp_port(), false};
  zone::ZoneStore store(std::make_shared<zone::ZoneSet>());
  std::atomic<unsigned> open{0};
  policy::ConnectionLimit per_client({0, 32, 64});
  TcpLimits limits;
  limits.open = &open;
  limits.per_client = &per_client;
  auto fds = open_udp_sockets(address, 1, {});
  Worker worker(0, fds[0], false, store, {});
  TcpListener listener(worker, address, limits);
  listener.start();
  worker.start();

  std::vector<int> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(socket(AF_INET, SOCK_STREAM, 0));
  // No descriptor left: the lowest free number becomes the limit.
  rlimit before{};
  getrlimit(RLIMIT_NOFILE, &before);
  int lowest_free = dup(0);
  close(lowest_free);
  rlimit none = before;
  none.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &none), 0);
  for (int fd : clients) ASSERT_TRUE(connect_to(fd, address.port));  // queued, not accepted

  double cpu_before = process_cpu_seconds();
  std::this_thread::sleep_for(500ms);
  double cpu = process_cpu_seconds() - cpu_before;
  uint64_t errors = worker.counters().tcp_accept_errors.get();
  setrlimit(RLIMIT_NOFILE, &before);

  EXPECT_LT(cpu, 0.1) << "CPU seconds in 500 ms of EMFILE";
  EXPECT_GE(errors, 2u);
  EXPECT_LE(errors, 10u) << "accept retried without pausing";
  // Descriptors back: the queued clients are accepted and answered.
  std::vector<uint8_t> query = test::make_query("example.com.", LDNS_RR_TYPE_SOA);
  std::vector<uint8_t> framed = {0, static_cast<uint8_t>(query.size())};
  framed.insert(framed.end(), query.begin(), query.end());
  ASSERT_EQ(send(clients[0], framed.data(), framed.size(), MSG_NOSIGNAL), static_cast<ssize_t>(framed.size()));
  timeval timeout{2, 0};
  setsockopt(clients[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  uint8_t reply[512];
  EXPECT_GT(recv(clients[0], reply, sizeof reply, 0), 2) << "no answer once descriptors were free again";
  for (int fd : clients) close(fd);
  worker.stop();
  worker.join();
}

}  // namespace
}  // namespace rpdns::server
