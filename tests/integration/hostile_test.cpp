// Attacks on the real binary (and, for the accept back-off, on the real
// listener in-process): connection floods, stalled messages, descriptor
// exhaustion, signals at awkward moments. Each bounded in time.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "support/server_process.hpp"
#include "support/tcp_client.hpp"

namespace rpdns::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kDiff = RPDNS_TEST_ZONES "/diff/diff.example.zone";

// The test process itself needs a descriptor per connection it opens.
uint64_t raise_own_descriptor_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

std::string write_config(const std::string& name, const std::string& settings) {
  std::string path = temp_dir() + "/" + name + ".yaml";
  std::ofstream(path) << settings << "zones:\n  - origin: diff.example\n    file: " << kDiff << "\n";
  return path;
}

// Opens `count` connections from `source` that each send a message length
// and then nothing: a client stalled mid-message.
std::vector<std::unique_ptr<TcpClient>> stalled_connections(uint16_t port, int count, const char* source) {
  std::vector<std::unique_ptr<TcpClient>> out;
  for (int i = 0; i < count; ++i) {
    auto c = std::make_unique<TcpClient>(port, source);
    if (c->connected()) c->send_raw({0x00, 0x20});  // 32 bytes announced; may fail once the server closed it
    out.push_back(std::move(c));
  }
  return out;
}

// One TCP query from `source`; the time it took, or nullopt when unanswered.
std::optional<std::chrono::milliseconds> timed_tcp_query(uint16_t port, const char* source) {
  auto start = Clock::now();
  TcpClient client(port, source);
  if (!client.connected() || !client.send(make_query("www.diff.example.", LDNS_RR_TYPE_A))) return std::nullopt;
  if (!client.receive(2000)) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// The server's CPU time over `window`, in seconds.
double cpu_over(pid_t pid, std::chrono::milliseconds window) {
  double before = cpu_seconds(pid);
  std::this_thread::sleep_for(window);
  return cpu_seconds(pid) - before;
}

// Issue 17, item 1: stalled connections from one address used to hold every
// slot, and a client from another address was reset.
TEST(TcpFlood, StalledLengthsFromOneAddressDoNotLockOutOthers) {
  int count = static_cast<int>(std::min<uint64_t>(5000, raise_own_descriptor_limit() - 200));
  ServerProcess server({"--config", write_config("stall-flood", "workers: 2\n")}, "diff.example.");
  auto flood = stalled_connections(server.port(), count, "127.0.0.1");
  double cpu = cpu_over(server.pid(), 1000ms);
  auto took = timed_tcp_query(server.port(), "127.0.0.2");
  ASSERT_TRUE(took) << count << " stalled connections from 127.0.0.1 locked out 127.0.0.2";
  EXPECT_LT(took->count(), 100) << "ms for a TCP query from another address";
  EXPECT_LT(cpu, 0.2) << "server CPU seconds over 1 s with " << count << " stalled connections";
  EXPECT_TRUE(query(server.port(), "www.diff.example.", LDNS_RR_TYPE_A));
}

// RFC 7766 §6.2.3: once a length has arrived the message must follow within
// tcp-io-timeout, not the (much longer) idle timeout.
TEST(TcpFlood, StalledMessageIsClosedAfterTheIoTimeout) {
  ServerProcess server({"--config", write_config("io-timeout", "tcp-idle-timeout: 30\ntcp-io-timeout: 300\n")},
                       "diff.example.");
  TcpClient client(server.port());
  ASSERT_TRUE(client.send_raw({0x00, 0x20}));
  auto start = Clock::now();
  EXPECT_TRUE(client.closed_by_peer(3000)) << "still open 3 s into a stalled message";
  EXPECT_GE(Clock::now() - start, 250ms);
}

// A full worker closes its oldest connection, even one stalled mid-message,
// so that a newcomer gets in.
TEST(TcpFlood, FullWorkerEvictsTheOldestForANewcomer) {
  auto config = write_config("evict",
                             "workers: 1\ntcp-max-connections: 4\ntcp-max-per-client: 0\n"
                             "tcp-io-timeout: 60000\ntcp-idle-timeout: 60\n");
  ServerProcess server({"--config", config}, "diff.example.");
  auto stalled = stalled_connections(server.port(), 4, "127.0.0.1");
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(timed_tcp_query(server.port(), "127.0.0.2")) << "a full worker turned the newcomer away";
  EXPECT_TRUE(stalled.front()->closed_by_peer(1000)) << "the oldest connection was not the one closed";
}

// A zone whose AXFR is far bigger than the kernel's socket buffers, so that
// a client that does not read keeps the transfer in mid-stream.
std::string wide_zone() {
  std::string path = temp_dir() + "/wide.zone";
  if (std::filesystem::exists(path)) return path;
  std::string tmp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp);
    out << "$ORIGIN wide.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n";
    std::string text(240, 'x');
    for (int i = 0; i < 40000; ++i) out << "t" << i << " TXT \"" << text << "\"\n";  // about 10 MB of messages
  }
  std::filesystem::rename(tmp, path);
  return path;
}

