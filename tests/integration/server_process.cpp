#include "server_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace rpdns::test {

pid_t spawn_process(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path,
                    uint64_t nofile) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  // As posix_spawn's POSIX_SPAWN_SETSIGMASK would: no signal blocked, whatever
  // the test process (or its sanitizer runtime) had blocked when it forked.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (nofile != 0) {
    rlimit limit{static_cast<rlim_t>(nofile), static_cast<rlim_t>(nofile)};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
  }
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, STDOUT_FILENO);
  dup2(fd, STDERR_FILENO);
  close(fd);
  std::vector<char*> argv;
  std::string program = binary;
  argv.push_back(program.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(program.c_str(), argv.data());
  _exit(127);
}

double cpu_seconds(pid_t pid) {
  // /proc/PID/stat: the command sits in parentheses and may hold spaces;
  // utime and stime are fields 14 and 15, in clock ticks.
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::string& log_path, uint64_t nofile = 0) {
  return spawn_process(RPDNS_BINARY, args, log_path, nofile);
}

std::string unique_log_path() {
  static std::atomic<int> counter{0};
  return temp_dir() + "/rpdns-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".log";
}

}  // namespace

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / "rpdns-tests";
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string test_dir(const std::string& prefix) {
  std::string dir = temp_dir() + "/" + prefix + "-" + std::to_string(getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint16_t free_udp_port() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

namespace {

// Under a sanitizer build the server's own reports land in its log: any of
// them fails the test that ran it.
void check_sanitizer_reports(const std::string& log) {
  for (const char* marker :
       {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"}) {
    if (log.find(marker) != std::string::npos) ADD_FAILURE() << "sanitizer report from rpdns:\n" << log;
  }
}

}  // namespace

RunResult run_rpdns(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  std::string log = unique_log_path();
  pid_t pid = spawn(args, log);
  RunResult result;
  result.exit_code = wait_exit(pid, timeout);
  result.output = read_file(log);
  std::filesystem::remove(log);
  check_sanitizer_reports(result.output);
  return result;
}

ServerProcess::ServerProcess(std::vector<std::string> args, const std::string& probe_name, uint64_t nofile) {
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = free_udp_port();
    log_path_ = unique_log_path();
    std::vector<std::string> full = args;
    full.push_back("--listen");
    full.push_back("127.0.0.1:" + std::to_string(port_));
    pid_ = spawn(full, log_path_, nofile);
    // Up to a minute while it runs: a big zone under a sanitizer loads slowly.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (query(port_, probe_name, LDNS_RR_TYPE_SOA, false, std::chrono::milliseconds(50))) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) break;  // exited: port taken? try another
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  throw std::runtime_error("rpdns did not start; last log:\n" + read_file(log_path_));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop();
  std::filesystem::remove(log_path_);
}

std::string ServerProcess::log() const { return read_file(log_path_); }

RunResult ServerProcess::stop(std::chrono::seconds timeout) {
  RunResult result;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    result.exit_code = wait_exit(pid_, timeout);
    pid_ = -1;
  }
  result.output = read_file(log_path_);
  check_sanitizer_reports(result.output);
  return result;
}

std::vector<uint8_t> make_query(const std::string& name, ldns_rr_type type, bool edns, uint16_t id) {
  ldns_rdf* owner = ldns_dname_new_frm_str(name.c_str());
  ldns_pkt* pkt = ldns_pkt_query_new(owner, type, LDNS_RR_CLASS_IN, 0);
  ldns_pkt_set_id(pkt, id);
  if (edns) {
    ldns_pkt_set_edns_udp_size(pkt, 4096);
    ldns_pkt_set_edns_data(pkt, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 0, ""));
  }
  return to_wire_and_free(pkt);
}

std::vector<uint8_t> to_wire_and_free(ldns_pkt* pkt) {
  uint8_t* wire = nullptr;
  size_t size = 0;
  ldns_pkt2wire(&wire, pkt, &size);
  std::vector<uint8_t> out(wire, wire + size);
  free(wire);
  ldns_pkt_free(pkt);
  return out;
}

std::optional<std::vector<uint8_t>> exchange_raw(uint16_t port, const std::vector<uint8_t>& request,
                                                 std::chrono::milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  pollfd p{fd, POLLIN, 0};
  std::optional<std::vector<uint8_t>> reply;
  if (poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
    std::vector<uint8_t> buf(65535);
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      reply = std::move(buf);
    }
  }
  close(fd);
  return reply;
}

Packet query(uint16_t port, const std::string& name, ldns_rr_type type, bool edns, std::chrono::milliseconds timeout) {
  auto reply = exchange_raw(port, make_query(name, type, edns), timeout);
  if (!reply) return nullptr;
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, reply->data(), reply->size()) != LDNS_STATUS_OK) return nullptr;
  return Packet(pkt);
}

std::string section_text(const ldns_rr_list* list) {
  std::string out;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    char* text = ldns_rr2str(ldns_rr_list_rr(list, i));
    out += text;
    free(text);
  }
  return out;
}

}  // namespace rpdns::test
