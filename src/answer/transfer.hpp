// Zone transfer requests (AXFR, RFC 5936; IXFR, RFC 1995): who may have the
// zone, and whether it is streamed in full or answered with its SOA. The
// EXPIRE option (RFC 7314) a transfer or a SOA answer carries.
#pragma once

#include <cstdint>

#include "answer/answer.hpp"
#include "dns/query.hpp"
#include "dns/writer.hpp"

namespace rpdns::answer {

// Returns the rcode; sets outcome.transfer (with its question_end and
// transfer_expire) when the zone is to be streamed by the caller, and then
// writes nothing to `w`.
uint8_t transfer(const dns::Query& q, const Snapshot& snapshot, bool over_tcp, const sockaddr* peer,
                 dns::ReplyWriter& w, Reply& outcome);

// The EXPIRE option of a SOA answer at a zone's apex (or an IXFR answered
// with the SOA alone). -1: none in the reply.
int64_t expire_seconds(const dns::Query& q, const zone::ZoneSet& zones, uint16_t rcode);

}  // namespace rpdns::answer
