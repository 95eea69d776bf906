// Replies decoded with ldns, a codec independent of rpdns's own: the
// decoded packet, owned, and its records as text.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

// After the standard headers: ldns's headers can redefine `bool`.
#include <ldns/ldns.h>

namespace rpdns::test {

struct PacketDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketDeleter>;

// Null when ldns cannot decode the message.
inline Packet decode(const uint8_t* data, std::size_t size) {
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK) return nullptr;
  return Packet(pkt);
}

inline Packet decode(const std::vector<uint8_t>& wire) { return decode(wire.data(), wire.size()); }

inline std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// One field (a name, an address, a number) as ldns prints it.
inline std::string rdf_text(const ldns_rdf* rdf) {
  char* s = ldns_rdf2str(rdf);
  std::string out = s != nullptr ? s : "";
  free(s);
  return out;
}

// One record as ldns prints it, tab-separated, with its newline.
inline std::string rr_text(const ldns_rr* rr) {
  char* s = ldns_rr2str(rr);
  std::string out = s != nullptr ? s : "";
  free(s);
  return out;
}

// Text of every RR in a section, one per line, as ldns prints it.
inline std::string section_text(const ldns_rr_list* list) {
  std::string out;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) out += rr_text(ldns_rr_list_rr(list, i));
  return out;
}

// How many records of `type` a section holds.
inline std::size_t count_type(const ldns_rr_list* list, ldns_rr_type type) {
  std::size_t n = 0;
  for (std::size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i) {
    if (ldns_rr_get_type(ldns_rr_list_rr(list, i)) == type) ++n;
  }
  return n;
}

}  // namespace rpdns::test
