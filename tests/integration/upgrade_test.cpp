// The upgrade without loss (app/upgrade.hpp) against the real binary: the
// successor inherits the sockets, a stream of UDP queries sees no loss
// across several upgrades, the counters carry on, SIGUSR2 does the same as
// rpdnsctl upgrade, a successor that cannot load leaves the old process
// serving, a TCP client pipelining across an upgrade gets every answer,
// and an AXFR under way completes.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <regex>
#include <thread>

#include "support/net.hpp"
#include "support/server_process.hpp"
#include "support/tcp_client.hpp"

namespace rpdns::test {
namespace {

RunResult rpdnsctl(const std::string& socket, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--control", socket, "--timeout", "60"};
  all.insert(all.end(), args.begin(), args.end());
  return run_tool(RPDNSCTL_BINARY, all, std::chrono::seconds(70));
}

// The pid in rpdnsctl upgrade's "pid N serves; ..."; -1 when none.
pid_t successor_in(const std::string& said) {
  std::smatch m;
  if (!std::regex_search(said, m, std::regex(R"(pid (\d+) serves)"))) return -1;
  return static_cast<pid_t>(std::stol(m[1]));
}

// Queries from `clients` UDP sockets, one at a time each, until told to
// stop; counts those that got no answer within 2 s.
class Stream {
 public:
  Stream(uint16_t port, int clients) {
    for (int i = 0; i < clients; ++i) threads_.emplace_back([this, port] { run(port); });
  }
  ~Stream() { stop(); }
  void stop() {
    stopping_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  long sent() const { return sent_; }
  long lost() const { return lost_; }

 private:
  void run(uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to = loopback(port);
    auto request = make_query("www.up.test.", LDNS_RR_TYPE_A);
    std::vector<uint8_t> reply(4096);
    for (uint16_t id = 1; !stopping_; ++id) {
      request[0] = static_cast<uint8_t>(id >> 8);
      request[1] = static_cast<uint8_t>(id);
      sendto(fd, request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      ++sent_;
      if (!answered(fd, id, reply)) ++lost_;
    }
    close(fd);
  }
  static bool answered(int fd, uint16_t id, std::vector<uint8_t>& reply) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
      ssize_t n = recv(fd, reply.data(), reply.size(), 0);
      if (n >= 12 && reply[0] == static_cast<uint8_t>(id >> 8) && reply[1] == static_cast<uint8_t>(id)) return true;
    }
  }
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<long> sent_{0};
  std::atomic<long> lost_{0};
};

class Upgrade : public ::testing::Test {
 protected:
  void SetUp() override {
    // Each successor is the child of the process it replaces; once that one
    // exits, it becomes ours, so that the test can wait for it.
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    dir_ = test_dir("upgrade");
    socket_ = dir_ + "/control.sock";
    write_atomically(dir_ + "/up.zone", zone_text("up.test", 1, "192.0.2.1"));
    write_atomically(dir_ + "/rpdns.yaml",
                     "workers: 2\nshutdown-grace: 5\ncontrol:\n  socket: control.sock\nzones:\n"
                     "  - origin: up.test\n    file: up.zone\n    allow-transfer: 127.0.0.1\n");
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", dir_ + "/rpdns.yaml"}, "up.test.");
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // rpdnsctl upgrade; expects it to succeed and returns the old pid.
  pid_t start_upgrade() {
    pid_t old = server_->pid();
    auto r = rpdnsctl(socket_, {"upgrade"});
    EXPECT_EQ(r.exit_code, 0) << r.output << server_->log();
    pid_t successor = successor_in(r.output);
    EXPECT_GT(successor, 0) << r.output;
    EXPECT_NE(successor, old);
    server_->follow(successor);
    return old;
  }
  // The same, and waits for the old process to exit 0.
  void upgrade() { EXPECT_EQ(wait_exit(start_upgrade(), std::chrono::seconds(15)), 0) << server_->log(); }

  std::string dir_, socket_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Upgrade, NoQueryIsLostAcrossUpgradesAndTheCountersCarryOn) {
  Stream stream(server_->port(), 4);
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    upgrade();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stream.stop();
  EXPECT_GT(stream.sent(), 100);
  EXPECT_EQ(stream.lost(), 0) << "of " << stream.sent() << "\n" << server_->log();
  // Every query the stream sent was counted by one process or another, and
  // the last one reports them all.
  auto stats = rpdnsctl(socket_, {"stats"});
  long counted = 0;
  std::regex line(R"(rpdns_queries_total\{[^}]*\} (\d+))");
  for (std::sregex_iterator it(stats.output.begin(), stats.output.end(), line), end; it != end; ++it)
    counted += std::stol((*it)[1]);
  EXPECT_GE(counted, stream.sent()) << stats.output;
  auto log = server_->stop().output;
  EXPECT_NE(log.find("took over from the predecessor"), std::string::npos) << log;
}

TEST_F(Upgrade, Usr2StartsTheSameUpgrade) {
  pid_t old = server_->pid();
  ASSERT_EQ(kill(old, SIGUSR2), 0);
  EXPECT_EQ(wait_exit(old, std::chrono::seconds(15)), 0) << server_->log();
  std::smatch m;
  std::string log = server_->log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(upgrade: pid (\d+) serves)"))) << log;
  server_->follow(static_cast<pid_t>(std::stol(m[1])));
  EXPECT_EQ(rcode_of(server_->port(), "www.up.test."), LDNS_RCODE_NOERROR);
  EXPECT_EQ(server_->stop().exit_code, 0);
}

TEST_F(Upgrade, ASuccessorThatCannotLoadLeavesTheOldProcessServing) {
  write_atomically(dir_ + "/up.zone", "this is not a zone file\n");
  Stream stream(server_->port(), 2);
  auto r = rpdnsctl(socket_, {"upgrade"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("exited with status 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the old process still serves"), std::string::npos) << r.output;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stream.stop();
  EXPECT_EQ(stream.lost(), 0);
  // Still the same process, still answering, and able to upgrade once the file is fixed.
  EXPECT_EQ(rcode_of(server_->port(), "www.up.test."), LDNS_RCODE_NOERROR);
  write_atomically(dir_ + "/up.zone", zone_text("up.test", 2, "192.0.2.2"));
  upgrade();
  EXPECT_EQ(serial_of(server_->port(), "up.test."), "2");
}

TEST_F(Upgrade, ATcpClientGetsEveryAnswerAndThenACleanClose) {
  TcpClient client(server_->port());
  ASSERT_TRUE(client.connected());
  auto query_bytes = make_query("www.up.test.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(client.send(query_bytes));
  ASSERT_TRUE(client.receive().has_value());
  pid_t old = start_upgrade();
  // The old process still holds this connection: what the client sends
  // within the quiet time is answered there, then the connection closes
  // and the old process ends.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client.send(query_bytes));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(client.receive().has_value()) << "answer " << i;
  EXPECT_TRUE(client.closed_by_peer(3000));
  EXPECT_EQ(wait_exit(old, std::chrono::seconds(15)), 0) << server_->log();
  // A new connection reaches the successor.
  TcpClient again(server_->port());
  ASSERT_TRUE(again.send(query_bytes));
  EXPECT_TRUE(again.receive().has_value());
}

// A zone transfer under way when the upgrade starts: the old process
// streams it to its end (within shutdown-grace) before it exits. The client
// reads slowly through a small receive buffer, so that most of the zone is
// still to be written when the successor takes over.
TEST_F(Upgrade, AnAxfrUnderWayCompletes) {
  std::string zone = zone_text("up.test", 3, "192.0.2.3");
  // Some 7 MB: more than the kernel buffers of both ends hold (tcp_wmem's
  // largest is 4 MB), so the old process is still writing at the hand-over.
  constexpr int kExtra = 25000;
  std::string text(250, 'x');
  for (int i = 0; i < kExtra; ++i) zone += "h" + std::to_string(i) + " 300 IN TXT " + text + "\n";
  write_atomically(dir_ + "/up.zone", zone);
  ASSERT_EQ(rpdnsctl(socket_, {"reload"}).exit_code, 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in to = loopback(server_->port());
  ASSERT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
  auto request = make_query("up.test.", LDNS_RR_TYPE_AXFR);
  std::vector<uint8_t> framed(2 + request.size());
  framed[0] = static_cast<uint8_t>(request.size() >> 8);
  framed[1] = static_cast<uint8_t>(request.size());
  std::copy(request.begin(), request.end(), framed.begin() + 2);
  ASSERT_EQ(write(fd, framed.data(), framed.size()), static_cast<ssize_t>(framed.size()));
  auto read_exact = [fd](uint8_t* out, std::size_t n) {
    for (std::size_t got = 0; got < n;) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 10000) != 1) return false;
      ssize_t r = read(fd, out + got, n - got);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  };
  std::thread upgrading;
  long records = 0;
  int messages = 0;
  std::vector<uint8_t> message(65535);
  for (;;) {
    uint8_t length[2];
    if (!read_exact(length, 2)) break;
    std::size_t n = static_cast<std::size_t>(length[0] << 8 | length[1]);
    if (!read_exact(message.data(), n)) break;  // cut short: the count below tells
    records += message[6] << 8 | message[7];
    if (++messages == 1) upgrading = std::thread([this] { upgrade(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  close(fd);
  upgrading.join();
  // The zone's SOA, NS and two addresses, the TXT records, and the closing SOA.
  EXPECT_EQ(records, 4 + kExtra + 1) << "in " << messages << " messages\n" << server_->log();
  EXPECT_GT(messages, 3);
}

// The inode of the socket behind `fd` in this process.
ino_t socket_inode(int fd) {
  struct stat st {};
  fstat(fd, &st);
  return st.st_ino;
}

// Whether process `pid` holds the socket of inode `inode`.
bool holds_socket(pid_t pid, ino_t inode) {
  std::string wanted = "socket:[" + std::to_string(inode) + "]";
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec).string() == wanted) return true;
  }
  return false;
}

// systemd's socket activation (sd_listen_fds(3)): the sockets handed over
// as descriptors 3 and 4 with LISTEN_PID and LISTEN_FDS are the ones
// served, matched to the listen address by what they are, not bound anew
// (which would fail: this process holds them without SO_REUSEPORT).
TEST(SocketActivation, ListenFdsAreTheSocketsServed) {
  std::string dir = test_dir("activation");
  write_atomically(dir + "/up.zone", zone_text("up.test", 1, "192.0.2.1"));
  uint16_t port = free_udp_port();
  sockaddr_in at = loopback(port);
  int tcp = socket(AF_INET, SOCK_STREAM, 0);
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_EQ(bind(tcp, reinterpret_cast<const sockaddr*>(&at), sizeof at), 0);
  ASSERT_EQ(listen(tcp, 16), 0);
  ASSERT_EQ(bind(udp, reinterpret_cast<const sockaddr*>(&at), sizeof at), 0);
  std::string log_path = dir + "/rpdns.log";
  std::string binary = RPDNS_BINARY;
  std::vector<std::string> args = {binary,
                                   "--workers",
                                   "1",
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port),
                                   "--zone",
                                   "up.test=" + dir + "/up.zone"};
  pid_t pid = fork();
  if (pid == 0) {
    // Given in the "wrong" order (TCP first): they are told apart by what they are.
    if (dup2(tcp, 3) < 0 || dup2(udp, 4) < 0) _exit(126);
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    std::string listen_pid = "LISTEN_PID=" + std::to_string(getpid());
    std::vector<char*> env = {listen_pid.data(), const_cast<char*>("LISTEN_FDS=2"), nullptr};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execve(binary.c_str(), argv.data(), env.data());
    _exit(127);
  }
  EXPECT_TRUE(eventually([&] { return rcode_of(port, "www.up.test.", std::chrono::milliseconds(100)) == 0; },
                         std::chrono::seconds(30)))
      << read_file(log_path);
  TcpClient client(port);
  ASSERT_TRUE(client.send(make_query("www.up.test.", LDNS_RR_TYPE_A)));
  EXPECT_TRUE(client.receive().has_value());
  EXPECT_TRUE(holds_socket(pid, socket_inode(udp)));
  EXPECT_TRUE(holds_socket(pid, socket_inode(tcp)));
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid, std::chrono::seconds(10)), 0) << read_file(log_path);
  close(tcp);
  close(udp);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rpdns::test
