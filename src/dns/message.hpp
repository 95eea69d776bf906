// Reading a whole DNS message from the wire (RFC 1035 §4.1): the header,
// then its questions and records in order, names decompressed, every bound
// a hostile sender could break checked. Used for what other servers send
// us (a primary's SOA replies and transfers), so ldns never parses
// untrusted bytes. No allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/wire.hpp"

namespace rpdns::dns {

// Reads the possibly compressed name at `pos` into `out` (wire form, at
// most kMaxNameLength bytes; lowercased when `lower`) and moves `pos` past
// it. Pointers must point strictly backwards, so a loop cannot be built.
bool read_name(const uint8_t* m, std::size_t len, std::size_t& pos, uint8_t* out, std::size_t& out_len,
               bool lower = true);

// The fixed header (RFC 1035 §4.1.1).
struct Header {
  uint16_t id = 0;
  uint16_t flags = 0;
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

  bool qr() const { return (flags & flag::QR) != 0; }
  bool aa() const { return (flags & flag::AA) != 0; }
  bool tc() const { return (flags & flag::TC) != 0; }
  uint8_t opcode() const { return static_cast<uint8_t>(flags >> 11 & 0xF); }
  uint8_t rcode() const { return static_cast<uint8_t>(flags & 0xF); }
};

// An RCODE's mnemonic (RFC 1035 §4.1.1, RFC 2136 §2.2), "RCODE n" else.
std::string rcode_text(unsigned rcode);

struct WireQuestion {
  uint8_t name[kMaxNameLength];
  std::size_t name_len = 0;
  uint16_t type = 0;
  uint16_t klass = 0;
  std::string_view name_view() const { return {reinterpret_cast<const char*>(name), name_len}; }
};

struct WireRecord {
  uint8_t owner[kMaxNameLength];  // lowercased
  std::size_t owner_len = 0;
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl = 0;
  std::size_t rdata_pos = 0;  // offset of the RDATA in the message
  uint16_t rdata_len = 0;
  Section section = Section::answer;
  bool last = false;  // the message's last record
  std::string_view owner_view() const { return {reinterpret_cast<const char*>(owner), owner_len}; }
};

// Walks one message: question() until it returns false, then record()
// until it returns false; problem() tells a malformed message from the
// end, and at_end() whether bytes follow the last counted record.
class MessageReader {
 public:
  MessageReader(const uint8_t* message, std::size_t len);

  const Header& header() const { return header_; }
  bool question(WireQuestion& q);
  bool record(WireRecord& r);  // skips any questions not read
  // Null while the message reads well, else what is wrong with it.
  const char* problem() const { return problem_; }
  // Every counted question and record was read, and nothing follows them.
  bool at_end() const { return problem_ == nullptr && read_ == total_ && pos_ == len_; }
  const uint8_t* data() const { return m_; }
  std::size_t size() const { return len_; }

 private:
  bool fail(const char* why) {
    problem_ = why;
    return false;
  }
  Section section_of(unsigned index) const;

  const uint8_t* m_;
  std::size_t len_;
  std::size_t pos_ = kHeaderSize;
  Header header_;
  unsigned read_ = 0;  // questions and records read
  unsigned total_ = 0;
  const char* problem_ = nullptr;
};

// Appends `r`'s RDATA to `out` with the names in it uncompressed: those of
// the types RFC 3597 §4 lets a sender compress (RFC 1035's, and RP, AFSDB,
// RT, SIG, PX, NXT, NAPTR, SRV, which receivers should decompress), their
// case kept. Any other type's RDATA is copied as it is. False (with
// nothing appended) when a name or field of those types runs past the RDATA
// or bytes are left over.
bool expand_rdata(const MessageReader& message, const WireRecord& r, std::vector<uint8_t>& out);

}  // namespace rpdns::dns
