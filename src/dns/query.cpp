#include "dns/query.hpp"

#include <cstring>

#include "dns/compression.hpp"

namespace rpdns::dns {
namespace {

constexpr std::size_t kClientCookie = 8;
constexpr uint16_t kTypeTsig = 250;  // RFC 8945 §4.2    // RFC 7873 §4.1; a server cookie is 8 to 32 bytes (§4.2)

class Reader {
 public:
  Reader(const uint8_t* p, std::size_t n) : packet_(p), len_(n) {}

  std::size_t pos() const { return pos_; }
  bool has(std::size_t n) const { return len_ - pos_ >= n; }
  const uint8_t* at(std::size_t off) const { return packet_ + off; }
  uint16_t u16() {
    uint16_t v = read_u16(packet_ + pos_);
    pos_ += 2;
    return v;
  }
  uint32_t u32() {
    uint32_t v = read_u32(packet_ + pos_);
    pos_ += 4;
    return v;
  }
  void skip(std::size_t n) { pos_ += n; }

  // The question name: RFC 1035 labels only. A pointer could only point into
  // the header here, so one is malformed.
  bool question_name(Name& out) {
    std::size_t out_len = 0;
    unsigned labels = 0;
    while (true) {
      if (!has(1)) return false;
      uint8_t len = packet_[pos_];
      if (len == 0) break;
      if (len > kMaxLabelLength || !has(1u + len) || labels >= kMaxLabels) return false;
      if (out_len + 1u + len + 1u > kMaxNameLength) return false;
      out.offsets[labels++] = static_cast<uint8_t>(out_len);
      out.data[out_len++] = len;
      std::memcpy(out.data + out_len, packet_ + pos_ + 1, len);
      out_len += len;
      pos_ += 1u + len;
    }
    out.data[out_len++] = 0;
    lowercase(out.data, out_len);
    ++pos_;
    out.len = static_cast<uint8_t>(out_len);
    out.labels = static_cast<uint8_t>(labels);
    return true;
  }

  // Steps over any name, compressed or not; `is_root` when it is the root
  // label alone, not compressed.
  bool skip_name(bool& is_root) {
    LabelWalker walker(packet_, len_, pos_);
    if (!walker.skip()) return false;
    is_root = walker.end() == pos_ + 1;
    pos_ = walker.end();
    return true;
  }

