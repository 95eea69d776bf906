// The connection to the collector under libfstrm's writer: an fstrm_rdwr
// for a Unix socket or TCP whose every operation ends within a time limit.
// libfstrm's own Unix and TCP writers block without limit on a collector
// that accepts a connection and then neither answers the handshake nor
// reads, which would hold the writer's thread, and with it a stop or a
// reload, for as long as that collector lives. Here such a collector is
// treated as away: the operation fails, the writer closes and tries again
// later. The framing (control frames, the handshake, frame lengths) stays
// libfstrm's.
#pragma once

#include "dnstap/writer.hpp"

struct fstrm_rdwr;

namespace rpdns::dnstap {

// A transport to the collector `settings` name; null when its address is
// not one (a numeric address for TCP, a path short enough for Unix).
fstrm_rdwr* make_transport(const Settings& settings);

}  // namespace rpdns::dnstap
