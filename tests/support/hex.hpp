// Bytes as hex text and back (cookies, secrets and the RFCs' test vectors).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rpdns::test {

// "0a1b" -> {0x0a, 0x1b}; a trailing odd digit is ignored.
inline std::vector<uint8_t> from_hex(const std::string& text) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
  return out;
}

// Lowercase hex, two digits a byte.
inline std::string to_hex(const uint8_t* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 0x0F];
  }
  return out;
}

}  // namespace rpdns::test
