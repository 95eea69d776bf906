// An address prefix such as 192.0.2.0/24 or 2001:db8::/32, for access lists.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace rpdns::policy {

// The bits of byte `index` of an address that a prefix of `prefix_bits`
// keeps: 0xFF for whole bytes, 0 past the prefix, the top bits in between.
inline uint8_t prefix_mask(unsigned index, unsigned prefix_bits) {
  if (prefix_bits >= (index + 1) * 8) return 0xFF;
  if (prefix_bits <= index * 8) return 0;
  return static_cast<uint8_t>(0xFF << (8 - (prefix_bits - index * 8)));
}

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
