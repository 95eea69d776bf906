#include "dns/cookie.hpp"

#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

#include "dns/wire.hpp"

namespace rpdns::dns {
namespace {

constexpr uint8_t kVersion = 1;       // RFC 9018 §4.1
constexpr std::size_t kHeadSize = 8;  // Version, Reserved, Timestamp
constexpr std::size_t kHashSize = 8;  // SipHash-2-4's 64-bit output
constexpr std::size_t kMaxHashInput = 8 + kHeadSize + 16;

// The client's address as RFC 9018 §4.4 hashes it: 4 bytes for IPv4, 16 for
// IPv6. An IPv4-mapped IPv6 address (a dual-stack socket) is the IPv4
// client it stands for, so its cookie is the one an IPv4 socket makes.
std::size_t client_ip(const sockaddr* peer, uint8_t* out) {
  if (peer == nullptr) return 0;
  if (peer->sa_family == AF_INET) {
    std::memcpy(out, &reinterpret_cast<const sockaddr_in*>(peer)->sin_addr, 4);
    return 4;
  }
  if (peer->sa_family != AF_INET6) return 0;
  const auto& a = reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    std::memcpy(out, a.s6_addr + 12, 4);
    return 4;
  }
  std::memcpy(out, a.s6_addr, 16);
  return 16;
}

}  // namespace

ServerCookies::ServerCookies(std::span<const CookieSecret> secrets) {
  if (secrets.empty()) throw std::runtime_error("cookies: no secret");
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_SIPHASH, nullptr);
  if (mac == nullptr) throw std::runtime_error("cookies: OpenSSL offers no SipHash");
  for (const auto& secret : secrets) {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    if (ctx != nullptr) macs_.push_back(ctx);
    // SipHash-2-4 with a 64-bit output (OpenSSL's default output is 128 bits).
    std::size_t size = kHashSize;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end()};
    if (ctx == nullptr || EVP_MAC_init(ctx, secret.data(), secret.size(), params) != 1) {
      EVP_MAC_free(mac);
      for (EVP_MAC_CTX* c : macs_) EVP_MAC_CTX_free(c);
      throw std::runtime_error("cookies: cannot key SipHash-2-4");
    }
  }
  EVP_MAC_free(mac);  // each context holds its own reference
}

ServerCookies::~ServerCookies() {
  for (EVP_MAC_CTX* c : macs_) EVP_MAC_CTX_free(c);
}

uint32_t ServerCookies::now() const {
  if (clock_fixed_) return fixed_now_;
  return static_cast<uint32_t>(std::time(nullptr));
}

// Initialising with no key takes the context back to the state it had just
// after keying (OpenSSL keeps a copy of it): no allocation, no lock.
bool ServerCookies::hash(std::size_t secret, const uint8_t* client, const uint8_t* head, const sockaddr* peer,
                         uint8_t* out) {
  uint8_t input[kMaxHashInput];
  std::memcpy(input, client, kClientCookieSize);
  std::memcpy(input + kClientCookieSize, head, kHeadSize);
  std::size_t len = kClientCookieSize + kHeadSize + client_ip(peer, input + kClientCookieSize + kHeadSize);
  EVP_MAC_CTX* ctx = macs_[secret];
  std::size_t written = 0;
  return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 && EVP_MAC_update(ctx, input, len) == 1 &&
         EVP_MAC_final(ctx, out, &written, kHashSize) == 1 && written == kHashSize;
}

bool ServerCookies::make(const uint8_t* client, const sockaddr* peer, uint32_t now, uint8_t* out) {
  out[0] = kVersion;
  out[1] = out[2] = out[3] = 0;
  write_u32(out + 4, now);
  return hash(0, client, out, peer, out + kHeadSize);
}

ServerCookies::Verdict ServerCookies::check(const uint8_t* client, std::span<const uint8_t> server,
                                            const sockaddr* peer, uint32_t now) {
  if (server.size() != kServerCookieSize || server[0] != kVersion) return Verdict::invalid;
  // Serial arithmetic (RFC 1982): the timestamp wraps in 2106.
  auto age = static_cast<int32_t>(now - read_u32(server.data() + 4));
  if (age > static_cast<int32_t>(kLifetime) || age < -static_cast<int32_t>(kFutureSkew)) return Verdict::invalid;
  uint8_t expected[kHashSize];
  for (std::size_t i = 0; i < macs_.size(); ++i) {
    if (!hash(i, client, server.data(), peer, expected)) continue;
    if (CRYPTO_memcmp(expected, server.data() + kHeadSize, kHashSize) != 0) continue;
    return i == 0 && age <= static_cast<int32_t>(kRenewAge) ? Verdict::valid : Verdict::renew;
  }
  return Verdict::invalid;
}

bool parse_cookie_secret(std::string_view text, CookieSecret& out) {
  if (text.size() != 2 * out.size()) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = digit(text[2 * i]);
    int lo = digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace rpdns::dns
