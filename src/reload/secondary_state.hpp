// The state of one secondary zone, shared by the files of Secondaries
// (secondary.cpp: checks and transfers; secondary_copy.cpp: what a
// transfer leaves, the kept copy, the published zone and the facts).
// Private to src/reload/.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "dns/name.hpp"
#include "reload/secondary.hpp"
#include "reload/secondary_timers.hpp"
#include "xfr/client.hpp"

namespace rpdns::reload {

struct Secondaries::State {
  explicit State(boost::asio::io_context& io) : timer(io), expiry(io) {}
  dns::WireName origin;
  config::ZoneConfig config;
  xfr::TransferLimits limits;
  boost::asio::steady_timer timer;   // the next SOA check
  boost::asio::steady_timer expiry;  // the copy's expire time
  SecondaryTimers t;
  int64_t published_expires_at = 0;  // what the zone set has, for EDNS EXPIRE answers
  std::string last_error;
  uint64_t failures = 0;
  uint64_t transfers = 0;
  uint64_t incremental_transfers = 0;  // of those, taken as IXFR changes
  uint64_t axfr_fallbacks = 0;         // IXFRs that failed, followed by an AXFR
  uint64_t transfer_bytes = 0;         // of every transfer published
  bool incremental_attempt = false;    // the transfer being checked came as changes
  bool whole_asked = false;            // rpdnsctl zone-retransfer: the next check transfers all
  uint64_t copy_load_failures = 0;
  uint64_t last_bytes = 0;
  double last_seconds = 0;
};

}  // namespace rpdns::reload
