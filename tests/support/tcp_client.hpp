// A blocking DNS-over-TCP client for tests: two-byte length framing
// (RFC 1035 §4.2.2), with timeouts so a test never hangs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace rpdns::test {

class TcpClient {
 public:
  // Connects to 127.0.0.1:port from `source` (another loopback address, so
  // that a test can play a second client).
  explicit TcpClient(uint16_t port, const char* source = "127.0.0.1");
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(const std::vector<uint8_t>& message);
  // Sends bytes as they are, without framing.
  bool send_raw(const std::vector<uint8_t>& bytes);
  // The next framed message, or nullopt on timeout or close.
  std::optional<std::vector<uint8_t>> receive(int timeout_ms = 2000);
  // True when the server closed the connection within `timeout_ms`.
  bool closed_by_peer(int timeout_ms);

 private:
  bool read_exact(uint8_t* out, std::size_t n, int timeout_ms);
  int fd_ = -1;
};

}  // namespace rpdns::test
