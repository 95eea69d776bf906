// Writes a reply into a caller-owned buffer: header, echoed question, RRsets
// with name compression (RFC 1035 §4.1.4), and the EDNS OPT record.
// No allocation; every write either fits whole or leaves the message as it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dns/rrset.hpp"
#include "dns/wire.hpp"

namespace rpdns::dns {

inline constexpr uint32_t kNoTtlCap = 0xFFFFFFFF;
inline constexpr int kNoEde = -1;
inline constexpr int kEdeNotAuthoritative = 20;  // RFC 8914 §4.21

class ReplyWriter {
 public:
  // Starts a reply to `id`, echoing the raw question (may be empty).
  // `limit` is the largest message allowed; the OPT record, when
  // `reserve_opt` is set, always fits within it, with `opt_options` bytes
  // of EDNS options that must not be squeezed out (NSID).
  void begin(uint8_t* buffer, std::size_t limit, uint16_t id, uint16_t flags, std::span<const uint8_t> question,
             bool reserve_opt, std::size_t opt_options = 0);

  // Appends every record of the RRset under `owner` (canonical wire form),
  // or nothing when it does not fit. `ttl_cap` lowers each TTL to at most
  // that value (negative answers, RFC 2308 §3).
  bool put_rrset(Section section, std::string_view owner, uint16_t klass, const RRsetWire& rrset,
                 uint32_t ttl_cap = kNoTtlCap);

  // The OPT pseudo-record (RFC 6891 §6.1.2); space was reserved in begin().
  // `cookie` (RFC 7873 §4, client and server cookie) and `nsid` (RFC 5001),
  // when not empty, go in the space reserved for them, the cookie first;
  // an Extended DNS Error (RFC 8914) is added when `ede` is set and it fits.
  // `expire` (RFC 7314), when not negative, is added like the EDE: if it fits.
  void put_opt(uint16_t udp_size, uint16_t ext_rcode, bool do_bit, int ede = kNoEde, std::string_view nsid = {},
               std::span<const uint8_t> cookie = {}, int64_t expire = -1);

  // Clears every section after the question and sets TC (RFC 2181 §9).
  void truncate();

  // A point to return to, so that RRsets that must appear together (an
  // RRset and its RRSIGs, RFC 4035 §3.1.1) are written whole or not at all.
  struct Mark {
    std::size_t pos;
    std::size_t entries;
    uint16_t counts[3];
  };
  Mark mark() const { return {pos_, entry_count_, {counts_[0], counts_[1], counts_[2]}}; }
  void restore(const Mark& m);

  void set_flags(uint16_t mask) { write_u16(buf_ + 2, static_cast<uint16_t>(read_u16(buf_ + 2) | mask)); }
  void clear_flags(uint16_t mask) { write_u16(buf_ + 2, static_cast<uint16_t>(read_u16(buf_ + 2) & ~mask)); }
  void set_rcode(uint8_t rc) { buf_[3] = static_cast<uint8_t>((buf_[3] & 0xF0) | (rc & 0x0F)); }
  uint16_t count(Section s) const { return counts_[static_cast<int>(s) - 1]; }
  std::size_t size() const { return pos_; }
  const uint8_t* data() const { return buf_; }

 private:
  static constexpr std::size_t kMaxEntries = 96;
  static constexpr std::size_t kOptSize = 11;

  bool write_name(std::string_view name);
  bool write_rdata(uint16_t type, const uint8_t* rdata, uint16_t rdlen);
  bool write_record(std::string_view owner, uint16_t type, uint16_t klass, const uint8_t* rec, std::size_t& rec_len,
                    uint32_t ttl_cap);
  bool find_suffix(std::string_view suffix, uint16_t& where) const;
  void remember(std::size_t at);
  bool room(std::size_t n) const { return limit_ - pos_ >= n; }

  uint8_t* buf_ = nullptr;
  std::size_t limit_ = 0;
  std::size_t pos_ = 0;
  std::size_t question_end_ = 0;
  uint16_t counts_[3] = {0, 0, 0};
  uint16_t entries_[kMaxEntries];  // offsets of names (and their suffixes) already written
  std::size_t entry_count_ = 0;
  std::size_t question_entries_ = 0;
  bool opt_reserved_ = false;
  std::size_t opt_options_ = 0;  // option bytes reserved beside the OPT record
};

// Offset of the first domain name inside RDATA whose A/AAAA records belong in
// the additional section (NS, MX, SRV: RFC 1035 §3.3.9, RFC 2782), or -1.
int additional_name_offset(uint16_t type);

}  // namespace rpdns::dns
