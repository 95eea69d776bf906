#include "dns/nsec3.hpp"

#include <cstring>

// OpenSSL 3 marks SHA1_Init/Update/Final deprecated in favour of EVP, but
// every EVP digest initialisation allocates a provider context (measured on
// Debian 12's OpenSSL 3.0: one allocation per hash), and the query path must
// not allocate. The low-level calls hash on the stack.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace rpdns::dns {

bool Nsec3Params::read(std::span<const uint8_t> rdata) {
  // Hash algorithm, flags, iterations (2), salt length, salt.
  if (rdata.size() < 5 || rdata.size() < 5u + rdata[4]) return false;
  algorithm = rdata[0];
  iterations = static_cast<uint16_t>(rdata[2] << 8 | rdata[3]);
  salt_length = rdata[4];
  salt = rdata.data() + 5;
  return true;
}

bool Nsec3Params::same_chain(std::span<const uint8_t> rdata) const {
  Nsec3Params other;
  return other.read(rdata) && other.algorithm == algorithm && other.iterations == iterations &&
         other.salt_length == salt_length && (salt_length == 0 || std::memcmp(other.salt, salt, salt_length) == 0);
}

void nsec3_hash(std::string_view name, const Nsec3Params& params, uint8_t (&out)[kNsec3HashSize]) {
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, name.data(), name.size());
  SHA1_Update(&ctx, params.salt, params.salt_length);
  SHA1_Final(out, &ctx);
  for (unsigned i = 0; i < params.iterations; ++i) {
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, out, kNsec3HashSize);
    SHA1_Update(&ctx, params.salt, params.salt_length);
    SHA1_Final(out, &ctx);
  }
}

namespace {

int base32hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'v') return c - 'a' + 10;
  if (c >= 'A' && c <= 'V') return c - 'A' + 10;
  return -1;
}

}  // namespace

int base32hex_decode(std::string_view text, std::span<uint8_t> out) {
  uint32_t bits = 0;
  unsigned held = 0;
  std::size_t written = 0;
  for (char c : text) {
    int v = base32hex_value(c);
    if (v < 0) return -1;
    bits = (bits << 5) | static_cast<uint32_t>(v);
    held += 5;
    if (held >= 8) {
      held -= 8;
      if (written == out.size()) return -1;
      out[written++] = static_cast<uint8_t>(bits >> held);
    }
  }
  // Leftover bits must be padding zeros, fewer than a byte (RFC 4648 §6).
  if (held >= 5 || (bits & ((1u << held) - 1)) != 0) return -1;
  return static_cast<int>(written);
}

}  // namespace rpdns::dns
