// Builds the Snapshot a config::Reloadable names (its zones, their access
// lists, the TSIG keys), at start-up and on every reload.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "answer/snapshot.hpp"
#include "config/config.hpp"
#include "dns/name.hpp"
#include "zone/loader.hpp"
#include "zone/zone.hpp"

namespace rpdns::reload {

// What happened to one zone in a (re)load, for the log and --check-config.
struct ZoneReport {
  // awaiting_transfer: a secondary zone with no usable copy yet, answered
  // SERVFAIL until its first transfer.
  enum class Outcome { loaded, unchanged, kept_old, failed, removed, awaiting_transfer };
  dns::WireName origin;  // empty for a zone unchanged with nothing to report
  std::string file;
  Outcome outcome = Outcome::loaded;
  bool had_old = false;
  uint32_t old_serial = 0;
  uint32_t new_serial = 0;
  std::size_t records = 0;
  double seconds = 0;
  zone::LoadPhases phases;            // zero unless the zone was read
  std::vector<std::string> errors;    // "file:line: message"
  std::vector<std::string> warnings;  // the same form; the first few of warning_count
  // A secondary's kept copy that did not load, the same form: logged as
  // errors, yet no reason to stop; the zone waits for its transfer.
  std::vector<std::string> copy_errors;
  std::size_t warning_count = 0;
  int64_t first_expiration = 0;  // Unix time of the first RRSIG to expire; 0: unsigned
  std::string first_expiring;    // its owner and type
  // The version whose journal's base is due, for write_bases(); else null.
  std::shared_ptr<const zone::Zone> base;
};

// The bounds of each zone's journal (IXFR) that `config` sets.
zone::JournalLimits journal_limits(const config::Reloadable& config);
// `limits` with those the zone `zc` sets for itself.
zone::JournalLimits journal_limits(zone::JournalLimits limits, const config::ZoneConfig& zc);

// Loads every zone of `config`. With a `previous` set (a reload), zones whose
// files did not change are reused as they are, and a zone that fails to load
// keeps its previous version. Never returns null; check the reports.
std::shared_ptr<const answer::Snapshot> build_snapshot(const config::Reloadable& config, const zone::ZoneSet* previous,
                                                       std::vector<ZoneReport>& reports);

// A snapshot like `current`, for the same configuration as built it: every
// zone's files checked (on every core) and the changed ones read again;
// the rest, and the access lists and keys, shared as they are. The reports
// follow the configuration's order.
std::shared_ptr<const answer::Snapshot> refresh_snapshot(const config::Reloadable& config,
                                                         const answer::Snapshot& current,
                                                         std::vector<ZoneReport>& reports);

// A snapshot like `current` with the zones `origins` read again from their
// files as `config` names them, changed or not; every other zone, and the
// access lists and keys, shared as they are. A zone that fails to load, is
// not configured or is a secondary keeps what is served, and its report
// says why. One report per origin, in their order.
std::shared_ptr<const answer::Snapshot> reread_zones(const config::Reloadable& config, const answer::Snapshot& current,
                                                     const std::vector<dns::WireName>& origins,
                                                     std::vector<ZoneReport>& reports);

// A zone whose serial grew in a (re)load and that has secondaries to tell
// (RFC 1996 §3.5), with its configuration.
struct NewSerial {
  const config::ZoneConfig* zone;
  uint32_t serial;
};
// The zones of `config` due a NOTIFY after the load that wrote `reports`.
// Each report is matched to its zone by name, never by position, so a
// report missing or out of order cannot announce one zone's serial for
// another.
std::vector<NewSerial> zones_to_notify(const config::Reloadable& config, const std::vector<ZoneReport>& reports);

// Writes the journal bases (zone/journal_base.hpp) the reports say are due,
// once their versions are served; a failure is logged as a warning.
void write_bases(std::vector<ZoneReport>& reports);

// Logs a reload's reports: serials, record counts, timings, errors, warnings.
void log_reports(const std::vector<ZoneReport>& reports);
// Logs one zone's load warnings, and the errors of a kept copy that did
// not load (at start-up and on reload).
void log_warnings(const ZoneReport& report);

// Loading a big zone leaves its parse buffers (hundreds of MB for a million
// records) in malloc's free lists, counted as RSS until reused. This hands
// them back to the kernel; it takes a while, so call it off the query path
// once the new zones are being served.
void return_freed_memory();

}  // namespace rpdns::reload
