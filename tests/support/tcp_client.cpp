#include "support/tcp_client.hpp"

#include <poll.h>

#include "support/net.hpp"

namespace rpdns::test {

TcpClient::TcpClient(uint16_t port, const char* source) {
  fd_ = socket_from(SOCK_STREAM, source);
  if (fd_ < 0) return;
  sockaddr_in addr = loopback(port);
  if (connect(fd_, sa(addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

TcpClient::~TcpClient() {
  if (fd_ >= 0) close(fd_);
}

bool TcpClient::send(const std::vector<uint8_t>& message) {
  std::vector<uint8_t> framed = {static_cast<uint8_t>(message.size() >> 8), static_cast<uint8_t>(message.size())};
  framed.insert(framed.end(), message.begin(), message.end());
  return ::send(fd_, framed.data(), framed.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(framed.size());
}

bool TcpClient::send_raw(const std::vector<uint8_t>& bytes) {
  return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

bool TcpClient::read_exact(uint8_t* out, std::size_t n, int timeout_ms) {
  std::size_t got = 0;
  while (got < n) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return false;
    ssize_t r = recv(fd_, out + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

std::optional<std::vector<uint8_t>> TcpClient::receive(int timeout_ms) {
  uint8_t length[2];
  if (!read_exact(length, 2, timeout_ms)) return std::nullopt;
  std::vector<uint8_t> message(static_cast<std::size_t>(length[0] << 8 | length[1]));
  if (!read_exact(message.data(), message.size(), timeout_ms)) return std::nullopt;
  return message;
}

bool TcpClient::closed_by_peer(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return false;
  uint8_t byte;
  return recv(fd_, &byte, 1, 0) == 0;
}

}  // namespace rpdns::test
