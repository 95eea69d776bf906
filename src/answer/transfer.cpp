#include "answer/transfer.hpp"

#include <algorithm>
#include <ctime>

#include "answer/envelope.hpp"

namespace rpdns::answer {
namespace {

// RFC 7314 §3: how long a copy of `zone` taken now stays valid: a
// primary's SOA expire, a secondary's time left. -1 (no option) once a
// secondary's own copy has expired.
int64_t zone_expire(const zone::Zone& zone, const zone::ZoneSet& zones) {
  if (const zone::SecondaryState* s = zones.secondary(zone)) {
    if (s->expired) return -1;
    return std::max<int64_t>(0, s->expires_at - static_cast<int64_t>(std::time(nullptr)));
  }
  auto rdata = zone.soa->first_rdata();
  return dns::SoaView{rdata.data(), rdata.size()}.expire();
}

}  // namespace

// AXFR (RFC 5936) and IXFR (RFC 1995) for clients on the zone's access
// list. IXFR is answered with the SOA alone when the client is current, or
// over UDP (RFC 1995 §2: "try TCP"); otherwise with the whole zone.
uint8_t transfer(const dns::Query& q, const Snapshot& snapshot, bool over_tcp, const sockaddr* peer,
                 dns::ReplyWriter& w, Reply& outcome) {
  const zone::ZoneSet& zones = snapshot.zones;
  const zone::Zone* zone = zones.find_zone(q.qname);
  if (zone == nullptr || q.qname.labels != zone->labels) return dns::rcode::NOTAUTH;  // RFC 2845 §1.7: no zone of ours
  if (!snapshot.access.transfer_allowed(zone->origin, peer, signed_by(outcome))) return dns::rcode::REFUSED;
  if (zones.expired(*zone)) return dns::rcode::SERVFAIL;  // no copy to give
  bool current = q.has_ixfr_serial && !dns::serial_greater(zone->serial, q.ixfr_serial);
  if (q.qtype == dns::type::AXFR || (over_tcp && !current)) {
    outcome.transfer = zone;
    outcome.question_end = dns::kHeaderSize + q.question_len;  // for the TransferWriter
    if (q.edns_expire) outcome.transfer_expire = zone_expire(*zone, zones);
    return dns::rcode::NOERROR;
  }
  w.set_flags(dns::flag::AA);
  if (!w.put_rrset(dns::Section::answer, zone->origin, dns::klass::IN, zone->soa->wire())) w.truncate();
  return dns::rcode::NOERROR;
}

int64_t expire_seconds(const dns::Query& q, const zone::ZoneSet& zones, uint16_t rcode) {
  if (!q.edns_expire || rcode != dns::rcode::NOERROR || (q.qtype != dns::type::SOA && q.qtype != dns::type::IXFR))
    return -1;
  const zone::Zone* zone = zones.find_zone(q.qname);
  if (zone == nullptr || zone->soa == nullptr || q.qname.labels != zone->labels) return -1;
  return zone_expire(*zone, zones);
}

}  // namespace rpdns::answer
