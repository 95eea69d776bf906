// NSEC3 hashing (RFC 5155 §5) and the base32hex owner labels it is written
// in (RFC 4648 §7). Wire-level only: no zone knowledge, no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace rpdns::dns {

inline constexpr std::size_t kNsec3HashSize = 20;  // SHA-1, hash algorithm 1, the only one defined
inline constexpr uint8_t kNsec3Sha1 = 1;
inline constexpr uint8_t kNsec3OptOut = 0x01;  // NSEC3 flags field (RFC 5155 §3.1.2.1)

// The parameters of one NSEC3 chain, as NSEC3PARAM gives them (RFC 5155 §4).
struct Nsec3Params {
  uint8_t algorithm = 0;
  uint16_t iterations = 0;
  uint8_t salt_length = 0;
  // Into the RDATA it was read from, which must outlive this (a zone's
  // NSEC3PARAM lives in the zone's arena): a copy would add 255 bytes to
  // every zone, signed or not.
  const uint8_t* salt = nullptr;

  // Reads the first four fields of NSEC3 or NSEC3PARAM RDATA; false when short.
  bool read(std::span<const uint8_t> rdata);
  // Whether NSEC3 RDATA belongs to this chain (same algorithm, iterations, salt).
  bool same_chain(std::span<const uint8_t> nsec3_rdata) const;
};

// IH(salt, name, iterations) of a canonical (lowercase) wire name into `out`.
// Allocates nothing, so the query path can hash names for closest-encloser
// proofs. Every iteration costs one SHA-1: zones should use 0 (RFC 9276).
void nsec3_hash(std::string_view name, const Nsec3Params& params, uint8_t (&out)[kNsec3HashSize]);

// Decodes base32hex text (either case, no padding) into `out`; the number of
// bytes written, or -1 when the text is not base32hex of whole bytes.
int base32hex_decode(std::string_view text, std::span<uint8_t> out);

}  // namespace rpdns::dns
