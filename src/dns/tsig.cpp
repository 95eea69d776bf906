#include "dns/tsig.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>

#include "dns/message.hpp"
#include "dns/name.hpp"
#include "dns/wire.hpp"

namespace rpdns::dns::tsig {
namespace {

struct AlgorithmInfo {
  Algorithm algorithm;
  std::string_view text;
  std::string_view wire;  // canonical wire name, root label included
  const char* digest;     // OpenSSL's name for it
  std::size_t size;
};

using namespace std::string_view_literals;
constexpr AlgorithmInfo kAlgorithms[] = {
    {Algorithm::hmac_sha1, "hmac-sha1", "\x09hmac-sha1\x00"sv, "SHA1", 20},
    {Algorithm::hmac_sha224, "hmac-sha224", "\x0bhmac-sha224\x00"sv, "SHA224", 28},
    {Algorithm::hmac_sha256, "hmac-sha256", "\x0bhmac-sha256\x00"sv, "SHA256", 32},
    {Algorithm::hmac_sha384, "hmac-sha384", "\x0bhmac-sha384\x00"sv, "SHA384", 48},
    {Algorithm::hmac_sha512, "hmac-sha512", "\x0bhmac-sha512\x00"sv, "SHA512", 64},
};

const AlgorithmInfo& info(Algorithm a) { return kAlgorithms[static_cast<std::size_t>(a)]; }

uint64_t read_u48(const uint8_t* p) { return static_cast<uint64_t>(read_u16(p)) << 32 | read_u32(p + 2); }

void write_u48(uint8_t* p, uint64_t v) {
  write_u16(p, static_cast<uint16_t>(v >> 32));
  write_u32(p + 2, static_cast<uint32_t>(v));
}

}  // namespace

// One HMAC computation. OpenSSL allocates its context here: signed
// messages (transfers, NOTIFY, the odd signed query) are rare next to the
// unsigned query path, which never comes here.
class Mac {
 public:
  explicit Mac(const Key& key) {
    static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx_ = hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr;
    if (ctx_ == nullptr) return;
    char* digest = const_cast<char*>(info(key.algorithm).digest);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    ok_ = EVP_MAC_init(ctx_, key.secret.data(), key.secret.size(), params) == 1;
  }
  ~Mac() { EVP_MAC_CTX_free(ctx_); }
  Mac(const Mac&) = delete;
  Mac& operator=(const Mac&) = delete;

