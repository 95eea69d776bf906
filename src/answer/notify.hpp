// NOTIFY (RFC 1996) received for a secondary zone of ours.
#pragma once

#include <cstdint>

#include "answer/answer.hpp"
#include "dns/query.hpp"
#include "dns/writer.hpp"

namespace rpdns::answer {

// Returns the rcode; sets outcome.notify (and notify_serial) when the
// caller is to start the zone's refresh.
uint8_t notify(const dns::Query& q, const Snapshot& snapshot, const sockaddr* peer, dns::ReplyWriter& w,
               Reply& outcome);

}  // namespace rpdns::answer
