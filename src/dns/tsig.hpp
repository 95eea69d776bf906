// TSIG (RFC 8945): transaction signatures with a shared secret, for zone
// transfers, NOTIFY and signed queries. The MACs are OpenSSL's HMAC; this
// file only lays out what is digested and where the record goes.
//
// A signed message ends with one TSIG record in its additional section.
// Its MAC covers (§4.3): for a reply, the request's MAC first; the message
// as it was before the TSIG was added (original ID, ARCOUNT one less); and
// the TSIG variables (key name, class, TTL, algorithm, time, fudge, error,
// other data). In a transfer's later messages (§5.3.1) the previous MAC,
// every message since, and only the time and fudge are digested.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/wire.hpp"

namespace rpdns::dns::tsig {

inline constexpr uint16_t kType = type::TSIG;
inline constexpr uint16_t kFudge = 300;     // seconds, as RFC 8945 §10 recommends
inline constexpr std::size_t kMaxMac = 64;  // HMAC-SHA512
// TSIG error codes (RFC 8945 §4.2, IANA "DNS RCODEs"); the reply's rcode is NOTAUTH.
inline constexpr uint16_t BADSIG = 16, BADKEY = 17, BADTIME = 18, BADTRUNC = 22;

enum class Algorithm : uint8_t { hmac_sha1, hmac_sha224, hmac_sha256, hmac_sha384, hmac_sha512 };

// "hmac-sha256" etc. (as Knot and BIND spell them); nullopt for anything else.
std::optional<Algorithm> algorithm_from_text(std::string_view text);
std::string_view algorithm_text(Algorithm a);
std::size_t mac_size(Algorithm a);

struct Key {
  std::string name;  // canonical wire form (lowercase, uncompressed)
  Algorithm algorithm = Algorithm::hmac_sha256;
  std::vector<uint8_t> secret;
};

// The keys a server knows, found by their wire name.
class Keyring {
 public:
  void add(Key key) { keys_.push_back(std::move(key)); }
  const Key* find(std::string_view wire_name) const;
  bool empty() const { return keys_.empty(); }

 private:
  std::vector<Key> keys_;  // few: a linear search is the fastest
};

// A TSIG record read from a message.
struct Record {
  std::size_t start = 0;  // offset of its owner name: the message before it is what was signed
  std::array<uint8_t, 255> key_name{};
  std::size_t key_name_len = 0;  // wire form, lowercased
  std::array<uint8_t, 255> algorithm{};
  std::size_t algorithm_len = 0;
  uint64_t time_signed = 0;  // 48 bits
  uint16_t fudge = 0;
  std::array<uint8_t, kMaxMac> mac{};
  std::size_t mac_len = 0;  // as sent; at most kMaxMac is kept, longer is malformed
  bool mac_too_long = false;
  uint16_t original_id = 0;
  uint16_t error = 0;
  uint64_t other_time = 0;  // the server's time in a BADTIME reply (other data of 6 bytes)
  std::string_view key_view() const { return {reinterpret_cast<const char*>(key_name.data()), key_name_len}; }
};

// Finds the TSIG record that ends `message`: it must be the last record of
// the additional section (RFC 8945 §5.1). Returns false if there is none or
// it is malformed; `present` says whether a TSIG was there at all (also
// elsewhere than last, which is malformed).
bool find(const uint8_t* message, std::size_t len, Record& out, bool& present);
// Parses the TSIG record that starts at `offset` and runs to `len`.
bool parse_at(const uint8_t* message, std::size_t len, std::size_t offset, Record& out);

// What a signed request came to (RFC 8945 §5.2).
struct Verdict {
  uint16_t error = 0;        // 0, BADKEY, BADSIG, BADTIME or BADTRUNC
  bool formerr = false;      // the MAC is shorter than the RFC lets anyone truncate it to
  const Key* key = nullptr;  // the key that signed it, when known
  std::array<uint8_t, kMaxMac> mac{};
  std::size_t mac_len = 0;  // the request's MAC, digested into the reply's
  uint64_t time_signed = 0;
};

// Checks a request's TSIG against the keyring, with `now` in Unix seconds.
Verdict verify_request(const uint8_t* message, const Record& tsig, const Keyring& keys, uint64_t now);

// Signs one reply, or a single request (empty `request_mac`), in place:
// appends the TSIG record after `len` bytes and adds one to ARCOUNT.
// Returns the new length, or 0 when `capacity` is too small. `error`
// and `other_time` (BADTIME, §5.2.3) go in the record as they are.
std::size_t sign(uint8_t* message, std::size_t len, std::size_t capacity, const Key& key,
                 std::span<const uint8_t> request_mac, uint64_t now, uint16_t error = 0,
                 std::optional<uint64_t> other_time = std::nullopt);

// The TSIG of an error reply to a request whose key is unknown or whose MAC
// does not verify (BADKEY, BADSIG: §5.2.1, §5.2.2): the request's key and
// algorithm names, no MAC. Appended like sign().
std::size_t append_unsigned(uint8_t* message, std::size_t len, std::size_t capacity, const Record& request,
                            uint64_t now, uint16_t error);

// Bytes a TSIG record signed with `key` takes (with no other data).
std::size_t record_size(const Key& key);

class Mac;  // one HMAC computation (tsig.cpp)

// Signs the messages of one multi-message reply (a zone transfer), each
// with the previous MAC chained in (§5.3.1).
class StreamSigner {
 public:
  StreamSigner(const Key& key, std::span<const uint8_t> request_mac);
  ~StreamSigner();
  StreamSigner(const StreamSigner&) = delete;
  StreamSigner& operator=(const StreamSigner&) = delete;
  std::size_t sign(uint8_t* message, std::size_t len, std::size_t capacity, uint64_t now);
  // A message sent unsigned (§5.3.1 lets up to 99 in a row go so): it is
  // digested into the next signed one's MAC.
  void absorb(const uint8_t* message, std::size_t len);

 private:
  Mac& pending();
  const Key* key_;
  std::array<uint8_t, kMaxMac> prior_{};
  std::size_t prior_len_ = 0;
  bool first_ = true;
  std::unique_ptr<Mac> pending_;
};

// Verifies the replies to a request we signed, one message at a time: the
// first must be signed, later ones may be unsigned for up to 99 in a row
// and are then digested into the next signed one (§5.3.1); the last must be
// signed too (the caller checks signed_last()).
class StreamVerifier {
 public:
  StreamVerifier(const Key& key, std::span<const uint8_t> request_mac);
  ~StreamVerifier();
  StreamVerifier(const StreamVerifier&) = delete;
  StreamVerifier& operator=(const StreamVerifier&) = delete;
  // "" or the problem. `now` in Unix seconds. On success the caller may
  // read the message up to signed_length() (the TSIG is not a record of it).
  std::string check(const uint8_t* message, std::size_t len, uint64_t now);
  std::size_t signed_length() const { return length_; }
  bool signed_last() const { return signed_last_; }

 private:
  const Key* key_;
  std::array<uint8_t, kMaxMac> prior_{};
  std::size_t prior_len_ = 0;
  bool first_ = true;
  unsigned unsigned_run_ = 0;
  std::unique_ptr<Mac> pending_;  // the digest of the unsigned messages since the last signed one
  std::size_t length_ = 0;
  bool signed_last_ = false;
};

// The error code's name for logs ("BADSIG").
std::string error_text(uint16_t error);

// Base64 (RFC 4648 §4) to bytes; nullopt when malformed or empty.
std::optional<std::vector<uint8_t>> decode_base64(std::string_view text);

}  // namespace rpdns::dns::tsig
