// A zone's records with IXFR changes applied (RFC 1995 §4), for a secondary
// that took changes instead of the whole zone.
#pragma once

#include <span>
#include <string>

#include "zone/builder.hpp"
#include "zone/journal.hpp"
#include "zone/zone.hpp"

namespace rpdns::zone {

// Writes into `out` (whose `files` names the transfer) the records of
// `base` with `changes` applied in order, the last change's SOA in place
// of base's, for build_zone to check and compile. "" or the problem: a
// change that does not start at the serial before it, a removed record
// that is not there. A record removed and added again (a new TTL) is
// taken as added.
std::string apply_changes(const Zone& base, std::span<const ChangePtr> changes, ParsedRecords& out);

}  // namespace rpdns::zone
