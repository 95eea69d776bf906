#include "reload/zones.hpp"

#include <malloc.h>
#include <sys/stat.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <set>
#include <unordered_map>

#include "dns/name.hpp"
#include "dns/wire.hpp"
#include "reload/secondary.hpp"
#include "zone/loader.hpp"
#include "zone/signatures.hpp"

namespace rpdns::reload {
namespace {

using Outcome = ZoneReport::Outcome;

// The version of zone `origin` served before this reload; null at start
// and for a zone new to the configuration.
std::shared_ptr<const zone::Zone> find_previous(const zone::ZoneSet* previous, const dns::WireName& origin) {
  if (previous == nullptr) return nullptr;
  auto it = previous->zones().find(origin.wire());
  return it == previous->zones().end() ? nullptr : it->second;
}

// Signatures expired or expiring soon, in whatever zone is served: also
// an unchanged one, as the clock moves on between reloads.
void check_expiration(const zone::Zone& zone, unsigned warning_days, ZoneReport& report) {
  zone::LoadWarnings expiring;
  zone::check_expiration(zone, std::time(nullptr), warning_days, zone.file, expiring);
  for (const auto& w : expiring.listed) report.warnings.push_back(w.to_string());
  report.warning_count += expiring.count;
}

// Loads one configured zone, or reuses / keeps its previous version.
std::shared_ptr<const zone::Zone> load_one(const config::ZoneConfig& zc, const zone::ZoneSet* previous,
                                           unsigned warning_days, ZoneReport& report) {
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const zone::Zone> old = find_previous(previous, zc.origin);
  report.had_old = old != nullptr;
  if (old != nullptr) report.old_serial = old->serial;
  std::shared_ptr<const zone::Zone> result;
  if (old != nullptr && old->file == zc.file && zone::sources_unchanged(*old)) {
    report.outcome = Outcome::unchanged;
    result = old;
  } else {
    auto loaded = zone::load_zone(zc.origin, zc.file);
    for (const auto& e : loaded.errors) report.errors.push_back(e.to_string());
    for (const auto& w : loaded.warnings.listed) report.warnings.push_back(w.to_string());
    report.warning_count = loaded.warnings.count;
    report.phases = loaded.phases;
    if (loaded.zone) {
      report.outcome = Outcome::loaded;
      result = loaded.zone;
    } else if (old != nullptr) {
      report.outcome = Outcome::kept_old;
      result = old;
    } else {
      report.outcome = Outcome::failed;
    }
  }
  if (result) {
    report.new_serial = result->serial;
    report.records = result->record_count;
    report.first_expiration = result->first_expiration;
    report.first_expiring = result->first_expiring;
    check_expiration(*result, warning_days, report);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// A secondary zone comes from its transfers, not from its file:
// on a reload the copy being served stays, with its state; at start the
// copy kept in `file` is served unless it has expired (counted from the
// file's modification time, the last successful refresh), and a zone with
// no usable copy is held for its first transfer.
std::shared_ptr<const zone::Zone> load_secondary(const config::ZoneConfig& zc, const zone::ZoneSet* previous,
                                                 ZoneReport& report, zone::SecondaryState& state) {
  if (auto old = find_previous(previous, zc.origin)) {
    report.outcome = Outcome::unchanged;
    report.had_old = true;
    report.old_serial = report.new_serial = old->serial;
    if (const zone::SecondaryState* before = previous->secondary(*old)) {
      state.expired = before->expired;
      state.expires_at = before->expires_at;
    }
    return old;
  }
  struct stat st {};
  if (::stat(zc.file.c_str(), &st) == 0) {
    auto loaded = zone::load_zone(zc.origin, zc.file);
    if (loaded.zone) {
      int64_t now = std::time(nullptr);
      state.expires_at = Secondaries::copy_expires_at(*loaded.zone, st.st_mtime);
      state.expired = state.expires_at <= now;
      report.outcome = Outcome::loaded;
      report.new_serial = loaded.zone->serial;
      report.records = loaded.zone->record_count;
      report.phases = loaded.phases;
      if (state.expired) report.warnings.push_back(zc.file + ":0: the kept copy has expired; waiting for a transfer");
      report.warning_count = report.warnings.size();
      return loaded.zone;
    }
    // A bad copy is no reason to stop: the transfer Secondaries starts at once replaces it.
    for (const auto& e : loaded.errors) report.copy_errors.push_back(e.to_string() + " (kept copy not served)");
  }
  report.warning_count = report.warnings.size();
  report.outcome = Outcome::awaiting_transfer;
  state.expired = true;
  auto placeholder = std::make_shared<zone::Zone>();
  placeholder->origin = zc.origin.wire();
  placeholder->labels = dns::count_labels(placeholder->origin);
  placeholder->file = zc.file;
  return placeholder;
}

}  // namespace

std::shared_ptr<const answer::Snapshot> build_snapshot(const config::Config& config, const zone::ZoneSet* previous,
                                                       std::vector<ZoneReport>& reports) {
  auto snapshot = std::make_shared<answer::Snapshot>();
  for (const auto& key : config.keys) snapshot->keys.add(key);
  zone::ZoneSet* set = &snapshot->zones;
  for (const auto& zc : config.zones) {
    ZoneReport report;
    report.origin = zc.origin;
    report.file = zc.file;
    zone::SecondaryState secondary;
    auto zone = zc.primaries.empty() ? load_one(zc, previous, config.signature_warning_days, report)
                                     : load_secondary(zc, previous, report, secondary);
    if (zone && set->zones().count(zone->origin) != 0) {
      report.outcome = Outcome::failed;
      report.errors.push_back(zc.file + ":0: zone " + dns::to_text(zone->origin) + " is configured twice");
    } else if (zone) {
      set->add(zone);
      snapshot->access.allow_transfer(zone->origin, zc.allow_transfer);
      if (!zc.primaries.empty()) {
        set->set_secondary(zone->origin, secondary);
        snapshot->access.accept_notify(zone->origin, Secondaries::notify_sources(zc));
      }
    }
    reports.push_back(std::move(report));
  }
  if (previous != nullptr) {
    for (const auto& [origin, zone] : previous->zones()) {
      if (set->zones().count(origin) == 0) {
        ZoneReport report;
        report.origin = dns::WireName(origin);
        report.outcome = Outcome::removed;
        report.old_serial = zone->serial;
        report.had_old = true;
        reports.push_back(std::move(report));
      }
    }
  }
  return snapshot;
}

std::vector<NewSerial> zones_to_notify(const config::Config& config, const std::vector<ZoneReport>& reports) {
  // Origins are unique in a Config: config/ and the command line refuse a second.
  std::unordered_map<dns::WireName, const config::ZoneConfig*> by_name;
  for (const auto& zc : config.zones) by_name.emplace(zc.origin, &zc);
  std::vector<NewSerial> out;
  for (const auto& r : reports) {
    // RFC 1982: only a serial that grew is news to a secondary, which
    // ignores (or, worse, refuses to follow) one that did not.
    bool grew = !r.had_old || dns::serial_greater(r.new_serial, r.old_serial);
    if (r.outcome != Outcome::loaded || !grew) continue;
    auto it = by_name.find(r.origin);
    if (it != by_name.end() && !it->second->notify.empty()) out.push_back({it->second, r.new_serial});
  }
  return out;
}

void log_warnings(const ZoneReport& r) {
  for (const auto& e : r.copy_errors) spdlog::error("{}", e);
  for (const auto& w : r.warnings) spdlog::warn("{}", w);
  if (r.warning_count > r.warnings.size()) {
    spdlog::warn("zone {}: {} more warnings not listed", r.origin.text(), r.warning_count - r.warnings.size());
  }
}

void log_reports(const std::vector<ZoneReport>& reports) {
  for (const auto& r : reports) {
    std::string name = r.origin.text();
    for (const auto& e : r.errors) spdlog::error("{}", e);
    log_warnings(r);
    switch (r.outcome) {
      case Outcome::unchanged:
        spdlog::debug("zone {}: unchanged, serial {}", name, r.new_serial);
        break;
      case Outcome::loaded:
        if (r.had_old) {
          spdlog::info("zone {}: serial {} -> {}, {} records, {:.3f} s", name, r.old_serial, r.new_serial, r.records,
                       r.seconds);
          // RFC 1982 serial arithmetic: secondaries ignore a change whose serial did not grow.
          if (!dns::serial_greater(r.new_serial, r.old_serial)) {
            spdlog::warn("zone {}: changed but serial {} did not increase", name, r.new_serial);
          }
        } else {
          spdlog::info("zone {}: loaded, serial {}, {} records, {:.3f} s", name, r.new_serial, r.records, r.seconds);
        }
        break;
      case Outcome::kept_old:
        spdlog::error("zone {}: not reloaded; still serving serial {}", name, r.old_serial);
        break;
      case Outcome::failed:
        spdlog::error("zone {}: failed to load; not served", name);
        break;
      case Outcome::removed:
        spdlog::info("zone {}: removed from the configuration; no longer served", name);
        break;
      case Outcome::awaiting_transfer:
        spdlog::info("zone {}: secondary without a copy yet; SERVFAIL until the first transfer", name);
        break;
    }
  }
}

void return_freed_memory() { malloc_trim(0); }

}  // namespace rpdns::reload
