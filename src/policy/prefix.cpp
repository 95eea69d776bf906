#include "policy/prefix.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sys/random.h>

#include <cstring>
#include <random>

namespace rpdns::policy {

uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t hash_client_prefix(const sockaddr* client, unsigned ipv4_bits, unsigned ipv6_bits) {
  const uint8_t* bytes = nullptr;
  unsigned count = 4;
  unsigned bits = ipv4_bits;
  if (client->sa_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(client);
    bytes = a->sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      bytes += 12;  // the IPv4 client it stands for
    } else {
      count = 16;
      bits = ipv6_bits;
    }
  } else {
    bytes = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(client)->sin_addr);
  }
  uint64_t words[2] = {0, 0};  // the masked address, packed
  for (unsigned i = 0; i < count; ++i) {
    words[i / 8] |= uint64_t{static_cast<uint8_t>(bytes[i] & prefix_mask(i, bits))} << (8 * (i % 8));
  }
  return mix64(mix64(words[0] ^ count) ^ words[1]);  // `count`: IPv4 and IPv6 keys apart
}

uint64_t random_seed() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) == static_cast<ssize_t>(sizeof seed)) return seed;
  std::random_device device;  // getrandom unavailable: the library's own source
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

std::optional<Prefix> Prefix::parse(const std::string& text) {
  Prefix p;
  p.text = text;
  std::string host = text;
  std::string bits;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    host = text.substr(0, slash);
    bits = text.substr(slash + 1);
  }
  if (inet_pton(AF_INET, host.c_str(), p.bytes) == 1) {
    p.ipv6 = false;
  } else if (inet_pton(AF_INET6, host.c_str(), p.bytes) == 1) {
    p.ipv6 = true;
  } else {
    return std::nullopt;
  }
  unsigned max = p.ipv6 ? 128 : 32;
  p.length = max;
  if (!bits.empty()) {
    if (bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    p.length = static_cast<unsigned>(std::stoul(bits));
    if (p.length > max) return std::nullopt;
  }
  return p;
}

bool Prefix::contains(const sockaddr* addr) const {
  const uint8_t* candidate = nullptr;
  bool candidate_v6 = false;
  static const uint8_t kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (addr->sa_family == AF_INET) {
    candidate = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(addr)->sin_addr);
  } else if (addr->sa_family == AF_INET6) {
    candidate = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr);
    candidate_v6 = true;
    if (std::memcmp(candidate, kV4Mapped, 12) == 0) {
      candidate += 12;
      candidate_v6 = false;
    }
  } else {
    return false;
  }
  if (candidate_v6 != ipv6) return false;
  unsigned full = length / 8;
  if (std::memcmp(candidate, bytes, full) != 0) return false;
  uint8_t mask = prefix_mask(full, length);
  return mask == 0 || (candidate[full] & mask) == (bytes[full] & mask);
}

}  // namespace rpdns::policy
