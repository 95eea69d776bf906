#include "dns/message.hpp"

#include <cstring>
#include <iterator>
#include <string_view>

#include "dns/compression.hpp"
#include "dns/name.hpp"

namespace rpdns::dns {
namespace {

// The RDATA layouts of the types whose names a sender may compress
// (RFC 3597 §4), one field a word: N a name, S a <character-string>, R the
// rest as it is, a number that many bytes as they are.
struct Layout {
  uint16_t type;
  std::string_view fields;
};
constexpr Layout kLayouts[] = {
    {type::NS, "N"},
    {type::MD, "N"},
    {type::MF, "N"},
    {type::CNAME, "N"},
    {type::SOA, "N N 20"},
    {type::MB, "N"},
    {type::MG, "N"},
    {type::MR, "N"},
    {type::PTR, "N"},
    {type::MINFO, "N N"},
    {type::MX, "2 N"},
    {17 /* RP */, "N N"},
    {18 /* AFSDB */, "2 N"},
    {21 /* RT */, "2 N"},
    {24 /* SIG */, "18 N R"},
    {26 /* PX */, "2 N N"},
    {30 /* NXT */, "N R"},
    {type::SRV, "6 N"},
    {35 /* NAPTR */, "4 S S S N"},
};

const Layout* layout_of(uint16_t t) {
  for (const auto& l : kLayouts) {
    if (l.type == t) return &l;
  }
  return nullptr;
}

// Copies one field of `layout` from the RDATA at `pos` (ending at `end`) to `out`.
bool expand_field(std::string_view field, const uint8_t* m, std::size_t len, std::size_t& pos, std::size_t end,
                  std::vector<uint8_t>& out) {
  if (field == "N") {
    uint8_t name[kMaxNameLength];
    std::size_t name_len = 0;
    if (!read_name(m, len, pos, name, name_len, false) || pos > end) return false;
    out.insert(out.end(), name, name + name_len);
    return true;
  }
  std::size_t size = 0;
  if (field == "R") {
    size = end - pos;
  } else if (field == "S") {
    if (pos >= end) return false;
    size = 1u + m[pos];
  } else {
    for (char c : field) size = size * 10 + static_cast<std::size_t>(c - '0');
  }
  if (end - pos < size) return false;
  out.insert(out.end(), m + pos, m + pos + size);
  pos += size;
  return true;
}

}  // namespace

std::string rcode_text(unsigned rcode) {
  static constexpr const char* kNames[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                           "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  return rcode < std::size(kNames) ? kNames[rcode] : "RCODE " + std::to_string(rcode);
}

bool read_name(const uint8_t* m, std::size_t len, std::size_t& pos, uint8_t* out, std::size_t& out_len, bool lower) {
  LabelWalker walker(m, len, pos);
  out_len = 0;
  while (walker.next()) {
    const uint8_t* label = walker.label();
    std::memcpy(out + out_len, label, 1u + label[0]);
    out_len += 1u + label[0];
  }
  if (!walker.ok()) return false;
  out[out_len++] = 0;
  pos = walker.end();
  if (lower) lowercase(out, out_len);
  return true;
}

MessageReader::MessageReader(const uint8_t* message, std::size_t len) : m_(message), len_(len) {
  if (len < kHeaderSize) {
    problem_ = "shorter than a DNS header";
    return;
  }
  header_.id = read_u16(m_);
  header_.flags = read_u16(m_ + 2);
  header_.qdcount = read_u16(m_ + 4);
  header_.ancount = read_u16(m_ + 6);
  header_.nscount = read_u16(m_ + 8);
  header_.arcount = read_u16(m_ + 10);
  total_ = 0u + header_.qdcount + header_.ancount + header_.nscount + header_.arcount;
}

Section MessageReader::section_of(unsigned index) const {
  if (index < header_.qdcount) return Section::question;
  index -= header_.qdcount;
  if (index < header_.ancount) return Section::answer;
  index -= header_.ancount;
  return index < header_.nscount ? Section::authority : Section::additional;
}

bool MessageReader::question(WireQuestion& q) {
  if (problem_ != nullptr || read_ >= header_.qdcount) return false;
  if (!read_name(m_, len_, pos_, q.name, q.name_len)) return fail("a malformed question name");
  if (len_ - pos_ < 4) return fail("a question cut short");
  q.type = read_u16(m_ + pos_);
  q.klass = read_u16(m_ + pos_ + 2);
  pos_ += 4;
  ++read_;
  return true;
}

bool MessageReader::record(WireRecord& r) {
  WireQuestion skipped;
  while (question(skipped)) {
  }
  if (problem_ != nullptr || read_ >= total_) return false;
  if (!read_name(m_, len_, pos_, r.owner, r.owner_len)) return fail("a malformed owner name");
  if (len_ - pos_ < 10) return fail("a record cut short");
  r.type = read_u16(m_ + pos_);
  r.klass = read_u16(m_ + pos_ + 2);
  r.ttl = read_u32(m_ + pos_ + 4);
  r.rdata_len = read_u16(m_ + pos_ + 8);
  pos_ += 10;
  if (len_ - pos_ < r.rdata_len) return fail("RDATA runs past the end of the message");
  r.rdata_pos = pos_;
  pos_ += r.rdata_len;
  r.section = section_of(read_);
  ++read_;
  r.last = read_ == total_;
  return true;
}

bool expand_rdata(const MessageReader& message, const WireRecord& r, std::vector<uint8_t>& out) {
  const uint8_t* m = message.data();
  const Layout* layout = layout_of(r.type);
  if (layout == nullptr) {
    out.insert(out.end(), m + r.rdata_pos, m + r.rdata_pos + r.rdata_len);
    return true;
  }
  std::size_t start = out.size();
  std::size_t pos = r.rdata_pos;
  std::size_t end = r.rdata_pos + r.rdata_len;
  std::string_view fields = layout->fields;
  while (!fields.empty()) {
    std::size_t space = fields.find(' ');
    if (!expand_field(fields.substr(0, space), m, message.size(), pos, end, out)) break;
    fields = space == std::string_view::npos ? std::string_view{} : fields.substr(space + 1);
  }
  if (fields.empty() && pos == end) return true;
  out.resize(start);
  return false;
}

}  // namespace rpdns::dns
