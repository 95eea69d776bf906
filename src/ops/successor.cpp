#include "ops/successor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <system_error>

extern char** environ;

namespace rpdns::ops {
namespace {

constexpr int kFirstListenFd = 3;  // SD_LISTEN_FDS_START
constexpr std::string_view kChannelVariable = "RPDNS_UPGRADE_FD";
// "LISTEN_PID=" and room for any pid's digits, filled in by the child.
constexpr std::size_t kPidEntrySize = 32;

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

bool inherited_variable(std::string_view entry) {
  for (std::string_view name : {"LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES=", "RPDNS_UPGRADE_FD="})
    if (entry.starts_with(name)) return true;
  return false;
}

// Writes "LISTEN_PID=<pid>" into `entry` with no allocation or library
// call: it runs in the child between fork and exec.
void write_pid_entry(char* entry, pid_t pid) {
  const char prefix[] = "LISTEN_PID=";
  std::size_t at = 0;
  for (; prefix[at] != '\0'; ++at) entry[at] = prefix[at];
  char digits[16];
  std::size_t n = 0;
  auto value = static_cast<unsigned long>(pid);
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < sizeof digits);
  while (n > 0) entry[at++] = digits[--n];
  entry[at] = '\0';
}

// The child, between fork and exec: only async-signal-safe calls. Every
// descriptor to hand over is first copied above the numbers it must take,
// so that moving one into place cannot overwrite another; the rest are
// closed, so the successor holds nothing of ours by accident.
[[noreturn]] void exec_child(const char* program, char* const* argv, char* const* envp, char* pid_entry, const int* fds,
                             std::size_t count, int channel) {
  int top = kFirstListenFd + static_cast<int>(count);  // where the channel goes
  for (std::size_t i = 0; i < count; ++i) {
    int high = fcntl(fds[i], F_DUPFD_CLOEXEC, top + 1);
    if (high < 0 || dup2(high, kFirstListenFd + static_cast<int>(i)) < 0) _exit(126);
  }
  int high = fcntl(channel, F_DUPFD_CLOEXEC, top + 1);
  if (high < 0 || dup2(high, top) < 0) _exit(126);
  close_range(static_cast<unsigned>(top) + 1, UINT_MAX, 0);
  write_pid_entry(pid_entry, getpid());
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // ours blocks the signals rpdns waits for
  execve(program, argv, envp);
  _exit(127);
}

}  // namespace

Successor start_successor(const std::string& program, const std::vector<std::string>& args,
                          const std::vector<int>& fds) {
  // Everything the child needs is made here, before fork.
  std::vector<std::string> entries;
  for (char** e = environ; *e != nullptr; ++e)
    if (!inherited_variable(*e)) entries.emplace_back(*e);
  entries.push_back("LISTEN_FDS=" + std::to_string(fds.size()));
  entries.push_back(std::string(kChannelVariable) + "=" + std::to_string(kFirstListenFd + fds.size()));
  entries.emplace_back(kPidEntrySize, '\0');
  std::vector<char*> envp;
  for (auto& e : entries) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_copies(args);
  std::vector<char*> argv;
  for (auto& a : arg_copies) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) fail("socketpair");
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(pair[0]);
    close(pair[1]);
    errno = saved;
    fail("fork");
  }
  if (pid == 0)
    exec_child(program.c_str(), argv.data(), envp.data(), entries.back().data(), fds.data(), fds.size(), pair[1]);
  close(pair[1]);
  return {pid, pair[0]};
}

int upgrade_channel() {
  const char* text = std::getenv(std::string(kChannelVariable).c_str());
  if (text == nullptr) return -1;
  char* end = nullptr;
  long fd = std::strtol(text, &end, 10);
  unsetenv(std::string(kChannelVariable).c_str());
  if (*end != '\0' || fd < kFirstListenFd || fd > INT_MAX) return -1;
  fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  return static_cast<int>(fd);
}

const std::string& own_executable() {
  static const std::string path = [] {
    std::array<char, PATH_MAX> buffer{};
    ssize_t n = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
    return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : std::string();
  }();
  return path;
}

}  // namespace rpdns::ops
