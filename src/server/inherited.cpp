#include "server/inherited.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace rpdns::server {
namespace {

constexpr int kFirstListenFd = 3;  // SD_LISTEN_FDS_START

int int_option(int fd, int option) {
  int value = 0;
  socklen_t len = sizeof value;
  if (getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0) return -1;
  return value;
}

// The same address and port: compared field by field, since the padding of
// a sockaddr_storage says nothing.
bool same_address(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
  const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
  return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
}

long environment_number(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return -1;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  return *end == '\0' ? value : -1;
}

}  // namespace

InheritedSockets InheritedSockets::from_environment() {
  InheritedSockets out;
  long pid = environment_number("LISTEN_PID");
  long count = environment_number("LISTEN_FDS");
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  if (pid != static_cast<long>(getpid()) || count <= 0) return out;
  for (int fd = kFirstListenFd; fd < kFirstListenFd + count; ++fd) {
    // Ours from here on: no program we start may inherit it by accident.
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    out.adopt(fd);
  }
  return out;
}

InheritedSockets::~InheritedSockets() { close_rest(); }

void InheritedSockets::adopt(int fd) {
  Socket s{fd, false, {}};
  socklen_t len = sizeof s.address;
  int type = int_option(fd, SO_TYPE);
  bool bound = getsockname(fd, reinterpret_cast<sockaddr*>(&s.address), &len) == 0 &&
               (s.address.ss_family == AF_INET || s.address.ss_family == AF_INET6);
  s.stream = type == SOCK_STREAM;
  if (!bound || (type != SOCK_DGRAM && !(s.stream && int_option(fd, SO_ACCEPTCONN) == 1))) {
    spdlog::warn("inherited descriptor {} is not a bound UDP socket or a listening TCP socket: closed", fd);
    close(fd);
    return;
  }
  // Workers read without blocking, whoever made the socket.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  sockets_.push_back(s);
}

std::vector<int> InheritedSockets::take(const config::ListenAddress& address, bool stream, std::size_t count) {
  sockaddr_storage wanted;
  address.to_sockaddr(wanted);
  std::vector<int> taken;
  for (auto it = sockets_.begin(); it != sockets_.end() && taken.size() < count;) {
    if (it->stream == stream && same_address(it->address, wanted)) {
      taken.push_back(it->fd);
      it = sockets_.erase(it);
    } else {
      ++it;
    }
  }
  return taken;
}

std::size_t InheritedSockets::close_rest() {
  std::size_t n = sockets_.size();
  for (const auto& s : sockets_) close(s.fd);
  sockets_.clear();
  return n;
}

}  // namespace rpdns::server
