// Listen and peer addresses: "ADDR", "ADDR:PORT" or "[ADDR]:PORT", and the
// socket address each stands for.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "config/config.hpp"

namespace rpdns::config {

socklen_t ListenAddress::to_sockaddr(sockaddr_storage& out) const {
  std::memset(&out, 0, sizeof out);
  if (ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&out);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&out);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &a->sin_addr);
  return sizeof *a;
}

std::string ListenAddress::to_string() const {
  return ipv6 ? "[" + host + "]:" + std::to_string(port) : host + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen(const std::string& text) {
  ListenAddress addr;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    addr.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    addr.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  } else {
    addr.host = text;  // bare IPv4, or bare IPv6 without a port
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, addr.host.c_str(), buf) == 1) {
    addr.ipv6 = false;
  } else if (inet_pton(AF_INET6, addr.host.c_str(), buf) == 1) {
    addr.ipv6 = true;
  } else {
    return std::nullopt;
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    unsigned long value = std::stoul(port);
    if (value > 65535) return std::nullopt;
    addr.port = static_cast<uint16_t>(value);
  }
  return addr;
}

}  // namespace rpdns::config
