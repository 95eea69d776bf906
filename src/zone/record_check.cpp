#include "zone/record_check.hpp"

#include <ldns/ldns.h>

#include <cstring>

#include "dns/wire.hpp"

namespace rpdns::zone {
namespace {

// Whether ldns knows the fields of `type`; if not, its RDATA is opaque.
const ldns_rr_descriptor* known_fields(uint16_t type) {
  const ldns_rr_descriptor* d = ldns_rr_descript(type);
  if (d == nullptr || d->_type != type || d->_name == nullptr) return nullptr;  // a placeholder entry
  bool opaque = ldns_rr_descriptor_maximum(d) == 1 && ldns_rr_descriptor_field_type(d, 0) == LDNS_RDF_TYPE_UNKNOWN;
  return opaque ? nullptr : d;
}

constexpr uint16_t kCert = 37;  // RFC 4398

struct RrPtr {
  ldns_rr* p = nullptr;
  ~RrPtr() { ldns_rr_free(p); }
};

// Generic RDATA of a type ldns knows must be RDATA of that type (RFC 3597 §5
// leaves no room for anything else): decoded field by field, printed, and
// read back by ldns's own rules for the type, it must come out the same
// bytes. That catches short or extra fields, compressed names and names
// over 255 bytes. Empty when it fits, else what is wrong.
std::string check_known_rdata(uint16_t type, const ldns_rr_descriptor* fields, std::span<const uint8_t> bytes) {
  if (bytes.empty()) return ldns_rr_descriptor_minimum(fields) == 0 ? "" : "it is empty";
  // A CERT of certificate type 0 (reserved, RFC 4398 §2.1) is refused here,
  // as ldns would refuse it below: ldns 1.8 leaks the field it made when it
  // does (ldns_str2rdf_cert_alg), which the IXFR fuzzer found.
  if (type == kCert && bytes.size() >= 2 && bytes[0] == 0 && bytes[1] == 0) return "its certificate type 0 is reserved";
  RrPtr decoded;
  decoded.p = ldns_rr_new();
  ldns_rr_set_owner(decoded.p, ldns_dname_new_frm_str("."));
  ldns_rr_set_type(decoded.p, static_cast<ldns_rr_type>(type));
  std::string wire(2, '\0');
  wire[0] = static_cast<char>(bytes.size() >> 8);
  wire[1] = static_cast<char>(bytes.size() & 0xff);
  wire.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::size_t pos = 0;
  ldns_status status = ldns_wire2rdf(decoded.p, reinterpret_cast<const uint8_t*>(wire.data()), wire.size(), &pos);
  if (status != LDNS_STATUS_OK) return ldns_get_errorstr_by_id(status);
  if (ldns_rr_rd_count(decoded.p) < ldns_rr_descriptor_minimum(fields)) return "it ends before its last field";
  char* printed = ldns_rr2str_fmt(ldns_output_format_nocomments, decoded.p);
  std::string text = printed == nullptr ? "" : printed;
  free(printed);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  // ldns falls back to the generic form for a field it cannot print.
  if (text.empty() || text.find(" \\#") != std::string::npos || text.find("\t\\#") != std::string::npos) {
    return "a field is not valid";
  }
  RrPtr reread;
  status = ldns_rr_new_frm_str(&reread.p, text.c_str(), 0, nullptr, nullptr);
  if (status != LDNS_STATUS_OK) return std::string("it does not read back: ") + ldns_get_errorstr_by_id(status);
  if (!names_within_limit(reread.p)) return "a name in it is longer than 255 bytes";
  ldns_buffer* again = ldns_buffer_new(bytes.size() + 16);
  bool same = ldns_rr_rdata2buffer_wire(again, reread.p) == LDNS_STATUS_OK &&
              std::span<const uint8_t>(ldns_buffer_begin(again), ldns_buffer_position(again)).size() == bytes.size() &&
              std::memcmp(ldns_buffer_begin(again), bytes.data(), bytes.size()) == 0;
  ldns_buffer_free(again);
  return same ? "" : "extra bytes, or a compressed name";
}

// Bytes of the uncompressed name at the start of `rdata`, or 0 when there
// is none: a compression pointer, a retired label type, a name over 255
// bytes, or one that runs past the RDATA.
std::size_t plain_name(std::span<const uint8_t> rdata) {
  std::size_t pos = 0;
  while (pos < rdata.size() && pos < dns::kMaxNameLength) {
    uint8_t l = rdata[pos];
    if (l > dns::kMaxLabelLength) return 0;
    pos += 1u + l;
    if (l == 0) return pos <= dns::kMaxNameLength ? pos : 0;
  }
  return 0;
}

// One or more <character-string>s (RFC 1035 §3.3) filling `rdata`.
bool strings_fill(std::span<const uint8_t> rdata) {
  std::size_t pos = 0;
  while (pos < rdata.size()) pos += 1u + rdata[pos];
  return !rdata.empty() && pos == rdata.size();
}

// The common types whose rules are simple enough to check without ldns
// (most of a large zone, so transfers stay fast); others go to ldns.
// "" when it fits, "?" when the type is not one of these.
std::string check_common(uint16_t type, std::span<const uint8_t> rdata) {
  switch (type) {
    case dns::type::A:
      return rdata.size() == 4 ? "" : "an A record is 4 bytes";
    case dns::type::AAAA:
      return rdata.size() == 16 ? "" : "an AAAA record is 16 bytes";
    case dns::type::NS:
    case dns::type::CNAME:
    case dns::type::PTR:
    case dns::type::DNAME: {
      std::size_t n = plain_name(rdata);
      return n != 0 && n == rdata.size() ? "" : "not one uncompressed name";
    }
    case dns::type::MX: {
      std::size_t n = rdata.size() > 2 ? plain_name(rdata.subspan(2)) : 0;
      return n != 0 && n + 2 == rdata.size() ? "" : "not a preference and one uncompressed name";
    }
    case dns::type::SOA: {
      std::size_t mname = plain_name(rdata);
      std::size_t rname = mname != 0 ? plain_name(rdata.subspan(mname)) : 0;
      return rname != 0 && mname + rname + 20 == rdata.size() ? "" : "not two names and five numbers";
    }
    case dns::type::TXT:
      return strings_fill(rdata) ? "" : "not a sequence of character-strings";
    default:
      return "?";
  }
}

}  // namespace

bool names_within_limit(const ldns_rr* rr) {
  for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* field = ldns_rr_rdf(rr, i);
    if (ldns_rdf_get_type(field) == LDNS_RDF_TYPE_DNAME && ldns_rdf_size(field) > dns::kMaxNameLength) return false;
  }
  return true;
}

bool known_type(uint16_t type) { return known_fields(type) != nullptr; }

std::string check_rdata(uint16_t type, std::span<const uint8_t> rdata) {
  if (std::string problem = check_common(type, rdata); problem != "?") return problem;
  const ldns_rr_descriptor* fields = known_fields(type);
  return fields == nullptr ? "" : check_known_rdata(type, fields, rdata);
}

std::string check_type(uint16_t type) {
  if (type == 0 || type == dns::type::OPT || (type >= 128 && type <= 255)) {
    return "type " + std::to_string(type) + " is a meta-type or a QTYPE, never zone data (RFC 6895 §3.1)";
  }
  return "";
}

std::string check_record_size(std::string_view owner, std::size_t rdata_size) {
  std::size_t size = owner.size() + 10 + rdata_size;  // uncompressed, RFC 1035 §4.1.3
  if (size <= kMaxRecordSize) return "";
  return "record of " + std::to_string(size) + " bytes fits in no DNS message (at most " +
         std::to_string(kMaxRecordSize) + " beside the header and a question)";
}

}  // namespace rpdns::zone
