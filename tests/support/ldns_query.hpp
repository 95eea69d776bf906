// Queries written with ldns, a codec independent of rpdns's own, as the
// bytes sent to a server.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

// After the standard headers: ldns's headers can redefine `bool`.
#include <ldns/ldns.h>

namespace rpdns::test {

// Encodes `pkt` and frees it; empty when ldns cannot encode it.
inline std::vector<uint8_t> to_wire_and_free(ldns_pkt* pkt) {
  uint8_t* data = nullptr;
  size_t size = 0;
  std::vector<uint8_t> out;
  if (ldns_pkt2wire(&data, pkt, &size) == LDNS_STATUS_OK) out.assign(data, data + size);
  free(data);
  ldns_pkt_free(pkt);
  return out;
}

// A query for `name` and `type` with the header flags `flags` (LDNS_RD or
// 0); the caller owns it.
inline ldns_pkt* new_query(const std::string& name, ldns_rr_type type, ldns_rr_class klass = LDNS_RR_CLASS_IN,
                           uint16_t flags = 0) {
  return ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), type, klass, flags);
}

// Gives `pkt` an OPT record (RFC 6891): `payload` octets, DO as given, no options.
inline void set_edns(ldns_pkt* pkt, uint16_t payload, bool do_bit = false) {
  ldns_pkt_set_edns_udp_size(pkt, payload);
  ldns_pkt_set_edns_do(pkt, do_bit);
  ldns_pkt_set_edns_data(pkt, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 0, ""));
}

// A query (RD clear) for name/type, optionally with EDNS (4096 octets, DO clear).
inline std::vector<uint8_t> make_query(const std::string& name, ldns_rr_type type, bool edns = false,
                                       uint16_t id = 4242) {
  ldns_pkt* pkt = new_query(name, type);
  ldns_pkt_set_id(pkt, id);
  if (edns) set_edns(pkt, 4096);
  return to_wire_and_free(pkt);
}

}  // namespace rpdns::test
