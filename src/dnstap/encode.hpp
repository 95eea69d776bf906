// One exchange as a dnstap.Dnstap protobuf, written straight into a ring
// (protobuf-c packs into the reserved bytes: no allocation, no copy).
#pragma once

#include "dnstap/ring.hpp"
#include "dnstap/writer.hpp"

namespace rpdns::dnstap {

// The AUTH_QUERY (`response` false) or AUTH_RESPONSE message of `exchange`,
// committed to `ring`; false when the ring has no room for it.
bool encode(Ring& ring, const Settings& settings, const Exchange& exchange, bool response);

}  // namespace rpdns::dnstap
