// A blocking DNS-over-TCP client for tests: two-byte length framing
// (RFC 1035 §4.2.2), with timeouts so a test never hangs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace rpdns::test {

class TcpClient {
 public:
  explicit TcpClient(uint16_t port);  // connects to 127.0.0.1:port
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(const std::vector<uint8_t>& message);
  // The next framed message, or nullopt on timeout or close.
  std::optional<std::vector<uint8_t>> receive(int timeout_ms = 2000);
  // True when the server closed the connection within `timeout_ms`.
  bool closed_by_peer(int timeout_ms);

 private:
  bool read_exact(uint8_t* out, std::size_t n, int timeout_ms);
  int fd_ = -1;
};

}  // namespace rpdns::test
