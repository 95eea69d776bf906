// Turns counters and zone facts into Prometheus text and log lines. Pure
// formatting: callers gather the numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stats/counters.hpp"

namespace rpdns::stats {

struct ZoneFacts {
  std::string name;  // presentation form
  uint32_t serial = 0;
  std::size_t records = 0;
  int64_t signature_expiration = 0;  // the first RRSIG's expiration (Unix time); 0: unsigned
  std::size_t journal_versions = 0;  // changes kept for IXFR (RFC 1995)
  std::size_t journal_bytes = 0;
};

// One secondary zone (a zone kept from its primaries by transfers), for
// the metrics.
struct SecondaryFacts {
  std::string zone;  // presentation form
  uint32_t serial = 0;
  bool has_copy = false;
  bool expired = false;
  int64_t last_refresh = 0;            // Unix time of the last successful refresh; 0: none
  int64_t next_refresh = 0;            // when the next SOA check is due
  int64_t expires_at = 0;              // when the copy stops being served without a refresh; 0: no copy
  uint64_t failures = 0;               // refreshes that failed, in all
  uint64_t transfers = 0;              // zone transfers that were published
  uint64_t incremental_transfers = 0;  // of those, taken as IXFR changes (RFC 1995)
  uint64_t axfr_fallbacks = 0;         // IXFRs that failed and were followed by an AXFR
  uint64_t transfer_bytes = 0;         // DNS messages of the transfers published
  uint64_t copy_load_failures = 0;     // kept copies that did not load (at start, or when the zone was added)
  uint64_t last_transfer_bytes = 0;
  double last_transfer_seconds = 0;
};

struct ReloadFacts {
  uint64_t succeeded = 0;     // reloads that published a new zone table
  uint64_t failed = 0;        // reloads with at least one error
  double last_unix_time = 0;  // when the last one finished; 0 if none yet
  double last_seconds = 0;    // how long it took
  bool last_ok = true;
};

// One worker's counters, UDP and TCP alike: its TCP listener runs on the
// worker's thread and counts into the same block.
struct WorkerView {
  const WorkerCounters* counters;
  std::string listen;  // the address the worker's socket is bound to
  // What the worker's predecessors counted before an upgrade; null: none.
  const WorkerCounters* carried = nullptr;

  uint64_t total(Counter WorkerCounters::*field) const {
    return (counters->*field).get() + (carried ? (carried->*field).get() : 0);
  }
  uint64_t rcode_total(std::size_t slot) const {
    return counters->by_rcode[slot].get() + (carried ? carried->by_rcode[slot].get() : 0);
  }
  uint64_t type_total(std::size_t slot) const {
    return counters->by_type[slot].get() + (carried ? carried->by_type[slot].get() : 0);
  }
  uint64_t cookie_total(std::size_t slot) const {
    return counters->by_cookie[slot].get() + (carried ? carried->by_cookie[slot].get() : 0);
  }
};

// Prometheus text exposition format 0.0.4, metric names prefixed rpdns_.
std::string prometheus_text(const std::vector<WorkerView>& workers, const std::vector<ZoneFacts>& zones,
                            const ReloadFacts& reload, const std::vector<SecondaryFacts>& secondaries);
std::string prometheus_text(const std::vector<WorkerView>& workers, const std::vector<ZoneFacts>& zones,
                            const ReloadFacts& reload);

// "N queries in all; busiest/idlest worker = R" for the log.
std::string balance_line(const std::vector<WorkerView>& workers);

}  // namespace rpdns::stats
