#include "reload/zones.hpp"

#include <malloc.h>
#include <sys/stat.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "dns/name.hpp"
#include "dns/wire.hpp"
#include "reload/secondary.hpp"
#include "zone/diff.hpp"
#include "zone/journal_base.hpp"
#include "zone/journal_file.hpp"
#include "zone/loader.hpp"
#include "zone/signatures.hpp"

namespace rpdns::reload {
namespace {

using Outcome = ZoneReport::Outcome;

std::shared_ptr<const zone::Zone> find_previous(const zone::ZoneSet* previous, const dns::WireName& origin) {
  return previous == nullptr ? nullptr : previous->get(origin.wire());
}

// Signatures expired or expiring soon, in whatever zone is served: also
// an unchanged one, as the clock moves on between reloads.
void check_expiration(const zone::Zone& zone, unsigned warning_days, ZoneReport& report) {
  zone::LoadWarnings expiring;
  zone::check_expiration(zone, std::time(nullptr), warning_days, zone.file, expiring);
  for (const auto& w : expiring.listed) report.warnings.push_back(w.to_string());
  report.warning_count += expiring.count;
}

// The journal of a secondary's kept copy read at start: the one saved
// beside it, when it leads up to the copy's serial (the copy is written
// first). A damaged or stale one is never served; it is left for the
// zone's next transfer to replace (--check-config changes no file).
void restore_journal(const std::string& file, zone::Zone& zone, ZoneReport& report) {
  std::string path = zone::journal_path(file), problem;
  zone.journal = zone::read_journal(path, zone.origin, zone.serial, problem);
  if (problem.empty()) return;
  report.warnings.push_back(path + ":0: " + problem + "; not used (IXFR clients get the whole zone)");
  ++report.warning_count;
}

// Saves a new version's journal beside its file, before it is served.
// True when the base the journal builds on is due too: the journal no
// longer reaches the one on disk. Writing it is left for write_bases(),
// once the version is served (a whole zone as text is too slow to hold up
// a reload); its serial is noted now, since a zone is not changed once
// served. Should that write fail, or rpdns stop first, the start finds a
// base the journal does not reach, and says so.
bool save_journal(const std::string& file, zone::Zone& zone, ZoneReport& report) {
  std::string error;
  uint64_t sources = zone::sources_fingerprint(zone.sources);
  if (!zone::write_journal(zone.journal.get(), zone.origin, zone::journal_path(file), error, sources)) {
    report.warnings.push_back(error + ": journal not saved (after a restart, IXFR clients get the whole zone)");
    ++report.warning_count;
    return false;
  }
  if (zone.journal == nullptr || zone::base_reached(zone)) return false;
  zone.base_serial = zone.serial;
  return true;
}

config::SerialPolicy serial_policy(const config::Reloadable& config, const config::ZoneConfig& zc) {
  return zc.serial_policy.value_or(config.serial_policy);
}

// How a version read from the file may take the place of `old`.
enum class Succession { follows, refused, refused_signed };

// Whether `loaded` may replace `old` (its journal then set, zone::follow).
// With serial-policy increment, a change under a serial that did not grow
// is given the serial after old's; and a file that differs from `old` in
// its serial alone (what an earlier increment left behind) takes old's
// serial, so that it carries old's journal instead of bumping it again.
Succession succeed(const config::Reloadable& config, const config::ZoneConfig& zc, const zone::Zone& old,
                   zone::Zone& loaded) {
  auto limits = journal_limits(journal_limits(config), zc);
  if (zone::follow(&old, loaded, limits)) return Succession::follows;
  if (serial_policy(config, zc) != config::SerialPolicy::increment) return Succession::refused;
  uint32_t serial = zone::only_serial_differs(*zone::diff(old, loaded)) ? old.serial : old.serial + 1;
  if (!zone::set_serial(loaded, serial)) return Succession::refused_signed;
  zone::follow(&old, loaded, limits);
  return Succession::follows;
}

std::string refusal(const config::ZoneConfig& zc, uint32_t serial, const zone::Zone& old, Succession why) {
  // RFC 1982: a secondary takes no version whose serial did not grow,
  // so serving one would split them from us for good.
  std::string text = zc.file + ":0: zone " + zc.origin.text() + " changed but its serial " + std::to_string(serial) +
                     " is not greater than " + std::to_string(old.serial);
  if (why == Succession::refused_signed) text += " (serial-policy increment cannot raise a signed zone's serial)";
  return text;
}

// A primary zone read for the first time (at start, or added by a reload)
// with the journal kept beside its file. A journal saved when the files
// were as they are now, and ending at their serial, is taken as it is.
// Otherwise the file may have been edited while rpdns was down: the
// version last served is rebuilt from the journal and its base, and the
// file follows it as on a reload, or, refused, leaves it served. Nothing is
// written: the disk catches up at the zone's next change (and
// --check-config changes no file).
std::shared_ptr<const zone::Zone> resume(const config::Reloadable& config, const config::ZoneConfig& zc,
                                         std::shared_ptr<zone::Zone> loaded, ZoneReport& report) {
  if (journal_limits(journal_limits(config), zc).max_depth == 0)
    return loaded;  // none kept: a file left from before is not read
  std::string path = zone::journal_path(zc.file), problem;
  uint64_t saved_with = 0;
  auto journal = zone::read_journal(path, loaded->origin, problem, &saved_with);
  if (journal && journal->last_serial() == loaded->serial && saved_with == zone::sources_fingerprint(loaded->sources)) {
    loaded->journal = std::move(journal);
    return loaded;
  }
  std::shared_ptr<zone::Zone> last;
  if (journal && !(last = zone::rebuild_last(zc.origin, zc.file, journal, problem))) {
    std::string serial = std::to_string(loaded->serial);
    problem =
        (journal->last_serial() == loaded->serial
             ? "the zone file changed since it was saved (serial " + serial + ")"
             : "it ends at serial " + std::to_string(journal->last_serial()) + ", the zone file has serial " + serial) +
        ", and " + problem;
  }
  if (!problem.empty()) {
    report.warnings.push_back(path + ":0: " + problem + "; not used (IXFR clients get the whole zone)");
    ++report.warning_count;
  }
  if (!last) return loaded;
  last->file = zc.file;
  last->sources = loaded->sources;  // the file as it is: read again once it changes
  uint32_t serial = loaded->serial;
  auto why = succeed(config, zc, *last, *loaded);
  if (why == Succession::follows) {
    loaded->base_serial = last->base_serial;
    return loaded;
  }
  report.warnings.push_back(refusal(zc, serial, *last, why) + " (edited while rpdns was down); serving serial " +
                            std::to_string(last->serial) + " as rebuilt from its journal");
  ++report.warning_count;
  return last;
}

// Reads a zone's file; the new version, or `old` (null when none) when it
// fails or changed without a greater serial.
std::shared_ptr<const zone::Zone> read_zone(const config::Reloadable& config, const config::ZoneConfig& zc,
                                            std::shared_ptr<const zone::Zone> old, ZoneReport& report) {
  auto loaded = zone::load_zone(zc.origin, zc.file);
  for (const auto& e : loaded.errors) report.errors.push_back(e.to_string());
  for (const auto& w : loaded.warnings.listed) report.warnings.push_back(w.to_string());
  report.warning_count = loaded.warnings.count;
  report.phases = loaded.phases;
  if (!loaded.zone) {
    report.outcome = old ? Outcome::kept_old : Outcome::failed;
    return old;
  }
  report.outcome = Outcome::loaded;
  if (!old) return resume(config, zc, loaded.zone, report);
  uint32_t serial = loaded.zone->serial;
  auto why = succeed(config, zc, *old, *loaded.zone);
  if (why != Succession::follows) {
    report.errors.push_back(refusal(zc, serial, *old, why) + "; still serving serial " + std::to_string(old->serial));
    report.outcome = Outcome::kept_old;
    return old;
  }
  loaded.zone->base_serial = old->base_serial;
  if (loaded.zone->journal != old->journal && save_journal(zc.file, *loaded.zone, report)) report.base = loaded.zone;
  return loaded.zone;
}

// Loads one configured zone, or reuses (unless `force`) / keeps its
// previous version.
std::shared_ptr<const zone::Zone> load_one(const config::Reloadable& config, const config::ZoneConfig& zc,
                                           const zone::ZoneSet* previous, ZoneReport& report, bool force = false) {
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const zone::Zone> old = find_previous(previous, zc.origin);
  report.had_old = old != nullptr;
  if (old != nullptr) report.old_serial = old->serial;
  std::shared_ptr<const zone::Zone> result;
  if (!force && old != nullptr && old->file == zc.file && zone::sources_unchanged(*old)) {
    report.outcome = Outcome::unchanged;
    result = old;
  } else {
    result = read_zone(config, zc, old, report);
  }
  if (result) {
    report.new_serial = result->serial;
    report.records = result->record_count;
    report.first_expiration = result->first_expiration;
    report.first_expiring = result->first_expiring;
    check_expiration(*result, config.signature_warning_days, report);
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
      restore_journal(zc.file, *loaded.zone, report);
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

// One configured zone as loaded, before it joins the snapshot.
struct Loaded {
  std::shared_ptr<const zone::Zone> zone;
  ZoneReport report;
  zone::SecondaryState secondary;
};

void load_entry(const config::Reloadable& config, const config::ZoneConfig& zc, const zone::ZoneSet* previous,
                Loaded& out) {
  auto& r = out.report;
  out.zone = zc.primaries.empty() ? load_one(config, zc, previous, r) : load_secondary(zc, previous, r, out.secondary);
  // A zone that stayed as it was, quietly, is reported by its outcome
  // alone: 100,000 names copied on every reload would be most of its work.
  bool quiet = r.outcome == Outcome::unchanged && r.errors.empty() && r.warnings.empty() && r.copy_errors.empty();
  if (!quiet) {
    r.origin = zc.origin;
    r.file = zc.file;
  }
}

// Zones load on every core: at start the workers are not answering yet,
// and on reload these threads inherit the reloader's low priority. Each
// thread takes the next zone not taken, so 100,000 small zones and one big
// one spread alike (a big zone's own parse is split further, see loader).
std::vector<Loaded> load_entries(const config::Reloadable& config, const zone::ZoneSet* previous) {
  std::vector<Loaded> loaded(config.zones.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < loaded.size(); i = next++)
      load_entry(config, config.zones[i], previous, loaded[i]);
  };
  unsigned threads = std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 8);
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, loaded.size()));
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (auto& h : helpers) h.join();
  return loaded;
}

