#include "answer/notify.hpp"

#include "answer/envelope.hpp"

namespace rpdns::answer {

// NOTIFY (RFC 1996 §3): accepted for a secondary zone of ours from one of
// its primaries, with AA and the question echoed (§3.7); the caller starts
// the refresh. From anyone else REFUSED; for a name that is no zone apex of
// ours NOTAUTH, as for transfers. §3.7: its QTYPE is SOA; any other is
// FORMERR and starts nothing, as Knot answers.
uint8_t notify(const dns::Query& q, const Snapshot& snapshot, const sockaddr* peer, dns::ReplyWriter& w,
               Reply& outcome) {
  if (!q.has_question || q.qtype != dns::type::SOA) return dns::rcode::FORMERR;
  const zone::Zone* zone = snapshot.zones.find_zone(q.qname);
  if (zone == nullptr || q.qname.labels != zone->labels) return dns::rcode::NOTAUTH;
  if (snapshot.zones.secondary(*zone) == nullptr) return dns::rcode::REFUSED;
  // RFC 8945 §5.2: with a key set for the primary, its NOTIFY must be signed with it.
  if (!snapshot.access.notify_allowed(zone->origin, peer, signed_by(outcome))) return dns::rcode::REFUSED;
  w.set_flags(dns::flag::AA);
  outcome.notify = zone;
  if (q.has_notify_serial) outcome.notify_serial = q.notify_serial;
  return dns::rcode::NOERROR;
}

}  // namespace rpdns::answer