  void update(const uint8_t* p, std::size_t n) {
    if (ok_ && n > 0) ok_ = EVP_MAC_update(ctx_, p, n) == 1;
  }
  void update(std::string_view s) { update(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
  void u16(uint16_t v) {
    uint8_t b[2];
    write_u16(b, v);
    update(b, 2);
  }
  void u48(uint64_t v) {
    uint8_t b[6];
    write_u48(b, v);
    update(b, 6);
  }
  // A MAC as the next digest's prefix: its length, then its bytes.
  void prior(std::span<const uint8_t> mac) {
    if (mac.empty()) return;
    u16(static_cast<uint16_t>(mac.size()));
    update(mac.data(), mac.size());
  }
  // The message as it was before its TSIG was added (§4.3.2): the first
  // `body` bytes, with `id` and ARCOUNT less `arcount_less`.
  void message(const uint8_t* m, std::size_t body, uint16_t id, unsigned arcount_less) {
    u16(id);
    update(m + 2, 8);
    u16(static_cast<uint16_t>(read_u16(m + 10) - arcount_less));
    update(m + kHeaderSize, body - kHeaderSize);
  }
  // The TSIG variables (§4.3.3), all of them or the timers only (§5.3.1).
  void variables(std::string_view key_name, std::string_view algorithm, uint64_t time, uint16_t fudge, uint16_t error,
                 std::span<const uint8_t> other, bool timers_only) {
    if (!timers_only) {
      update(key_name);
      u16(klass::ANY);
      u16(0);
      u16(0);  // TTL 0, as two halves
      update(algorithm);
    }
    u48(time);
    u16(fudge);
    if (timers_only) return;
    u16(error);
    u16(static_cast<uint16_t>(other.size()));
    update(other.data(), other.size());
  }
  std::size_t final(uint8_t* out) {
    std::size_t n = 0;
    if (!ok_ || EVP_MAC_final(ctx_, out, &n, kMaxMac) != 1) return 0;
    return n;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  bool ok_ = false;
};

namespace {

// Writes the TSIG record at `out` (the room checked by the caller) and
// returns its size.
std::size_t write_record(uint8_t* out, std::string_view key_name, std::string_view algorithm, uint64_t time,
                         uint16_t fudge, std::span<const uint8_t> mac, uint16_t original_id, uint16_t error,
                         std::span<const uint8_t> other) {
  uint8_t* p = out;
  std::memcpy(p, key_name.data(), key_name.size());
  p += key_name.size();
  write_u16(p, kType);
  write_u16(p + 2, klass::ANY);
  write_u32(p + 4, 0);
  std::size_t rdlen = algorithm.size() + 6 + 2 + 2 + mac.size() + 2 + 2 + 2 + other.size();
  write_u16(p + 8, static_cast<uint16_t>(rdlen));
  p += 10;
  std::memcpy(p, algorithm.data(), algorithm.size());
  p += algorithm.size();
  write_u48(p, time);
  write_u16(p + 6, fudge);
  write_u16(p + 8, static_cast<uint16_t>(mac.size()));
  p += 10;
  if (!mac.empty()) std::memcpy(p, mac.data(), mac.size());
  p += mac.size();
  write_u16(p, original_id);
  write_u16(p + 2, error);
  write_u16(p + 4, static_cast<uint16_t>(other.size()));
  p += 6;
  if (!other.empty()) std::memcpy(p, other.data(), other.size());
  p += other.size();
  return static_cast<std::size_t>(p - out);
}

std::size_t size_of(std::size_t key_name, std::size_t algorithm, std::size_t mac, std::size_t other) {
  return key_name + 10 + algorithm + 6 + 2 + 2 + mac + 6 + other;
}

// Appends a signed TSIG to `m` whose digest `mac` has been fed all but the
// variables; bumps ARCOUNT.
std::size_t finish(uint8_t* m, std::size_t len, std::size_t capacity, const Key& key, Mac& mac, uint64_t time,
                   uint16_t error, std::optional<uint64_t> other_time, bool timers_only) {
  uint8_t other[6];
  std::span<const uint8_t> other_span;
  if (other_time) {
    write_u48(other, *other_time);
    other_span = {other, 6};
  }
  std::string_view algorithm = info(key.algorithm).wire;
  mac.variables(key.name, algorithm, time, kFudge, error, other_span, timers_only);
  uint8_t digest[kMaxMac];
  std::size_t n = mac.final(digest);
  if (n == 0) return 0;
  std::size_t need = size_of(key.name.size(), algorithm.size(), n, other_span.size());
  if (len < kHeaderSize || capacity < len || capacity - len < need) return 0;
  len += write_record(m + len, key.name, algorithm, time, kFudge, {digest, n}, read_u16(m), error, other_span);
  write_u16(m + 10, static_cast<uint16_t>(read_u16(m + 10) + 1));
  return len;
}

}  // namespace

std::optional<Algorithm> algorithm_from_text(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return static_cast<char>(dns::lower(c)); });
  if (!lower.empty() && lower.back() == '.') lower.pop_back();
  for (const AlgorithmInfo& a : kAlgorithms)
    if (a.text == lower) return a.algorithm;
  return std::nullopt;
}

std::string_view algorithm_text(Algorithm a) { return info(a).text; }
std::size_t mac_size(Algorithm a) { return info(a).size; }

const Key* Keyring::find(std::string_view wire_name) const {
  for (const Key& k : keys_)
    if (k.name == wire_name) return &k;
  return nullptr;
}

bool parse_at(const uint8_t* m, std::size_t len, std::size_t offset, Record& out) {
  std::size_t pos = offset;
  out.start = offset;
  if (!read_name(m, len, pos, out.key_name.data(), out.key_name_len)) return false;
  if (len - pos < 10 || read_u16(m + pos) != kType) return false;
  // Class ANY and TTL 0 (§4.2): anything else is not a TSIG.
  if (read_u16(m + pos + 2) != klass::ANY || read_u32(m + pos + 4) != 0) return false;
  std::size_t rdlen = read_u16(m + pos + 8);
  pos += 10;
  if (len - pos != rdlen) return false;  // the last record: nothing after it
  std::size_t end = len;
  if (!read_name(m, end, pos, out.algorithm.data(), out.algorithm_len)) return false;
  if (end - pos < 10) return false;
  out.time_signed = read_u48(m + pos);
  out.fudge = read_u16(m + pos + 6);
  out.mac_len = read_u16(m + pos + 8);
  pos += 10;
  if (end - pos < out.mac_len + 6u) return false;
  out.mac_too_long = out.mac_len > kMaxMac;
  if (!out.mac_too_long) std::memcpy(out.mac.data(), m + pos, out.mac_len);
  pos += out.mac_len;
  out.original_id = read_u16(m + pos);
  out.error = read_u16(m + pos + 2);
  std::size_t other_len = read_u16(m + pos + 4);
  pos += 6;
  if (end - pos != other_len) return false;
  out.other_time = other_len == 6 ? read_u48(m + pos) : 0;
  return true;
}

bool find(const uint8_t* m, std::size_t len, Record& out, bool& present) {
  present = false;
  if (len < kHeaderSize) return false;
  unsigned qd = read_u16(m + 4);
  unsigned records = read_u16(m + 6) + read_u16(m + 8) + read_u16(m + 10);
  unsigned additional_from = records - read_u16(m + 10);
  std::size_t pos = kHeaderSize;
  uint8_t name[kMaxNameLength];
  std::size_t name_len = 0;
  for (unsigned i = 0; i < qd; ++i) {
    if (!read_name(m, len, pos, name, name_len) || len - pos < 4) return false;
    pos += 4;
  }
  for (unsigned i = 0; i < records; ++i) {
    std::size_t start = pos;
    if (!read_name(m, len, pos, name, name_len) || len - pos < 10) return false;
    uint16_t type = read_u16(m + pos);
    std::size_t rdlen = read_u16(m + pos + 8);
    pos += 10;
    if (len - pos < rdlen) return false;
    pos += rdlen;
    if (type != kType) continue;
    present = true;
    // §5.1: only as the last record of the additional section.
    if (i + 1 != records || i < additional_from || pos != len) return false;
    return parse_at(m, len, start, out);
  }
  return false;
}

Verdict verify_request(const uint8_t* m, const Record& tsig, const Keyring& keys, uint64_t now) {
  Verdict v;
  v.time_signed = tsig.time_signed;
  const Key* key = keys.find(tsig.key_view());
  std::string_view algorithm(reinterpret_cast<const char*>(tsig.algorithm.data()), tsig.algorithm_len);
  if (key == nullptr || info(key->algorithm).wire != algorithm) {
    v.error = BADKEY;  // §5.2.1
    return v;
  }
  v.key = key;
  std::size_t full = info(key->algorithm).size;
  // §5.2.2.1: longer than the hash, or shorter than half of it or 10 bytes.
  if (tsig.mac_too_long || tsig.mac_len > full || tsig.mac_len < std::max<std::size_t>(10, full / 2)) {
    v.formerr = true;
    return v;
  }
  Mac mac(*key);
  mac.message(m, tsig.start, tsig.original_id, 1);
  mac.variables(key->name, algorithm, tsig.time_signed, tsig.fudge, tsig.error, {}, false);
  uint8_t digest[kMaxMac];
  std::size_t n = mac.final(digest);
  if (n != full || CRYPTO_memcmp(digest, tsig.mac.data(), tsig.mac_len) != 0) {
    v.error = BADSIG;  // §5.2.2
    return v;
  }
  if (tsig.mac_len < full) {
    v.error = BADTRUNC;  // a valid but truncated MAC: we only take whole ones (§5.2.2.1)
    return v;
  }
  std::copy_n(tsig.mac.begin(), tsig.mac_len, v.mac.begin());
  v.mac_len = tsig.mac_len;
  uint64_t skew = now > tsig.time_signed ? now - tsig.time_signed : tsig.time_signed - now;
  if (skew > tsig.fudge) v.error = BADTIME;  // §5.2.3
  return v;
}

std::size_t sign(uint8_t* m, std::size_t len, std::size_t capacity, const Key& key,
                 std::span<const uint8_t> request_mac, uint64_t now, uint16_t error,
                 std::optional<uint64_t> other_time) {
  if (len < kHeaderSize) return 0;
  Mac mac(key);
  mac.prior(request_mac);
  mac.update(m, len);
  return finish(m, len, capacity, key, mac, now, error, other_time, false);
}

std::size_t append_unsigned(uint8_t* m, std::size_t len, std::size_t capacity, const Record& request, uint64_t now,
                            uint16_t error) {
  std::string_view key_name = request.key_view();
  std::string_view algorithm(reinterpret_cast<const char*>(request.algorithm.data()), request.algorithm_len);
  std::size_t need = size_of(key_name.size(), algorithm.size(), 0, 0);
  if (len < kHeaderSize || capacity < len || capacity - len < need) return 0;
  len += write_record(m + len, key_name, algorithm, now, kFudge, {}, read_u16(m), error, {});
  write_u16(m + 10, static_cast<uint16_t>(read_u16(m + 10) + 1));
  return len;
}

std::size_t record_size(const Key& key) {
  return size_of(key.name.size(), info(key.algorithm).wire.size(), info(key.algorithm).size, 6);
}

StreamSigner::StreamSigner(const Key& key, std::span<const uint8_t> request_mac) : key_(&key) {
  prior_len_ = std::min(request_mac.size(), kMaxMac);
  std::copy_n(request_mac.begin(), prior_len_, prior_.begin());
}

StreamSigner::~StreamSigner() = default;

Mac& StreamSigner::pending() {
  if (!pending_) {
    pending_ = std::make_unique<Mac>(*key_);
    pending_->prior({prior_.data(), prior_len_});
  }
  return *pending_;
}

void StreamSigner::absorb(const uint8_t* m, std::size_t len) { pending().update(m, len); }

std::size_t StreamSigner::sign(uint8_t* m, std::size_t len, std::size_t capacity, uint64_t now) {
  if (len < kHeaderSize) return 0;
  Mac& mac = pending();
  mac.update(m, len);
  std::size_t signed_len = finish(m, len, capacity, *key_, mac, now, 0, std::nullopt, !first_);
  pending_.reset();
  if (signed_len == 0) return 0;
  first_ = false;
  // The MAC just written is the next message's prior (§5.3.1).
  Record written;
  if (!parse_at(m, signed_len, len, written)) return 0;
  prior_len_ = written.mac_len;
  std::copy_n(written.mac.begin(), prior_len_, prior_.begin());
  return signed_len;
}

StreamVerifier::StreamVerifier(const Key& key, std::span<const uint8_t> request_mac) : key_(&key) {
  prior_len_ = std::min(request_mac.size(), kMaxMac);
  std::copy_n(request_mac.begin(), prior_len_, prior_.begin());
}

StreamVerifier::~StreamVerifier() = default;

std::string StreamVerifier::check(const uint8_t* m, std::size_t len, uint64_t now) {
  Record tsig;
  bool present = false;
  bool found = find(m, len, tsig, present);
  if (present && !found) return "malformed TSIG record";
  if (pending_ == nullptr) {
    pending_ = std::make_unique<Mac>(*key_);
    pending_->prior({prior_.data(), prior_len_});
  }
  if (!present) {
    // §5.3.1: the first message signed, then at least every 100th.
    if (first_) return "the reply is not signed (TSIG key " + to_text(key_->name) + ")";
    if (++unsigned_run_ > 99) return "more than 99 unsigned messages in a row";
    pending_->update(m, len);
    length_ = len;
    signed_last_ = false;
    return "";
  }
  std::string_view algorithm(reinterpret_cast<const char*>(tsig.algorithm.data()), tsig.algorithm_len);
  if (tsig.key_view() != key_->name || algorithm != info(key_->algorithm).wire)
    return "signed with another key (" + to_text(tsig.key_view()) + ")";
  if (tsig.error != 0) return "TSIG error " + error_text(tsig.error);
  std::size_t full = info(key_->algorithm).size;
  if (tsig.mac_len != full) return "TSIG MAC of " + std::to_string(tsig.mac_len) + " bytes";
  pending_->message(m, tsig.start, tsig.original_id, 1);
  pending_->variables(key_->name, algorithm, tsig.time_signed, tsig.fudge, tsig.error, {}, !first_);
  uint8_t digest[kMaxMac];
  std::size_t n = pending_->final(digest);
  pending_.reset();
  if (n != full || CRYPTO_memcmp(digest, tsig.mac.data(), full) != 0) return "TSIG MAC does not verify (BADSIG)";
  uint64_t skew = now > tsig.time_signed ? now - tsig.time_signed : tsig.time_signed - now;
  if (skew > tsig.fudge) return "TSIG time off by " + std::to_string(skew) + " s (BADTIME)";
  prior_len_ = full;
  std::copy_n(tsig.mac.begin(), full, prior_.begin());
  first_ = false;
  unsigned_run_ = 0;
  length_ = tsig.start;
  signed_last_ = true;
  return "";
}

std::string error_text(uint16_t error) {
  switch (error) {
    case 0:
      return "NOERROR";
    case BADSIG:
      return "BADSIG";
    case BADKEY:
      return "BADKEY";
    case BADTIME:
      return "BADTIME";
    case BADTRUNC:
      return "BADTRUNC";
    default:
      return std::to_string(error);
  }
}

std::optional<std::vector<uint8_t>> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;  // padding only at the end
      ++pad;
    } else if ((!alnum && c != '+' && c != '/') || pad > 0) {
      return std::nullopt;
    }
  }
  std::vector<uint8_t> out(text.size() / 4 * 3);
  int n =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace rpdns::dns::tsig