 private:
  const uint8_t* packet_;
  std::size_t len_;
  std::size_t pos_ = 0;
};

bool parse_opt(Reader& r, uint32_t ttl, uint16_t rdlen, uint16_t udp_size, Query& out) {
  out.has_edns = true;
  out.edns_udp_size = udp_size;
  out.edns_version = static_cast<uint8_t>(ttl >> 16);
  out.edns_do = (ttl & 0x8000) != 0;
  // Options are ignored, but they must fit the RDATA exactly (RFC 6891 §6.1.2).
  std::size_t end = r.pos() + rdlen;
  while (r.pos() < end) {
    if (end - r.pos() < 4) return false;
    uint16_t code = r.u16();
    uint16_t opt_len = r.u16();
    if (code == edns_option::NSID) out.edns_nsid = true;
    if (code == edns_option::EXPIRE) out.edns_expire = true;
    if (end - r.pos() < opt_len) return false;
    // Only the first COOKIE counts; any later one is ignored.
    if (code == edns_option::COOKIE && out.cookie == nullptr && !out.cookie_malformed) {
      bool well_formed = opt_len == kClientCookie || (opt_len >= kClientCookie + 8 && opt_len <= kClientCookie + 32);
      if (well_formed) {
        out.cookie = r.at(r.pos());
        out.cookie_len = opt_len;
      } else {
        out.cookie_malformed = true;
      }
    }
    r.skip(opt_len);
  }
  return true;
}

// The serial of a SOA record's RDATA: two names, then the serial.
bool read_soa_serial(Reader& r, uint16_t rdlen, uint32_t& serial) {
  std::size_t end = r.pos() + rdlen;
  bool root = false;
  if (!r.skip_name(root) || !r.skip_name(root) || r.pos() + 20 != end) return false;
  serial = r.u32();
  r.skip(16);
  return true;
}

// Answer and authority records of a request are stepped over, but for the
// SOA of an IXFR (RFC 1995 §3) or a NOTIFY; the additional section is
// searched for the one allowed OPT record.
bool parse_records(Reader& r, uint16_t count, Section section, Query& out, std::size_t len) {
  bool additional = section == Section::additional;
  for (unsigned i = 0; i < count; ++i) {
    bool owner_is_root = false;
    std::size_t start = r.pos();
    if (!r.skip_name(owner_is_root) || !r.has(10)) return false;
    uint16_t type = r.u16();
    uint16_t klass = r.u16();
    uint32_t ttl = r.u32();
    uint16_t rdlen = r.u16();
    if (!r.has(rdlen)) return false;
    if (type == type::SOA && out.qtype == type::IXFR && !additional) {
      if (!read_soa_serial(r, rdlen, out.ixfr_serial)) return false;
      out.has_ixfr_serial = true;
      continue;
    }
    // The SOA a NOTIFY may carry (RFC 1996 §3.7) is the zone's: its owner
    // is the question's name, spelled out or compressed.
    if (type == type::SOA && out.opcode == opcode::NOTIFY && section == Section::answer && out.has_question &&
        name_equals(r.at(0), len, start, out.qname.view())) {
      if (!read_soa_serial(r, rdlen, out.notify_serial)) return false;
      out.has_notify_serial = true;
      continue;
    }
    if (type == kTypeTsig) {
      // RFC 8945 §5.1: only as the very last record; read in answer.cpp.
      if (!additional || i + 1 != count) return false;
      out.tsig_offset = start;
    }
    if (type != type::OPT) {
      r.skip(rdlen);
      continue;
    }
    // RFC 6891 §6.1.1: only one OPT, only in the additional section, owner root.
    if (!additional || out.has_edns || !owner_is_root) return false;
    if (!parse_opt(r, ttl, rdlen, klass, out)) return false;
  }
  return true;
}

}  // namespace

ParseStatus parse_query(const uint8_t* packet, std::size_t len, Query& out) {
  if (len < kHeaderSize) return ParseStatus::drop;
  Reader r(packet, len);
  out.id = r.u16();
  out.flags = r.u16();
  out.opcode = static_cast<uint8_t>((out.flags >> 11) & 0x0F);
  out.has_question = false;
  out.has_edns = false;
  out.edns_nsid = false;
  out.edns_expire = false;
  out.has_ixfr_serial = false;
  out.has_notify_serial = false;
  out.qtype = 0;
  out.cookie = nullptr;
  out.cookie_len = 0;
  out.cookie_malformed = false;
  out.tsig_offset = 0;
  if (out.flags & flag::QR) return ParseStatus::drop;
  uint16_t qdcount = r.u16();
  uint16_t ancount = r.u16();
  uint16_t nscount = r.u16();
  uint16_t arcount = r.u16();
  // RFC 8906 §8.2.8: an opcode we do not implement gets NOTIMP whatever
  // its counts say (DSO, RFC 8490, sends no question at all). A QUERY
  // with none may still be a request for a cookie (RFC 7873 §5.4).
  bool cookie_request = qdcount == 0 && out.opcode == opcode::QUERY;
  if (qdcount != 1 && !cookie_request) return out.opcode == opcode::QUERY ? ParseStatus::formerr : ParseStatus::ok;

  if (qdcount == 1) {
    std::size_t question_start = r.pos();
    if (!r.question_name(out.qname) || !r.has(4)) return ParseStatus::formerr;
    out.qtype = r.u16();
    out.qclass = r.u16();
    out.question = r.at(question_start);
    out.question_len = r.pos() - question_start;
    out.has_question = true;
  }

  if (!parse_records(r, ancount, Section::answer, out, len) ||
      !parse_records(r, nscount, Section::authority, out, len) ||
      !parse_records(r, arcount, Section::additional, out, len)) {
    // has_edns stays as found: a FORMERR caused by a bad OPT still carries
    // an OPT (RFC 6891 §7).
    return ParseStatus::formerr;
  }
  // Bytes after the last record mean the counts lie (Knot DNS answers FORMERR too).
  if (r.has(1)) return ParseStatus::formerr;
  if (cookie_request && out.cookie == nullptr) return ParseStatus::formerr;
  return ParseStatus::ok;
}

}  // namespace rpdns::dns