// Zones of the previous set the configuration no longer names.
void report_removed(const zone::ZoneSet& previous, const zone::ZoneSet& set, std::vector<ZoneReport>& reports) {
  previous.for_each([&](const std::string& origin, const std::shared_ptr<const zone::Zone>& zone) {
    if (set.get(origin)) return;
    ZoneReport report;
    report.origin = dns::WireName(origin);
    report.outcome = Outcome::removed;
    report.old_serial = zone->serial;
    report.had_old = true;
    reports.push_back(std::move(report));
  });
}

}  // namespace

void write_bases(std::vector<ZoneReport>& reports) {
  for (auto& r : reports) {
    if (!r.base) continue;
    std::string error;
    if (!zone::write_base(*r.base, r.base->file, error)) {
      spdlog::warn("zone {}: {}: journal base not saved (a zone file edited while rpdns is down is not diffed)",
                   dns::to_text(r.base->origin), error);
    }
    r.base.reset();
  }
}

zone::JournalLimits journal_limits(const config::Reloadable& config) {
  return {static_cast<std::size_t>(config.journal_size), config.journal_depth};
}

zone::JournalLimits journal_limits(zone::JournalLimits limits, const config::ZoneConfig& zc) {
  if (zc.journal_size) limits.max_bytes = static_cast<std::size_t>(*zc.journal_size);
  if (zc.journal_depth) limits.max_depth = *zc.journal_depth;
  return limits;
}

