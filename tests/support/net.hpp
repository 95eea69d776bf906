// Sockets and addresses for tests, on loopback: socket addresses from text,
// sockets bound where a test wants them, a TCP connection, a free port and
// one HTTP exchange. Blocking calls all have timeouts, so a test never hangs.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

namespace rpdns::test {

// An IPv4 socket address of numeric text.
inline sockaddr_in ipv4(const char* text, uint16_t port = 0) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, text, &a.sin_addr);
  return a;
}

// 127.0.0.1:port.
inline sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// A socket address of numeric IPv4 or IPv6 text (IPv6 when it holds a
// ':'), port 0; nullopt when the text is neither.
inline std::optional<sockaddr_storage> socket_address(const std::string& text) {
  sockaddr_storage out{};
  int parsed = 0;
  if (text.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&out);
    a->sin6_family = AF_INET6;
    parsed = inet_pton(AF_INET6, text.c_str(), &a->sin6_addr);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&out);
    a->sin_family = AF_INET;
    parsed = inet_pton(AF_INET, text.c_str(), &a->sin_addr);
  }
  if (parsed != 1) return std::nullopt;
  return out;
}

// Any socket address as the socket calls take it.
template <class Address>
const sockaddr* sa(const Address& a) {
  return reinterpret_cast<const sockaddr*>(&a);
}

// The local port of a bound socket.
inline uint16_t bound_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// A socket of `type` (SOCK_DGRAM, SOCK_STREAM) bound to `source` (a
// loopback address, so that a test can play several clients), any port;
// -1 when it cannot be bound.
inline int socket_from(int type, const char* source) {
  int fd = socket(AF_INET, type, 0);
  sockaddr_in from = ipv4(source);
  if (fd >= 0 && bind(fd, sa(from), sizeof from) == 0) return fd;
  if (fd >= 0) close(fd);
  return -1;
}

// A free UDP port on 127.0.0.1 (bound and released; good enough for tests).
inline uint16_t free_udp_port() {
  int fd = socket_from(SOCK_DGRAM, "127.0.0.1");
  uint16_t port = bound_port(fd);
  close(fd);
  return port;
}

// A UDP socket on 127.0.0.1, any port (stored in `port`), whose receives
// give up after 50 ms: a secondary that listens for NOTIFY and never answers.
inline int udp_listener(uint16_t& port) {
  int fd = socket_from(SOCK_DGRAM, "127.0.0.1");
  port = bound_port(fd);
  timeval tick{0, 50'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  return fd;
}

// A TCP connection to 127.0.0.1:port, or -1.
inline int connect_loopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to = loopback(port);
  if (fd >= 0 && connect(fd, sa(to), sizeof to) != 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

// Sends `request` as it is to 127.0.0.1:port over TCP and returns everything
// the server sends until it closes (or 3 s pass).
inline std::string http_exchange(uint16_t port, const std::string& request) {
  int fd = connect_loopback(port);
  std::string response;
  if (fd < 0) return response;
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[4096];
  ssize_t n = 0;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
  close(fd);
  return response;
}

// A minimal HTTP/1.0 request over loopback; returns the whole response.
inline std::string http_get(uint16_t port, const std::string& path, const std::string& method = "GET") {
  return http_exchange(port, method + " " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n");
}

}  // namespace rpdns::test