// Reads a transfer to its closing SOA; returns the messages, 0 if cut short.
int read_transfer(TcpClient& client) {
  int messages = 0;
  int soas = 0;
  while (auto reply = client.receive(5000)) {
    ++messages;
    Packet pkt = decode(*reply);
    if (!pkt) return 0;
    soas += static_cast<int>(count_type(ldns_pkt_answer(pkt.get()), LDNS_RR_TYPE_SOA));
    if (soas == 2) return messages;
  }
  return 0;
}

// A full worker makes room by closing a connection, but never one that is
// streaming a zone transfer: the secondary would have to start over.
TEST(TcpFlood, EvictionSparesATransferInProgress) {
  std::string config = temp_dir() + "/spare-transfer.yaml";
  std::ofstream(config) << "workers: 1\ntcp-max-connections: 2\ntcp-max-per-client: 0\ntcp-io-timeout: 60000\n"
                           "tcp-idle-timeout: 60\nzones:\n  - origin: wide.example\n    file: "
                        << wide_zone() << "\n    allow-transfer: [127.0.0.0/8]\n";
  ServerProcess server({"--config", config}, "wide.example.");
  TcpClient secondary(server.port());
  ASSERT_TRUE(secondary.send(to_wire_and_free(new_query("wide.example.", LDNS_RR_TYPE_AXFR))));
  std::this_thread::sleep_for(300ms);  // the transfer fills the socket buffers and waits for the reader
  auto stalled = stalled_connections(server.port(), 1, "127.0.0.1");
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(timed_tcp_query(server.port(), "127.0.0.2")) << "the newcomer was turned away";
  EXPECT_TRUE(stalled.front()->closed_by_peer(1000)) << "the stalled connection was kept";
  EXPECT_GT(read_transfer(secondary), 1) << "the transfer was cut short";
}

// The per-client cap: connections over it are closed at once, and another
// client's are not counted against it.
TEST(TcpFlood, ConnectionsOverThePerClientCapAreClosedAtOnce) {
  ServerProcess server({"--config", write_config("per-client", "workers: 2\ntcp-max-per-client: 3\n")},
                       "diff.example.");
  std::vector<std::unique_ptr<TcpClient>> kept;
  for (int i = 0; i < 3; ++i) kept.push_back(std::make_unique<TcpClient>(server.port()));
  std::this_thread::sleep_for(100ms);
  TcpClient fourth(server.port());
  EXPECT_TRUE(fourth.closed_by_peer(1000));
  for (auto& c : kept) EXPECT_FALSE(c->closed_by_peer(0));
  EXPECT_TRUE(timed_tcp_query(server.port(), "127.0.0.2"));
}

// Issue 17, item 2: at the usual descriptor limit a connection flood made
// the accept loops spin on EMFILE.
TEST(Descriptors, FloodUnderALowLimitNeitherSpinsNorStopsService) {
  raise_own_descriptor_limit();
  auto config = write_config("nofile", "workers: 2\ntcp-max-per-client: 0\n");
  ServerProcess server({"--config", config}, "diff.example.", 256);
  EXPECT_NE(server.log().find("tcp-max-connections lowered from 1024 to"), std::string::npos) << server.log();
  std::vector<std::unique_ptr<TcpClient>> flood;
  for (int i = 0; i < 1000; ++i) flood.push_back(std::make_unique<TcpClient>(server.port()));
  double cpu = cpu_over(server.pid(), 1000ms);
  EXPECT_LT(cpu, 0.3) << "server CPU seconds over 1 s with 1000 connections under 256 descriptors";
  EXPECT_TRUE(query(server.port(), "www.diff.example.", LDNS_RR_TYPE_A));
  EXPECT_TRUE(timed_tcp_query(server.port(), "127.0.0.2"));
  flood.clear();
  std::this_thread::sleep_for(200ms);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(timed_tcp_query(server.port(), "127.0.0.1")) << "after the flood, " << i;
}

std::size_t open_descriptors(pid_t pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++n;
  }
  return n;
}

// When accept fails (EMFILE: here the running server's limit is lowered to
// the descriptors it already has), the listener pauses instead of retrying
// at once; before, it spun.
TEST(Descriptors, AcceptFailuresPauseInsteadOfSpinning) {
  ServerProcess server({"--config", write_config("emfile", "workers: 1\n")}, "diff.example.");
  rlimit before{};
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_NOFILE, nullptr, &before), 0);
  rlimit none = before;
  none.rlim_cur = static_cast<rlim_t>(open_descriptors(server.pid()));
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_NOFILE, &none, nullptr), 0);
  std::vector<std::unique_ptr<TcpClient>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<TcpClient>(server.port()));  // queued by the kernel
  double cpu = cpu_over(server.pid(), 1000ms);
  ASSERT_EQ(prlimit(server.pid(), RLIMIT_NOFILE, &before, nullptr), 0);
  EXPECT_LT(cpu, 0.1) << "server CPU seconds over 1 s of EMFILE";
  EXPECT_NE(server.log().find("tcp accept failed: Too many open files; retrying every 100 ms"), std::string::npos)
      << server.log();
  // Descriptors back: the queued clients get in and are answered.
  ASSERT_TRUE(clients[0]->send(make_query("www.diff.example.", LDNS_RR_TYPE_A)));
  EXPECT_TRUE(clients[0]->receive(2000)) << "no answer once descriptors were free again";
}

