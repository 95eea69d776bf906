// Wire-format constants and byte helpers (RFC 1035 §4, RFC 6891).
// No I/O and no zone knowledge: this header is shared by every layer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rpdns::dns {

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxNameLength = 255;  // RFC 1035 §2.3.4, wire form
inline constexpr std::size_t kMaxLabelLength = 63;
inline constexpr std::size_t kMaxLabels = 128;
inline constexpr std::size_t kClassicUdpSize = 512;  // RFC 1035 §4.2.1
inline constexpr std::size_t kMaxMessageSize = 65535;
// The EDNS payload size we advertise, accept at most and offer in our own
// requests (RFC 6891 §6.2.5; the 1232 octets of DNS Flag Day 2020, which
// fit the common paths unfragmented).
inline constexpr uint16_t kDefaultEdnsPayload = 1232;

namespace type {
inline constexpr uint16_t A = 1, NS = 2, MD = 3, MF = 4, CNAME = 5, SOA = 6, MB = 7, MG = 8, MR = 9, PTR = 12,
                          HINFO = 13, MINFO = 14, MX = 15, TXT = 16, AAAA = 28, SRV = 33, DNAME = 39, OPT = 41, DS = 43,
                          RRSIG = 46, NSEC = 47, DNSKEY = 48, NSEC3 = 50, NSEC3PARAM = 51, SVCB = 64, HTTPS = 65,
                          TSIG = 250, IXFR = 251, AXFR = 252, ANY = 255;
}

namespace klass {
inline constexpr uint16_t IN = 1, CH = 3, ANY = 255;
}

namespace rcode {
inline constexpr uint8_t NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4, REFUSED = 5;
// RFC 2136 §2.2, RFC 8945 §5.2: not authorized (a transfer or NOTIFY for no
// zone of ours, a request whose TSIG does not verify).
inline constexpr uint8_t NOTAUTH = 9;
inline constexpr uint16_t BADVERS = 16;    // extended, RFC 6891 §6.1.3
inline constexpr uint16_t BADCOOKIE = 23;  // extended, RFC 7873 §8
}  // namespace rcode

namespace opcode {
inline constexpr uint8_t QUERY = 0, NOTIFY = 4;
}

// EDNS (RFC 6891): option codes (IANA "DNS EDNS0 Option Codes (OPT)"), and
// the four octets of OPTION-CODE and OPTION-LENGTH before each option's data.
namespace edns_option {
inline constexpr uint16_t NSID = 3;     // RFC 5001 §2.3
inline constexpr uint16_t EXPIRE = 9;   // RFC 7314 §2
inline constexpr uint16_t COOKIE = 10;  // RFC 7873 §4
inline constexpr uint16_t EDE = 15;     // RFC 8914 §2
}  // namespace edns_option
inline constexpr std::size_t kEdnsOptionHeader = 4;

// Header flag bits in the 16-bit flags word.
namespace flag {
inline constexpr uint16_t QR = 0x8000, OPCODE = 0x7800, AA = 0x0400, TC = 0x0200, RD = 0x0100, CD = 0x0010;
}

inline uint16_t read_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

inline uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 |
         p[3];
}

inline void write_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

inline void write_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// The header of a message in a buffer (RFC 1035 §4.1.1).
inline uint8_t header_rcode(const uint8_t* m) { return m[3] & 0x0F; }
inline bool header_tc(const uint8_t* m) { return (read_u16(m + 2) & flag::TC) != 0; }
inline void set_header_tc(uint8_t* m) { write_u16(m + 2, static_cast<uint16_t>(read_u16(m + 2) | flag::TC)); }

// A SOA record's RDATA (RFC 1035 §3.3.13): two names, then serial,
// refresh, retry, expire and minimum, read from its end. The RDATA must
// hold them (the record checks ensure it before a zone is built).
struct SoaView {
  const uint8_t* data;
  std::size_t size;
  uint32_t serial() const { return read_u32(data + size - 20); }
  uint32_t refresh() const { return read_u32(data + size - 16); }
  uint32_t retry() const { return read_u32(data + size - 12); }
  uint32_t expire() const { return read_u32(data + size - 8); }
  uint32_t minimum() const { return read_u32(data + size - 4); }
};

// A message's sections (RFC 1035 §4.1), in their order; the reply writer
// writes the last three, the message reader reads all four.
enum class Section : uint8_t { question, answer, authority, additional };

// RFC 1982 §3.2: serial `a` is greater than `b` in sequence space arithmetic.
inline bool serial_greater(uint32_t a, uint32_t b) { return a != b && static_cast<int32_t>(a - b) > 0; }

inline uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

}  // namespace rpdns::dns
