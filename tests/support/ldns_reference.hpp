// The reference the fast record reader (zone/simple_record) is held to: the
// same entry read by ldns, as the loader's general path reads it. Shared by
// the unit test and the fuzz target.
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

// ldns redefines bool: its header comes after the standard ones.
#include <ldns/ldns.h>

#include "zone/simple_record.hpp"

namespace rpdns::test {

struct LdnsRecord {
  bool ok = false;  // parsed, and class IN
  rpdns::zone::SimpleRecord record;
};

inline ldns_rdf* wire_name_rdf(std::string_view wire) {
  if (wire.empty()) return nullptr;
  return ldns_dname_new_frm_data(static_cast<uint16_t>(wire.size()), wire.data());
}

inline LdnsRecord read_with_ldns(const std::string& entry, std::string_view origin, uint32_t default_ttl,
                                 std::string_view previous_owner) {
  LdnsRecord out;
  ldns_rdf* origin_rdf = wire_name_rdf(origin);
  ldns_rdf* prev = wire_name_rdf(previous_owner);
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, entry.c_str(), default_ttl, origin_rdf, &prev) == LDNS_STATUS_OK) {
    ldns_buffer* rdata = ldns_buffer_new(512);
    if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN && ldns_rr_rdata2buffer_wire(rdata, rr) == LDNS_STATUS_OK) {
      const ldns_rdf* owner = ldns_rr_owner(rr);
      out.record.owner.assign(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner));
      for (char& c : out.record.owner) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.record.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
      out.record.ttl = ldns_rr_ttl(rr);
      out.record.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(rdata)), ldns_buffer_position(rdata));
      out.ok = true;
    }
    ldns_buffer_free(rdata);
    ldns_rr_free(rr);
  }
  ldns_rdf_deep_free(prev);
  ldns_rdf_deep_free(origin_rdf);
  return out;
}

// Empty when the fast reader either declines `entry` or reads it exactly as
// ldns does; otherwise what differs.
inline std::string fast_reader_disagreement(const std::string& entry, std::string_view origin, uint32_t default_ttl,
                                            std::string_view previous_owner) {
  rpdns::zone::SimpleRecord fast;
  if (!rpdns::zone::read_simple_record(entry, origin, default_ttl, previous_owner, fast)) return {};
  LdnsRecord slow = read_with_ldns(entry, origin, default_ttl, previous_owner);
  if (!slow.ok) return "fast reader accepted what ldns rejects";
  if (fast.owner != slow.record.owner) return "owner differs";
  if (fast.type != slow.record.type) return "type differs";
  if (fast.ttl != slow.record.ttl) return "TTL differs";
  if (fast.rdata != slow.record.rdata) return "RDATA differs";
  return {};
}

}  // namespace rpdns::test
