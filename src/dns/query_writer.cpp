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

}  // namespace

std::vector<uint8_t> write_query(const OutgoingQuery& q) {
  std::vector<uint8_t> out(kHeaderSize + q.qname.size() + 4, 0);
  write_u16(out.data(), q.id);
  write_u16(out.data() + 2, static_cast<uint16_t>(q.opcode << 11 | (q.aa ? flag::AA : 0)));
  write_u16(out.data() + 4, 1);  // QDCOUNT
  std::memcpy(out.data() + kHeaderSize, q.qname.data(), q.qname.size());
  write_u16(out.data() + kHeaderSize + q.qname.size(), q.qtype);
  write_u16(out.data() + kHeaderSize + q.qname.size() + 2, klass::IN);
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
