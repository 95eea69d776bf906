#include "answer/chaos.hpp"

#include <algorithm>
#include <cstring>

namespace rpdns::answer {
namespace {

// A name a server answers with one of its configured strings.
struct ChaosName {
  std::string wire;                  // canonical wire form
  const std::string Options::*text;  // the Options field that answers it
};

ChaosName chaos_name(std::string_view text, const std::string Options::*field) {
  ChaosName name{{}, field};
  if (!dns::name_from_text(text, name.wire)) name.wire.clear();  // never: the names below are well formed
  return name;
}

// RFC 4892 §2: id.server and hostname.bind name the server, version.server
// and version.bind its software. Built once at start, before any query,
// so that the query path does not allocate.
const ChaosName kChaosNames[] = {
    chaos_name("id.server", &Options::identity),
    chaos_name("hostname.bind", &Options::identity),
    chaos_name("version.server", &Options::version),
    chaos_name("version.bind", &Options::version),
};

}  // namespace

// RFC 4892: the server's identity and version as CHAOS TXT, when configured.
uint8_t answer_chaos(const dns::Query& q, const Options& options, dns::ReplyWriter& w) {
  const std::string* text = nullptr;
  for (const ChaosName& name : kChaosNames) {
    if (q.qname.view() == name.wire) {
      text = &(options.*name.text);
      break;
    }
  }
  bool txt = q.qtype == dns::type::TXT || q.qtype == dns::type::ANY;
  if (text == nullptr || text->empty() || !txt) return dns::rcode::REFUSED;
  std::size_t len = std::min<std::size_t>(text->size(), 255);
  uint8_t record[6 + 1 + 255];
  dns::write_u32(record, 0);
  dns::write_u16(record + 4, static_cast<uint16_t>(len + 1));
  record[6] = static_cast<uint8_t>(len);
  std::memcpy(record + 7, text->data(), len);
  dns::RRsetWire rrset{dns::type::TXT, 1, {record, 7 + len}};
  if (!w.put_rrset(dns::Section::answer, q.qname.view(), dns::klass::CH, rrset)) w.truncate();
  return dns::rcode::NOERROR;
}

}  // namespace rpdns::answer
