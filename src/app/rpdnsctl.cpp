// rpdnsctl: asks a running rpdns to do something over its control socket
// (control/protocol.hpp) and prints the answer.
//
//   rpdnsctl [--control PATH] [--timeout SECONDS] [--json] COMMAND [ARGS]
//
// Exit codes: 0 the server did it; 1 the server answered with an error;
// 2 a usage error, or no answer (not running, no permission, timed out).
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "control/protocol.hpp"

namespace {

constexpr const char* kDefaultSocket = "/run/rpdns/control.sock";

struct Options {
  std::string socket = kDefaultSocket;
  int timeout_seconds = 600;  // a full reload of many zones takes a while
  rpdns::control::Request request;
};

const char* kUsage =
    "Usage: rpdnsctl [--control PATH] [--timeout SECONDS] [--json] COMMAND [ARGS]\n"
    "\n"
    "Talks to a running rpdns over its control socket (key control.socket,\n"
    "or rpdns --control PATH).\n"
    "\n"
    "Commands:\n"
    "  status                version, uptime, workers, listen addresses, zones, reloads\n"
    "  reload                re-read the configuration and every zone that changed\n"
    "  reload ZONE...        read these zones again from their files\n"
    "  zone-status [ZONE...] serial, role, file, records, journal, signatures, timers\n"
    "  zone-refresh ZONE     a secondary zone: check its primaries now\n"
    "  zone-retransfer ZONE  a secondary zone: transfer it whole now, whatever the serial\n"
    "  notify ZONE           send NOTIFY of the zone's serial to its notify: list now\n"
    "  stats                 the figures /metrics serves, without HTTP\n"
    "  config-check          read the configuration and load every zone, serving nothing\n"
    "  upgrade               hand the sockets to a new process, as SIGUSR2 does\n"
    "  stop                  stop the server, as SIGTERM does\n"
    "\n"
    "Options:\n"
    "  --control PATH        the control socket (default /run/rpdns/control.sock)\n"
    "  --timeout SECONDS     how long to wait for the answer (default 600)\n"
    "  --json                the answer as JSON, for scripts\n"
    "  --help                print this help and exit\n"
    "\n"
    "Exit status: 0 done; 1 the server reported an error (an unknown zone or\n"
    "command, a failed reload or check); 2 usage error or no answer (not running,\n"
    "no permission, timed out).\n";

int usage_error(const std::string& problem) {
  std::cerr << "rpdnsctl: " << problem << "\n" << kUsage;
  return 2;
}

// Fills `out`; returns -1 to go on, or the exit code.
int parse(int argc, char** argv, Options& out) {
  int i = 1;
  for (; i < argc && std::strncmp(argv[i], "--", 2) == 0; ++i) {
    std::string flag = argv[i];
    if (flag == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--json") {
      out.request.json = true;
      continue;
    }
    if (i + 1 >= argc) return usage_error(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--control") {
      out.socket = value;
    } else if (flag == "--timeout") {
      char* end = nullptr;
      long seconds = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || seconds < 1 || seconds > 86400) return usage_error("--timeout: want 1 to 86400 seconds");
      out.timeout_seconds = static_cast<int>(seconds);
    } else {
      return usage_error("unknown option " + flag);
    }
  }
  if (i >= argc) return usage_error("no command");
  out.request.command = argv[i++];
  for (; i < argc; ++i) out.request.args.emplace_back(argv[i]);
  std::string problem;
  std::string line = rpdns::control::encode(out.request);
  if (!rpdns::control::parse_request(line.substr(0, line.size() - 1), problem)) return usage_error(problem);
  return -1;
}

int connect_to(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    std::cerr << "rpdnsctl: socket path too long: " << path << "\n";
    return -1;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) return fd;
  int error = errno;
  if (fd >= 0) ::close(fd);
  std::cerr << "rpdnsctl: cannot connect to " << path << ": " << std::strerror(error);
  if (error == ENOENT || error == ECONNREFUSED) std::cerr << " (is rpdns running, with control.socket set?)";
  if (error == EACCES) std::cerr << " (the socket's group and mode decide who may use it)";
  std::cerr << "\n";
  return -1;
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until the server closes; false on a timeout or an error.
bool receive_all(int fd, int timeout_seconds, std::string& out) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (int code = parse(argc, argv, options); code >= 0) return code;
  int fd = connect_to(options.socket);
  if (fd < 0) return 2;
  std::string received;
  bool ok = send_all(fd, rpdns::control::encode(options.request)) && receive_all(fd, options.timeout_seconds, received);
  ::close(fd);
  if (!ok) {
    std::cerr << "rpdnsctl: no answer from " << options.socket << " within " << options.timeout_seconds << " s\n";
    return 2;
  }
  auto reply = rpdns::control::decode(received);
  (reply.ok ? std::cout : std::cerr) << reply.text;
  return reply.ok ? 0 : 1;
}
