// DNS Cookies (RFC 7873), server side, with the interoperable server cookie
// of RFC 9018: Version (1) | Reserved (3 zero bytes) | Timestamp (4) | Hash (8),
// the hash being SipHash-2-4 over
//   Client Cookie | Version | Reserved | Timestamp | Client-IP
// keyed with a 16-byte secret that every server behind one address shares.
//
// One ServerCookies per thread: it holds OpenSSL MAC contexts, keyed once
// when it is made, which make() and check() reuse with no allocation and
// no lock. Not thread-safe.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace rpdns::dns {

inline constexpr std::size_t kClientCookieSize = 8;   // RFC 7873 §4.1
inline constexpr std::size_t kServerCookieSize = 16;  // RFC 9018 §4: what we hand out
inline constexpr std::size_t kMinServerCookie = 8;    // RFC 7873 §4.2: what a request may carry
inline constexpr std::size_t kMaxServerCookie = 32;
inline constexpr std::size_t kCookieSize = kClientCookieSize + kServerCookieSize;

using CookieSecret = std::array<uint8_t, 16>;

class ServerCookies {
 public:
  // RFC 9018 §4.3: a cookie is good for an hour, may come from a clock up
  // to five minutes ahead, and is replaced once it is half an hour old.
  static constexpr uint32_t kLifetime = 3600;
  static constexpr uint32_t kFutureSkew = 300;
  static constexpr uint32_t kRenewAge = 1800;

  // secrets[0] makes cookies; every one of them verifies (a rollover).
  // Throws std::runtime_error when `secrets` is empty or OpenSSL has no SipHash.
  explicit ServerCookies(std::span<const CookieSecret> secrets);
  ~ServerCookies();
  ServerCookies(const ServerCookies&) = delete;
  ServerCookies& operator=(const ServerCookies&) = delete;

  enum class Verdict {
    valid,    // ours, current: the client may keep it
    renew,    // ours, but old or made with a secret being retired: hand out a new one
    invalid,  // not ours, expired, from the future, or not an RFC 9018 cookie
  };

  // Checks the server cookie `server` a client presented with `client`
  // (kClientCookieSize bytes) from `peer` (null: no address, as in tests).
  Verdict check(const uint8_t* client, std::span<const uint8_t> server, const sockaddr* peer, uint32_t now);

  // Writes a fresh kServerCookieSize-byte server cookie for `client` from
  // `peer`, stamped `now`, made with the first secret. False if the hash failed.
  bool make(const uint8_t* client, const sockaddr* peer, uint32_t now, uint8_t* out);

  // The timestamp of RFC 9018 §4.2: seconds since the epoch, modulo 2^32.
  // Fixed by set_clock() (tests); the wall clock otherwise.
  uint32_t now() const;
  void set_clock(uint32_t fixed) {
    fixed_now_ = fixed;
    clock_fixed_ = true;
  }

 private:
  bool hash(std::size_t secret, const uint8_t* client, const uint8_t* head, const sockaddr* peer, uint8_t* out);

  std::vector<evp_mac_ctx_st*> macs_;  // one keyed context per secret, in the order given
  uint32_t fixed_now_ = 0;
  bool clock_fixed_ = false;
};

// Parses 32 hex digits into a secret; false when `text` is anything else.
bool parse_cookie_secret(std::string_view text, CookieSecret& out);

}  // namespace rpdns::dns
