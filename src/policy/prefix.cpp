#include "policy/prefix.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace rpdns::policy {

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
