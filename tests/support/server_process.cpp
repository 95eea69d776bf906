#include "support/server_process.hpp"

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
#include <regex>
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

// Under a sanitizer build the server's own reports land in its log: any of
// them fails the test that ran it.
void check_sanitizer_reports(const std::string& log) {
  for (const char* marker :
       {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"}) {
    if (log.find(marker) != std::string::npos) ADD_FAILURE() << "sanitizer report from rpdns:\n" << log;
  }
}

}  // namespace

std::string zone_text(const std::string& origin, unsigned serial, const std::string& www) {
  return "$ORIGIN " + origin + ".\n$TTL 600\n@ SOA ns." + origin + ". admin." + origin + ". " + std::to_string(serial) +
         " 3600 900 604800 120\n  NS ns\nns A 127.0.0.53\nwww A " + www + "\n";
}

std::vector<std::string> zone_args(const ZoneFiles& files, std::vector<std::string> before) {
  std::vector<std::string> args = std::move(before);
  for (const auto& [origin, file] : files.zones) {
    args.push_back("--zone");
    args.push_back(origin + "=" + files.dir + "/" + file);
  }
  return args;
}

RunResult run_tool(const std::string& binary, const std::vector<std::string>& args, std::chrono::seconds timeout) {
  std::string log = unique_log_path();
  pid_t pid = spawn_process(binary, args, log);
  RunResult result;
  result.exit_code = wait_exit(pid, timeout);
  result.output = read_file(log);
  std::filesystem::remove(log);
  return result;
}

RunResult run_rpdns(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  RunResult result = run_tool(RPDNS_BINARY, args, timeout);
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

std::optional<std::vector<uint8_t>> exchange_raw(uint16_t port, const std::vector<uint8_t>& request,
                                                 std::chrono::milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr = loopback(port);
  sendto(fd, request.data(), request.size(), 0, sa(addr), sizeof addr);
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
  return reply ? decode(*reply) : nullptr;
}

std::map<int, long> queries_per_worker(const std::string& log) {
  std::regex line(R"(worker (\d+) on [^:]+:\d+: (\d+) queries)");
  std::map<int, long> out;
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it) {
    out[std::stoi((*it)[1])] = std::stol((*it)[2]);
  }
  return out;
}

int rcode_of(uint16_t port, const std::string& name, std::chrono::milliseconds timeout) {
  auto reply = query(port, name, LDNS_RR_TYPE_A, false, timeout);
  return reply ? static_cast<int>(ldns_pkt_get_rcode(reply.get())) : -1;
}

std::string serial_of(uint16_t port, const std::string& zone) {
  auto reply = query(port, zone, LDNS_RR_TYPE_SOA, false, std::chrono::milliseconds(300));
  if (!reply || !ldns_pkt_aa(reply.get()) || ldns_rr_list_rr_count(ldns_pkt_answer(reply.get())) != 1) return "";
  return rdf_text(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(reply.get()), 0), 2));
}

}  // namespace rpdns::test