// A zone big enough that loading it takes a while, so that signals land
// while it loads.
std::string big_zone(int records, int serial = 1) {
  std::string path = temp_dir() + "/big-" + std::to_string(records) + "-" + std::to_string(serial) + ".zone";
  if (std::filesystem::exists(path)) return path;
  std::string tmp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp);
    out << "$ORIGIN big.example.\n$TTL 300\n@ SOA ns hostmaster " << serial
        << " 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n";
    for (int i = 0; i < records; ++i) out << "h" << i << " A 192.0.2." << (i % 250 + 1) << "\n";
  }
  std::filesystem::rename(tmp, path);
  return path;
}

// True once the main thread of `pid` blocks exactly the four signals rpdns
// handles: the first line of its main has run. (Exactly: a sanitizer's
// runtime may block every signal for a moment while it starts up.)
bool handled_signals_blocked(pid_t pid) {
  uint64_t handled = 0;
  for (int s : {SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGTERM}) handled |= uint64_t{1} << (s - 1);
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigBlk:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16) == handled;
  }
  return false;
}

// Issue 17, item 5: a SIGHUP or SIGUSR1 before the signal handling was set
// up (while zones loaded) killed the process.
TEST(Signals, HupAndUsr1FromTheStartDoNotKill) {
  std::string zone = big_zone(300000);
  uint16_t port = free_udp_port();
  std::string log = temp_dir() + "/signals-" + std::to_string(getpid()) + ".log";
  pid_t pid = spawn_process(RPDNS_BINARY,
                            {"--zone", "big.example=" + zone, "--listen", "127.0.0.1:" + std::to_string(port)}, log);
  // From the first line of main: before it (the dynamic loader, a
  // sanitizer's start-up) nothing can help. The spawner starts the child
  // with no signal blocked, so this also shows main blocking them.
  // Seen once is enough: a sanitizer blocks every signal for a moment each
  // time a thread is created.
  auto start = Clock::now();
  bool blocked = false;
  while (!(blocked = handled_signals_blocked(pid)) && Clock::now() - start < 10s) std::this_thread::sleep_for(200us);
  EXPECT_TRUE(blocked) << "HUP, INT, USR1, USR2 and TERM not blocked 10 s after the start";
  bool answered = false;
  auto deadline = Clock::now() + 60s;
  int sent = 0;
  int status = 0;
  bool exited = false;
  for (auto stop_at = Clock::time_point::max(); Clock::now() < std::min(deadline, stop_at); ++sent) {
    kill(pid, sent % 2 == 0 ? SIGHUP : SIGUSR1);
    if ((exited = waitpid(pid, &status, WNOHANG) == pid)) break;
    if (!answered && sent % 20 == 0 && query(port, "big.example.", LDNS_RR_TYPE_SOA, false, 20ms)) {
      answered = true;
      stop_at = Clock::now() + 300ms;  // keep signalling a serving server for a while
    }
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_FALSE(exited) << "rpdns died (signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << ") after " << sent
                       << " signals:\n"
                       << read_file(log);
  EXPECT_TRUE(answered) << read_file(log);
  if (!exited) {
    EXPECT_TRUE(query(port, "big.example.", LDNS_RR_TYPE_SOA, false, 2000ms));
    kill(pid, SIGTERM);
    EXPECT_EQ(wait_exit(pid, 20s), 0) << read_file(log);
  }
  std::filesystem::remove(log);
}

// Issue 17, item 5: SIGTERM during a big reload waited for the reload.
TEST(Signals, TermDuringAReloadStopsAtOnce) {
  std::string zone = temp_dir() + "/term-during-reload-" + std::to_string(getpid()) + ".zone";
  std::filesystem::copy_file(big_zone(500000, 1), zone, std::filesystem::copy_options::overwrite_existing);
  ServerProcess server({"--zone", "big.example=" + zone}, "big.example.");
  std::filesystem::copy_file(big_zone(500000, 2), zone, std::filesystem::copy_options::overwrite_existing);
  kill(server.pid(), SIGHUP);
  auto start = Clock::now();
  while (server.log().find("reload: started") == std::string::npos && Clock::now() - start < 5s) {
    std::this_thread::sleep_for(1ms);
  }
  auto stopping = Clock::now();
  auto result = server.stop(std::chrono::seconds(30));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stopping);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("the reload in progress is abandoned"), std::string::npos) << result.output;
  EXPECT_LT(took.count(), 500) << "ms from SIGTERM to exit during a reload";
  std::filesystem::remove(zone);
}

}  // namespace
}  // namespace rpdns::test
