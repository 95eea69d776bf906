// An address prefix such as 192.0.2.0/24 or 2001:db8::/32, for access lists.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpdns::policy {

// The bits of byte `index` of an address that a prefix of `prefix_bits`
// keeps: 0xFF for whole bytes, 0 past the prefix, the top bits in between.
inline uint8_t prefix_mask(unsigned index, unsigned prefix_bits) {
  if (prefix_bits >= (index + 1) * 8) return 0xFF;
  if (prefix_bits <= index * 8) return 0;
  return static_cast<uint8_t>(0xFF << (8 - (prefix_bits - index * 8)));
}

// A hash of the client's address cut to its prefix (IPv4 and v4-mapped IPv6
// to `ipv4_bits`, IPv6 to `ipv6_bits`), so that every address of one prefix
// shares a key. Not seeded: callers that index a table mix in a seed.
uint64_t hash_client_prefix(const sockaddr* client, unsigned ipv4_bits, unsigned ipv6_bits);
// A full-avalanche 64-bit finalizer (MurmurHash3's): every output bit
// depends on every input bit.
uint64_t mix64(uint64_t x);
// 64 random bits from the kernel, for per-process hash seeds.
uint64_t random_seed();

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

// An access list entry: a prefix, and the TSIG key (canonical wire name)
// its requests must be signed with; an empty key asks for none.
struct KeyedPrefix {
  Prefix prefix;
  std::string key;
  // `signed_by`: the wire name of the key that verified the request, empty when unsigned.
  bool admits(const sockaddr* peer, std::string_view signed_by) const {
    return peer != nullptr && prefix.contains(peer) && (key.empty() || key == signed_by);
  }
};

}  // namespace rpdns::policy
