// The wire layout of an RRset, shared by the zone data (which stores it)
// and the reply writer (which copies it out), so neither needs the other.
#pragma once

#include <cstdint>
#include <span>

namespace rpdns::dns {

// An RRset as the zone layer stores it: `count` records laid out back to
// back, each as TTL (4 bytes), RDLENGTH (2) and RDATA, with any names in the
// RDATA uncompressed. This is the tail of each record on the wire.
struct RRsetWire {
  uint16_t type = 0;
  uint16_t count = 0;
  std::span<const uint8_t> records;
};

}  // namespace rpdns::dns
