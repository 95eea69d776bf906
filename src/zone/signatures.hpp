// Signature health of a signed zone, told to the operator before the
// signatures expire and the zone stops validating: RRsets left unsigned, broken NSEC or
// NSEC3 chains, an NSEC3PARAM with no chain, and RRSIGs expired or about to.
// Load-time only; nothing here runs on the query path.
#pragma once

#include <cstdint>
#include <string>

#include "zone/loader.hpp"
#include "zone/zone.hpp"

namespace rpdns::zone {

// Checks what does not depend on the clock and sets zone.first_expiration:
// warnings for every authoritative RRset without an RRSIG (of a zone with a
// DNSKEY RRset at its apex), each NSEC or NSEC3 whose next name is not the
// next owner of its chain, and an NSEC3PARAM with no matching NSEC3 records.
void inspect_signatures(Zone& zone, const std::string& file, LoadWarnings& warnings, int64_t now);

// Warnings for every RRSIG of `zone` that has expired at `now` (Unix time)
// or will within `warning_days`; the earliest ones first are not promised.
void check_expiration(const Zone& zone, int64_t now, unsigned warning_days, const std::string& file,
                      LoadWarnings& warnings);

// RFC 4034 §3.1.5: a signature time is a 32-bit count of seconds compared in
// serial arithmetic (RFC 1982); the Unix time it means near `now`.
int64_t signature_time(uint32_t field, int64_t now);

// "2046-01-01T00:00:00Z".
std::string utc_text(int64_t unix_time);

}  // namespace rpdns::zone
