// An address prefix such as 192.0.2.0/24 or 2001:db8::/32, for access lists.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace rpdns::policy {

struct Prefix {
  bool ipv6 = false;
  uint8_t bytes[16] = {};
  unsigned length = 0;  // bits
  std::string text;

  // "ADDR" (a host) or "ADDR/LEN"; nullopt when malformed.
  static std::optional<Prefix> parse(const std::string& text);
  // True when `addr` (AF_INET or AF_INET6; v4-mapped v6 counts as v4) is inside.
  bool contains(const sockaddr* addr) const;
};

}  // namespace rpdns::policy
