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

// The changes from `serial` to the zone's version; empty when its journal
// does not reach back that far.
std::span<const zone::ChangePtr> changes_since(const zone::Zone& zone, uint32_t serial) {
  if (zone.journal == nullptr || zone.journal->last_serial() != zone.serial) return {};
  return zone.journal->since(serial);
}

// RFC 1995 §4: the new SOA, then for each change the old SOA, the records
// removed, the new SOA and the records added, and the new SOA last. False
// when it does not fit `w`.
bool write_changes(const zone::Zone& zone, std::span<const zone::ChangePtr> changes, dns::ReplyWriter& w) {
  auto put = [&w](const zone::ChangedRecord& r) {
    return w.put_rrset(dns::Section::answer, r.owner, dns::klass::IN, r.wire());
  };
  if (!w.put_rrset(dns::Section::answer, zone.origin, dns::klass::IN, zone.soa->wire())) return false;
  for (const auto& change : changes) {
    for (const zone::RecordList* list : {&change->removed, &change->added}) {
      auto bytes = list->data();
      for (std::size_t at = 0; at < bytes.size();) {
        if (!put(zone::RecordList::read(bytes, at))) return false;
      }
    }
  }
  return w.put_rrset(dns::Section::answer, zone.origin, dns::klass::IN, zone.soa->wire());
}

// An IXFR over UDP (RFC 1995 §2): the whole answer when it fits, else the
// SOA alone, which tells the client to ask again over TCP.
void ixfr_over_udp(const zone::Zone& zone, std::span<const zone::ChangePtr> changes, dns::ReplyWriter& w) {
  auto start = w.mark();
  if (!changes.empty() && write_changes(zone, changes, w)) return;
  w.restore(start);
  if (!w.put_rrset(dns::Section::answer, zone.origin, dns::klass::IN, zone.soa->wire())) w.truncate();
}

}  // namespace

// AXFR (RFC 5936) and IXFR (RFC 1995) for clients on the zone's access
// list. An IXFR is answered with the SOA alone when the client is current,
// with the changes since its serial when the journal has them, and else
// with the whole zone over TCP (RFC 1995 §4) or the SOA over UDP.
uint8_t transfer(const dns::Query& q, const Snapshot& snapshot, bool over_tcp, const sockaddr* peer,
                 dns::ReplyWriter& w, Reply& outcome) {
  const zone::ZoneSet& zones = snapshot.zones;
  const zone::Zone* zone = zones.find_zone(q.qname);
  if (zone == nullptr || q.qname.labels != zone->labels) return dns::rcode::NOTAUTH;  // RFC 2845 §1.7: no zone of ours
  if (!snapshot.access.transfer_allowed(zone->origin, peer, signed_by(outcome))) return dns::rcode::REFUSED;
  if (zones.expired(*zone)) return dns::rcode::SERVFAIL;  // no copy to give
  bool current = q.has_ixfr_serial && !dns::serial_greater(zone->serial, q.ixfr_serial);
  auto changes =
      q.qtype == dns::type::IXFR && !current ? changes_since(*zone, q.ixfr_serial) : std::span<const zone::ChangePtr>{};
  if (q.qtype == dns::type::AXFR || (over_tcp && !current)) {
    outcome.transfer = zone;
    outcome.changes = changes;
    outcome.question_end = dns::kHeaderSize + q.question_len;  // for the TransferWriter
    if (q.edns_expire) outcome.transfer_expire = zone_expire(*zone, zones);
    return dns::rcode::NOERROR;
  }
  w.set_flags(dns::flag::AA);
  ixfr_over_udp(*zone, changes, w);
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
