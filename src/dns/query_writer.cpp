#include "dns/query_writer.hpp"

#include <cstring>

namespace rpdns::dns {
namespace {

constexpr std::size_t kOptSize = 11;  // an OPT record without options (RFC 6891 §6.1.2)

void append_opt(std::vector<uint8_t>& q, bool expire) {
  std::size_t at = q.size();
  q.resize(at + kOptSize + (expire ? kEdnsOptionHeader : 0), 0);
  uint8_t* opt = q.data() + at;  // owner: the root, already 0
  write_u16(opt + 1, type::OPT);
  write_u16(opt + 3, kDefaultEdnsPayload);
  if (expire) {
    write_u16(opt + 9, kEdnsOptionHeader);     // RDLENGTH
    write_u16(opt + 11, edns_option::EXPIRE);  // and an OPTION-LENGTH of 0
  }
  write_u16(q.data() + 10, 1);  // ARCOUNT
}

// The SOA of an IXFR request: the name uncompressed, TTL 0.
void append_soa(std::vector<uint8_t>& q, std::string_view owner, std::span<const uint8_t> rdata) {
  std::size_t at = q.size();
  q.resize(at + owner.size() + 10 + rdata.size(), 0);
  std::memcpy(q.data() + at, owner.data(), owner.size());
  uint8_t* fixed = q.data() + at + owner.size();
  write_u16(fixed, type::SOA);
  write_u16(fixed + 2, klass::IN);
  write_u16(fixed + 8, static_cast<uint16_t>(rdata.size()));
  std::memcpy(fixed + 10, rdata.data(), rdata.size());
  write_u16(q.data() + 8, 1);  // NSCOUNT
}

}  // namespace

std::vector<uint8_t> write_query(const OutgoingQuery& q) {
  std::vector<uint8_t> out(kHeaderSize + q.qname.size() + 4, 0);
  write_u16(out.data(), q.id);
  write_u16(out.data() + 2, static_cast<uint16_t>(q.opcode << 11 | (q.aa ? flag::AA : 0)));
  write_u16(out.data() + 4, 1);  // QDCOUNT
  std::memcpy(out.data() + kHeaderSize, q.qname.data(), q.qname.size());
  write_u16(out.data() + kHeaderSize + q.qname.size(), q.qtype);
  write_u16(out.data() + kHeaderSize + q.qname.size() + 2, klass::IN);
  if (!q.authority_soa.empty()) append_soa(out, q.qname, q.authority_soa);
  if (q.edns || q.expire_option) append_opt(out, q.expire_option);
  return out;
}

std::vector<uint8_t> sign_query(std::vector<uint8_t>& message, const tsig::Key& key, uint64_t now) {
  std::size_t len = message.size();
  message.resize(len + tsig::record_size(key));
  std::size_t signed_len = tsig::sign(message.data(), len, message.size(), key, {}, now);
  tsig::Record record;
  bool present = false;
  if (signed_len == 0 || !tsig::find(message.data(), signed_len, record, present)) {
    message.resize(len);
    return {};
  }
  message.resize(signed_len);
  return {record.mac.begin(), record.mac.begin() + static_cast<std::ptrdiff_t>(record.mac_len)};
}

}  // namespace rpdns::dns
