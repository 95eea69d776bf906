// What a secondary's transfer leaves behind: the copy kept on disk (with
// its journal), the zone swapped into the served snapshot, and the facts
// the stats endpoint and rpdnsctl read.
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "reload/secondary.hpp"
#include "reload/secondary_state.hpp"
#include "reload/zones.hpp"
#include "zone/diff.hpp"
#include "zone/journal_file.hpp"
#include "zone/master_writer.hpp"

namespace rpdns::reload {

std::string Secondaries::keep_copy(const State& s, zone::Zone& copy) {
  // The change from the version served goes into its journal, so our own
  // secondaries can follow by IXFR; a copy whose serial did not grow (a
  // forced transfer) replaces the zone whole, with no journal.
  auto served = store_.load()->zones.get(s.origin.wire());
  zone::follow(served.get(), copy, journal_limits(journal_, s.config));
  // Kept before it is served: a copy that would not load back at a restart
  // (and so turn the zone into SERVFAIL) is refused, and the old zone kept.
  std::string error;
  zone::WriteStatus kept = zone::write_master_file(copy, s.config.file, error);
  if (kept == zone::WriteStatus::does_not_load_back) return error;
  if (kept == zone::WriteStatus::io_error) spdlog::error("zone {}: cannot keep the copy: {}", s.origin.text(), error);
  // After the copy, and only with it, so a journal on disk never runs ahead of it.
  if (kept == zone::WriteStatus::written &&
      !zone::write_journal(copy.journal.get(), copy.origin, zone::journal_path(s.config.file), error)) {
    spdlog::warn("zone {}: journal not saved (after a restart, IXFR clients get the whole zone): {}", s.origin.text(),
                 error);
  }
  return "";
}

// The snapshot with this zone's new copy (or its state alone) swapped in.
void Secondaries::publish(State& s, std::shared_ptr<const zone::Zone> copy) {
  auto current = store_.load();
  if (!copy) {
    copy = current->zones.get(s.origin.wire());
    if (!copy) return;
  }
  auto next = std::make_shared<answer::Snapshot>(*current);
  next->access.accept_notify(copy->origin, notify_sources(s.config));
  s.published_expires_at = s.t.expires_at();
  next->zones.replace(std::move(copy), s.t.published());
  store_.publish(std::move(next));
  if (after_publish_) after_publish_();
}

void Secondaries::update_facts(const State& s) {
  SecondaryFacts f;
  f.zone = s.origin.text();
  f.serial = s.t.serial();
  f.has_copy = s.t.has_copy();
  f.expired = s.t.expired();
  f.last_refresh = s.t.last_refresh();
  f.next_refresh = s.t.next_check() / 1000;
  f.expires_at = s.t.has_copy() ? s.t.expires_at() : 0;
  f.failures = s.failures;
  f.transfers = s.transfers;
  f.incremental_transfers = s.incremental_transfers;
  f.axfr_fallbacks = s.axfr_fallbacks;
  f.transfer_bytes = s.transfer_bytes;
  f.copy_load_failures = s.copy_load_failures;
  f.last_transfer_bytes = s.last_bytes;
  f.last_transfer_seconds = s.last_seconds;
  std::lock_guard lock(facts_mutex_);
  facts_[s.origin] = f;
}

std::vector<SecondaryFacts> Secondaries::facts() const {
  std::lock_guard lock(facts_mutex_);
  std::vector<SecondaryFacts> out;
  for (const auto& [origin, f] : facts_) out.push_back(f);
  return out;
}

}  // namespace rpdns::reload
