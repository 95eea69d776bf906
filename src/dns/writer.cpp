#include "dns/writer.hpp"

#include <algorithm>
#include <cstring>

#include "dns/compression.hpp"
#include "dns/name.hpp"

namespace rpdns::dns {
namespace {

// Which names in an RDATA may be compressed: only those of the types RFC 1035
// defined (RFC 3597 §4). Returns how many leading names, after `fixed` bytes.
struct CompressLayout {
  unsigned fixed;  // bytes before the first name
  unsigned names;  // consecutive names to compress
};

CompressLayout compress_layout(uint16_t t) {
  switch (t) {
    case type::NS:
    case type::MD:
    case type::MF:
    case type::CNAME:
    case type::MB:
    case type::MG:
    case type::MR:
    case type::PTR:
      return {0, 1};
    case type::SOA:
    case type::MINFO:
      return {0, 2};
    case type::MX:
      return {2, 1};
    default:
      return {0, 0};
  }
}

}  // namespace

int additional_name_offset(uint16_t t) {
  switch (t) {
    case type::NS:
      return 0;
    case type::MX:
      return 2;
    case type::SRV:
      return 6;
    default:
      return -1;
  }
}

void ReplyWriter::begin(uint8_t* buffer, std::size_t limit, uint16_t id, uint16_t flags,
                        std::span<const uint8_t> question, bool reserve_opt, std::size_t opt_options) {
  buf_ = buffer;
  opt_reserved_ = reserve_opt;
  opt_options_ = reserve_opt ? opt_options : 0;
  limit_ = limit - (reserve_opt ? kOptSize + opt_options_ : 0);
  std::memset(buf_, 0, kHeaderSize);
  write_u16(buf_, id);
  write_u16(buf_ + 2, flags);
  pos_ = kHeaderSize;
  counts_[0] = counts_[1] = counts_[2] = 0;
  entry_count_ = 0;
  if (!question.empty()) {
    write_u16(buf_ + 4, 1);
    std::memcpy(buf_ + pos_, question.data(), question.size());
    for (std::size_t at = pos_; buf_[at] != 0; at += buf_[at] + 1u) remember(at);
    pos_ += question.size();
  }
  question_entries_ = entry_count_;
  question_end_ = pos_;
}

void ReplyWriter::remember(std::size_t at) {
  if (entry_count_ < kMaxEntries && at <= kMaxPointerTarget) {
    entries_[entry_count_++] = static_cast<uint16_t>(at);
  }
}

bool ReplyWriter::find_suffix(std::string_view suffix, uint16_t& where) const {
  for (std::size_t e = 0; e < entry_count_; ++e) {
    if (buf_[entries_[e]] == static_cast<uint8_t>(suffix[0]) && name_equals(buf_, pos_, entries_[e], suffix)) {
      where = entries_[e];
      return true;
    }
  }
  return false;
}

bool ReplyWriter::write_name(std::string_view name) {
  std::size_t at = 0;
  while (at < name.size() && name[at] != 0) {
    uint16_t target = 0;
    if (find_suffix(name.substr(at), target)) {
      if (!room(at + 2)) return false;
      std::size_t start = pos_;
      std::memcpy(buf_ + pos_, name.data(), at);
      pos_ += at;
      write_u16(buf_ + pos_, static_cast<uint16_t>(kPointerMark << 8 | target));
      pos_ += 2;
      for (std::size_t l = 0; l < at; l += static_cast<uint8_t>(name[l]) + 1u) remember(start + l);
      return true;
    }
    at += static_cast<uint8_t>(name[at]) + 1u;
  }
  if (!room(name.size())) return false;
  std::size_t start = pos_;
  std::memcpy(buf_ + pos_, name.data(), name.size());
  pos_ += name.size();
  for (std::size_t l = 0; name[l] != 0; l += static_cast<uint8_t>(name[l]) + 1u) remember(start + l);
  return true;
}

bool ReplyWriter::write_rdata(uint16_t t, const uint8_t* rdata, uint16_t rdlen) {
  CompressLayout layout = compress_layout(t);
  if (layout.names == 0 || layout.fixed > rdlen) {
    if (!room(rdlen)) return false;
    std::memcpy(buf_ + pos_, rdata, rdlen);
    pos_ += rdlen;
    return true;
  }
  if (!room(layout.fixed)) return false;
  std::memcpy(buf_ + pos_, rdata, layout.fixed);
  pos_ += layout.fixed;
  std::size_t in = layout.fixed;
  for (unsigned n = 0; n < layout.names && in < rdlen; ++n) {
    std::size_t len = name_length(rdata + in, rdlen - in);
    if (!write_name({reinterpret_cast<const char*>(rdata + in), len})) return false;
    in += len;
  }
  if (in < rdlen) {
    if (!room(rdlen - in)) return false;
    std::memcpy(buf_ + pos_, rdata + in, rdlen - in);
    pos_ += rdlen - in;
  }
  return true;
}

bool ReplyWriter::write_record(std::string_view owner, uint16_t t, uint16_t klass, const uint8_t* rec,
                               std::size_t& rec_len, uint32_t ttl_cap) {
  uint32_t ttl = read_u32(rec);
  uint16_t rdlen = read_u16(rec + 4);
  rec_len = 6u + rdlen;
  if (!write_name(owner) || !room(10)) return false;
  write_u16(buf_ + pos_, t);
  write_u16(buf_ + pos_ + 2, klass);
  write_u32(buf_ + pos_ + 4, ttl > ttl_cap ? ttl_cap : ttl);
  std::size_t rdlen_at = pos_ + 8;
  pos_ += 10;
  if (!write_rdata(t, rec + 6, rdlen)) return false;
  write_u16(buf_ + rdlen_at, static_cast<uint16_t>(pos_ - rdlen_at - 2));
  return true;
}

bool ReplyWriter::put_rrset(Section section, std::string_view owner, uint16_t klass, const RRsetWire& rrset,
                            uint32_t ttl_cap) {
  std::size_t saved_pos = pos_;
  std::size_t saved_entries = entry_count_;
  const uint8_t* rec = rrset.records.data();
  for (unsigned i = 0; i < rrset.count; ++i) {
    std::size_t rec_len = 0;
    if (!write_record(owner, rrset.type, klass, rec, rec_len, ttl_cap)) {
      pos_ = saved_pos;
      entry_count_ = saved_entries;
      return false;
    }
    rec += rec_len;
  }
  auto index = static_cast<int>(section) - 1;  // the reply writes no questions here
  counts_[index] = static_cast<uint16_t>(counts_[index] + rrset.count);
  write_u16(buf_ + 6 + 2 * index, counts_[index]);
  return true;
}

void ReplyWriter::put_opt(uint16_t udp_size, uint16_t ext_rcode, bool do_bit, int ede, std::string_view nsid,
                          std::span<const uint8_t> cookie, int64_t expire) {
  if (!opt_reserved_) return;
  constexpr std::size_t kEdeSize = 6;     // option code, length, INFO-CODE
  constexpr std::size_t kExpireSize = 8;  // option code, length, seconds
  limit_ += kOptSize + opt_options_;
  // Options no room was reserved for are left out.
  if (cookie.size() + kEdnsOptionHeader > opt_options_) cookie = {};
  std::size_t cookie_size = cookie.empty() ? 0 : kEdnsOptionHeader + cookie.size();
  if (cookie_size + nsid.size() + kEdnsOptionHeader > opt_options_) nsid = {};
  std::size_t nsid_size = nsid.empty() ? 0 : kEdnsOptionHeader + nsid.size();
  bool with_ede = ede != kNoEde && room(kOptSize + cookie_size + nsid_size + kEdeSize);
  std::size_t ede_size = with_ede ? kEdeSize : 0;
  bool with_expire = expire >= 0 && room(kOptSize + cookie_size + nsid_size + ede_size + kExpireSize);
  uint8_t* p = buf_ + pos_;
  p[0] = 0;  // root owner
  write_u16(p + 1, type::OPT);
  write_u16(p + 3, udp_size);
  p[5] = static_cast<uint8_t>(ext_rcode >> 4);  // upper 8 bits of the 12-bit rcode
  p[6] = 0;                                     // version 0
  write_u16(p + 7, do_bit ? 0x8000 : 0);
  write_u16(p + 9, static_cast<uint16_t>(cookie_size + nsid_size + ede_size + (with_expire ? kExpireSize : 0)));
  pos_ += kOptSize;
  if (!cookie.empty()) {
    write_u16(buf_ + pos_, edns_option::COOKIE);
    write_u16(buf_ + pos_ + 2, static_cast<uint16_t>(cookie.size()));
    std::memcpy(buf_ + pos_ + kEdnsOptionHeader, cookie.data(), cookie.size());
    pos_ += cookie_size;
  }
  if (!nsid.empty()) {
    write_u16(buf_ + pos_, edns_option::NSID);
    write_u16(buf_ + pos_ + 2, static_cast<uint16_t>(nsid.size()));
    std::memcpy(buf_ + pos_ + kEdnsOptionHeader, nsid.data(), nsid.size());
    pos_ += nsid_size;
  }
  if (with_ede) {
    write_u16(buf_ + pos_, edns_option::EDE);
    write_u16(buf_ + pos_ + 2, 2);
    write_u16(buf_ + pos_ + 4, static_cast<uint16_t>(ede));
    pos_ += kEdeSize;
  }
  if (with_expire) {
    write_u16(buf_ + pos_, edns_option::EXPIRE);
    write_u16(buf_ + pos_ + 2, 4);
    write_u32(buf_ + pos_ + 4, static_cast<uint32_t>(std::min<int64_t>(expire, UINT32_MAX)));
    pos_ += kExpireSize;
  }
  opt_reserved_ = false;
  counts_[2] = static_cast<uint16_t>(counts_[2] + 1);
  write_u16(buf_ + 10, counts_[2]);
  set_rcode(static_cast<uint8_t>(ext_rcode & 0x0F));
}

void ReplyWriter::restore(const Mark& m) {
  pos_ = m.pos;
  entry_count_ = m.entries;
  for (int i = 0; i < 3; ++i) {
    counts_[i] = m.counts[i];
    write_u16(buf_ + 6 + 2 * i, counts_[i]);
  }
}

void ReplyWriter::truncate() {
  pos_ = question_end_;
  entry_count_ = question_entries_;
  counts_[0] = counts_[1] = counts_[2] = 0;
  std::memset(buf_ + 6, 0, 6);
  set_flags(flag::TC);
}

}  // namespace rpdns::dns
