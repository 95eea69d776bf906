#include "app/supervisor.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace rpdns::app {
namespace {

constexpr long kWaitNanoseconds = 200'000'000;  // between looks at the children

struct Process {
  pid_t parent = 0;
  std::string name;
};

// Every process this one can see, from /proc/PID/stat: "PID (NAME) STATE PPID ...".
std::map<pid_t, Process> processes() {
  std::map<pid_t, Process> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream in(std::string("/proc/") + entry->d_name + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto open = stat.find('(');
    auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 4 > stat.size()) continue;
    Process p;
    p.name = stat.substr(open + 1, close - open - 1);
    p.parent = static_cast<pid_t>(std::strtol(stat.c_str() + close + 4, nullptr, 10));
    out[static_cast<pid_t>(pid)] = p;
  }
  closedir(proc);
  return out;
}

// The rpdns processes below this one, however deep (a successor is the
// child of the server it replaces until that one ends).
std::vector<pid_t> servers_below() {
  auto all = processes();
  std::vector<pid_t> out;
  pid_t self = getpid();
  for (const auto& [pid, p] : all) {
    if (pid == self || p.name != "rpdns") continue;
    for (pid_t up = p.parent; up > 0;) {
      if (up == self) {
        out.push_back(pid);
        break;
      }
      auto it = all.find(up);
      up = it == all.end() ? 0 : it->second.parent;
    }
  }
  return out;
}

[[noreturn]] void supervise() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGTERM, SIGCHLD}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  bool stopping = false;
  bool stopped_cleanly = false;
  int last = 0;
  for (;;) {
    int status = 0;
    pid_t ended;
    while ((ended = waitpid(-1, &status, WNOHANG)) > 0) {
      last = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (stopping && last == 0) stopped_cleanly = true;
    }
    if (ended < 0 && errno == ECHILD) std::exit(stopped_cleanly ? 0 : last);
    timespec wait{0, kWaitNanoseconds};
    int signal = sigtimedwait(&set, nullptr, &wait);
    if (signal <= 0 || signal == SIGCHLD) continue;
    if (signal == SIGINT || signal == SIGTERM) stopping = true;
    for (pid_t pid : servers_below()) kill(pid, signal);
  }
}

}  // namespace

void supervise_if_first_process() {
  if (getpid() != 1) return;
  pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "rpdns: as PID 1, cannot fork the server from its supervisor: %s; serving without one\n",
                 std::strerror(errno));
    return;
  }
  if (child == 0) return;
  supervise();
}

}  // namespace rpdns::app
