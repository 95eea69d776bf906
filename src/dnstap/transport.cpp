#include "dnstap/transport.hpp"

#include <arpa/inet.h>
#include <fstrm.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <chrono>
#include <cstring>
#include <vector>

namespace rpdns::dnstap {
namespace {

using Clock = std::chrono::steady_clock;
// The longest one connect, read or write may take.
constexpr auto kLimit = std::chrono::seconds(2);

struct Connection {
  sockaddr_storage address{};
  socklen_t address_size = 0;
  int fd = -1;
  std::vector<iovec> pending;  // a write's vectors as they go out (the writer's thread only)
};

// Waits for `events` on the connection until `deadline`; false on timeout or error.
bool wait(const Connection& c, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{c.fd, events, 0};
    int n = poll(&p, 1, static_cast<int>(left));
    if (n > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
    if (n < 0 && errno != EINTR) return false;
  }
}

fstrm_res close_op(void* obj) {
  auto* c = static_cast<Connection*>(obj);
  if (c->fd < 0) return fstrm_res_failure;
  ::close(c->fd);
  c->fd = -1;
  return fstrm_res_success;
}

fstrm_res open_op(void* obj) {
  auto* c = static_cast<Connection*>(obj);
  if (c->fd >= 0) return fstrm_res_success;
  c->fd = socket(c->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) return fstrm_res_failure;
  bool connected = connect(c->fd, reinterpret_cast<const sockaddr*>(&c->address), c->address_size) == 0;
  if (!connected && errno == EINPROGRESS && wait(*c, POLLOUT, Clock::now() + kLimit)) {
    int error = 0;
    socklen_t size = sizeof error;
    connected = getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
  }
  if (!connected) {
    close_op(obj);
    return fstrm_res_failure;
  }
  return fstrm_res_success;
}

// Exactly `count` bytes (the collector's control frames), or failure.
fstrm_res read_op(void* obj, void* data, size_t count) {
  auto* c = static_cast<Connection*>(obj);
  auto* out = static_cast<uint8_t*>(data);
  auto deadline = Clock::now() + kLimit;
  while (count > 0) {
    ssize_t n = recv(c->fd, out, count, 0);
    if (n > 0) {
      out += n;
      count -= static_cast<size_t>(n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR) || (errno == EAGAIN && !wait(*c, POLLIN, deadline))) {
      return fstrm_res_failure;
    }
  }
  return fstrm_res_success;
}

// Drops `written` bytes from the front of the pending vectors.
void advance(std::vector<iovec>& v, std::size_t& first, std::size_t written) {
  while (first < v.size() && written >= v[first].iov_len) written -= v[first++].iov_len;
  if (first < v.size()) {
    v[first].iov_base = static_cast<uint8_t*>(v[first].iov_base) + written;
    v[first].iov_len -= written;
  }
}

fstrm_res write_op(void* obj, const struct iovec* iov, int count) {
  auto* c = static_cast<Connection*>(obj);
  c->pending.assign(iov, iov + count);
  std::size_t first = 0;
  auto deadline = Clock::now() + kLimit;
  while (first < c->pending.size()) {
    msghdr msg{};
    msg.msg_iov = c->pending.data() + first;
    msg.msg_iovlen = std::min<std::size_t>(c->pending.size() - first, IOV_MAX);
    ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      advance(c->pending, first, static_cast<std::size_t>(n));
    } else if ((errno != EAGAIN && errno != EINTR) || (errno == EAGAIN && !wait(*c, POLLOUT, deadline))) {
      return fstrm_res_failure;
    }
  }
  return fstrm_res_success;
}

fstrm_res destroy_op(void* obj) {
  auto* c = static_cast<Connection*>(obj);
  if (c->fd >= 0) ::close(c->fd);
  delete c;
  return fstrm_res_success;
}

bool resolve(const Settings& settings, Connection& c) {
  if (!settings.socket.empty()) {
    sockaddr_un un{};
    if (settings.socket.size() >= sizeof un.sun_path) return false;
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, settings.socket.c_str(), settings.socket.size() + 1);
    std::memcpy(&c.address, &un, sizeof un);
    c.address_size = sizeof un;
    return true;
  }
  sockaddr_in in{};
  sockaddr_in6 in6{};
  if (inet_pton(AF_INET, settings.tcp_host.c_str(), &in.sin_addr) == 1) {
    in.sin_family = AF_INET;
    in.sin_port = htons(settings.tcp_port);
    std::memcpy(&c.address, &in, sizeof in);
    c.address_size = sizeof in;
    return true;
  }
  if (inet_pton(AF_INET6, settings.tcp_host.c_str(), &in6.sin6_addr) == 1) {
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(settings.tcp_port);
    std::memcpy(&c.address, &in6, sizeof in6);
    c.address_size = sizeof in6;
    return true;
  }
  return false;
}

}  // namespace

fstrm_rdwr* make_transport(const Settings& settings) {
  auto* c = new Connection;
  if (!resolve(settings, *c)) {
    delete c;
    return nullptr;
  }
  fstrm_rdwr* rdwr = fstrm_rdwr_init(c);
  fstrm_rdwr_set_destroy(rdwr, destroy_op);
  fstrm_rdwr_set_open(rdwr, open_op);
  fstrm_rdwr_set_close(rdwr, close_op);
  fstrm_rdwr_set_read(rdwr, read_op);
  fstrm_rdwr_set_write(rdwr, write_op);
  return rdwr;
}

}  // namespace rpdns::dnstap
