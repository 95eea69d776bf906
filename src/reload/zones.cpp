#include "reload/zones.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <set>

#include "dns/name.hpp"
#include "dns/wire.hpp"
#include "zone/loader.hpp"
#include "zone/signatures.hpp"

namespace rpdns::reload {
namespace {

using Outcome = ZoneReport::Outcome;

const zone::Zone* find_previous(const zone::ZoneSet* previous, const std::string& origin) {
  if (previous == nullptr) return nullptr;
  auto it = previous->zones().find(origin);
  return it == previous->zones().end() ? nullptr : it->second.get();
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
  std::string origin;
  const zone::Zone* old = nullptr;
  if (dns::name_from_text(zc.origin, origin)) {
    report.origin = dns::to_text(origin);
    old = find_previous(previous, origin);
  }
  report.had_old = old != nullptr;
  if (old != nullptr) report.old_serial = old->serial;
  std::shared_ptr<const zone::Zone> result;
  if (old != nullptr && old->file == zc.file && zone::sources_unchanged(*old)) {
    report.outcome = Outcome::unchanged;
    result = previous->zones().at(origin);
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
      result = previous->zones().at(origin);
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

}  // namespace

std::shared_ptr<const zone::ZoneSet> build_zone_set(const config::Config& config, const zone::ZoneSet* previous,
                                                    std::vector<ZoneReport>& reports) {
  auto set = std::make_shared<zone::ZoneSet>();
  for (const auto& zc : config.zones) {
    ZoneReport report;
    report.origin = zc.origin;
    report.file = zc.file;
    auto zone = load_one(zc, previous, config.signature_warning_days, report);
    if (zone && set->zones().count(zone->origin) != 0) {
      report.outcome = Outcome::failed;
      report.errors.push_back(zc.file + ":0: zone " + dns::to_text(zone->origin) + " is configured twice");
    } else if (zone) {
      set->add(zone, zc.allow_transfer);
    }
    reports.push_back(std::move(report));
  }
  if (previous != nullptr) {
    for (const auto& [origin, zone] : previous->zones()) {
      if (set->zones().count(origin) == 0) {
        ZoneReport report;
        report.origin = dns::to_text(origin);
        report.outcome = Outcome::removed;
        report.old_serial = zone->serial;
        report.had_old = true;
        reports.push_back(std::move(report));
      }
    }
  }
  return set;
}

void log_warnings(const ZoneReport& r) {
  for (const auto& w : r.warnings) spdlog::warn("{}", w);
  if (r.warning_count > r.warnings.size()) {
    spdlog::warn("zone {}: {} more warnings not listed", r.origin, r.warning_count - r.warnings.size());
  }
}

void log_reports(const std::vector<ZoneReport>& reports) {
  for (const auto& r : reports) {
    for (const auto& e : r.errors) spdlog::error("{}", e);
    log_warnings(r);
    switch (r.outcome) {
      case Outcome::unchanged:
        spdlog::debug("zone {}: unchanged, serial {}", r.origin, r.new_serial);
        break;
      case Outcome::loaded:
        if (r.had_old) {
          spdlog::info("zone {}: serial {} -> {}, {} records, {:.3f} s", r.origin, r.old_serial, r.new_serial,
                       r.records, r.seconds);
          // RFC 1982 serial arithmetic: secondaries ignore a change whose serial did not grow.
          if (!dns::serial_greater(r.new_serial, r.old_serial)) {
            spdlog::warn("zone {}: changed but serial {} did not increase", r.origin, r.new_serial);
          }
        } else {
          spdlog::info("zone {}: loaded, serial {}, {} records, {:.3f} s", r.origin, r.new_serial, r.records,
                       r.seconds);
        }
        break;
      case Outcome::kept_old:
        spdlog::error("zone {}: not reloaded; still serving serial {}", r.origin, r.old_serial);
        break;
      case Outcome::failed:
        spdlog::error("zone {}: failed to load; not served", r.origin);
        break;
      case Outcome::removed:
        spdlog::info("zone {}: removed from the configuration; no longer served", r.origin);
        break;
    }
  }
}

void return_freed_memory() { malloc_trim(0); }

}  // namespace rpdns::reload