std::shared_ptr<const answer::Snapshot> build_snapshot(const config::Reloadable& config, const zone::ZoneSet* previous,
                                                       std::vector<ZoneReport>& reports) {
  auto snapshot = std::make_shared<answer::Snapshot>();
  for (const auto& key : config.keys) snapshot->keys.add(key);
  zone::ZoneSet* set = &snapshot->zones;
  auto loaded = load_entries(config, previous);
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    const auto& zc = config.zones[i];
    auto& [zone, report, secondary] = loaded[i];
    if (zone && set->get(zone->origin)) {
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
  if (previous != nullptr) report_removed(*previous, *set, reports);
  return snapshot;
}

std::shared_ptr<const answer::Snapshot> refresh_snapshot(const config::Reloadable& config,
                                                         const answer::Snapshot& current,
                                                         std::vector<ZoneReport>& reports) {
  auto loaded = load_entries(config, &current.zones);
  auto next = std::make_shared<answer::Snapshot>(current);
  for (auto& [zone, report, secondary] : loaded) {
    // Unchanged zones, kept old versions and secondaries (whose copies
    // come from transfers) stay as they are in the copy.
    if (zone && report.outcome == Outcome::loaded) next->zones.replace(zone, std::nullopt);
    reports.push_back(std::move(report));
  }
  return next;
}

std::shared_ptr<const answer::Snapshot> reread_zones(const config::Reloadable& config, const answer::Snapshot& current,
                                                     const std::vector<dns::WireName>& origins,
                                                     std::vector<ZoneReport>& reports) {
  auto next = std::make_shared<answer::Snapshot>(current);
  for (const auto& origin : origins) {
    ZoneReport report;
    report.origin = origin;
    const config::ZoneConfig* zc = config::find_zone(config.zones, origin);
    if (zc == nullptr) {
      report.outcome = Outcome::failed;
      report.errors.push_back("zone " + origin.text() + " is not configured");
    } else if (!zc->primaries.empty()) {
      // Its data comes from transfers; reading the kept copy back would
      // only serve what is served already.
      report.outcome = Outcome::unchanged;
      report.file = zc->file;
      report.errors.push_back("zone " + origin.text() + " is a secondary zone; its data comes from its primaries");
    } else {
      report.file = zc->file;
      auto zone = load_one(config, *zc, &current.zones, report, true);
      if (report.outcome == Outcome::loaded) next->zones.replace(zone, std::nullopt);
    }
    reports.push_back(std::move(report));
  }
  return next;
}

std::vector<NewSerial> zones_to_notify(const config::Reloadable& config, const std::vector<ZoneReport>& reports) {
  // RFC 1982: only a serial that grew is news to a secondary, which
  // ignores (or, worse, refuses to follow) one that did not.
  std::unordered_map<std::string_view, uint32_t> grown;
  for (const auto& r : reports) {
    bool grew = !r.had_old || dns::serial_greater(r.new_serial, r.old_serial);
    if (r.outcome == Outcome::loaded && grew) grown.emplace(r.origin.wire(), r.new_serial);
  }
  std::vector<NewSerial> out;
  if (grown.empty()) return out;  // the usual reload: not a pass over every zone
  // Origins are unique in a Config: config/ and the command line refuse a second.
  for (const auto& zc : config.zones) {
    auto it = grown.find(zc.origin.wire());
    if (it != grown.end() && !zc.notify.empty()) out.push_back({&zc, it->second});
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
    if (r.origin.empty()) continue;  // unchanged, with nothing to say (load_entry)
    std::string name = r.origin.text();
    for (const auto& e : r.errors) spdlog::error("{}", e);
    log_warnings(r);
    switch (r.outcome) {
      case Outcome::unchanged:
        spdlog::debug("zone {}: unchanged, serial {}", name, r.new_serial);
        break;
      case Outcome::loaded:
        if (r.had_old && r.new_serial == r.old_serial) {
          // A change under the same serial is refused (load_one); this is
          // the same zone in a file written again.
          spdlog::info("zone {}: file read again, same records, serial {}", name, r.new_serial);
        } else if (r.had_old) {
          spdlog::info("zone {}: serial {} -> {}, {} records, {:.3f} s", name, r.old_serial, r.new_serial, r.records,
                       r.seconds);
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
