#include "reload/secondary.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <random>

#include "dns/name.hpp"
#include "dns/wire.hpp"
#include "reload/zones.hpp"
#include "zone/apply.hpp"
#include "zone/builder.hpp"
#include "zone/master_writer.hpp"
#include "reload/secondary_state.hpp"

namespace rpdns::reload {
namespace {

namespace asio = boost::asio;

int64_t now() { return static_cast<int64_t>(std::time(nullptr)); }

Millis now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Up to a tenth of `seconds`, so that many secondaries (or zones) started
// together do not all ask at once.
uint32_t jitter(uint32_t seconds) {
  static thread_local std::minstd_rand random{std::random_device{}()};
  uint32_t spread = seconds / 10;
  return spread == 0 ? 0 : static_cast<uint32_t>(random() % (spread + 1));
}

std::string primaries_text(const config::ZoneConfig& zc) {
  std::string out;
  for (const auto& p : zc.primaries) out += p.address.to_string() + " " + p.key + "\n";
  return out;
}

// A zone's own bounds on a transfer, or the config's.
xfr::TransferLimits transfer_limits(const config::Config& config, const config::ZoneConfig& zc) {
  xfr::TransferLimits limits;
  limits.max_bytes = zc.max_zone_size != 0 ? zc.max_zone_size : config.max_zone_size;
  limits.timeout = std::chrono::seconds(zc.transfer_timeout != 0 ? zc.transfer_timeout : config.transfer_timeout);
  return limits;
}

int64_t file_mtime(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_mtime) : 0;
}

}  // namespace

Secondaries::Secondaries(asio::io_context& io, answer::SnapshotStore& store, std::function<void()> after_publish,
                         Notify notify)
    : io_(io), store_(store), after_publish_(std::move(after_publish)), notify_(std::move(notify)) {}

Secondaries::~Secondaries() = default;

std::vector<policy::KeyedPrefix> Secondaries::notify_sources(const config::ZoneConfig& zc) {
  std::vector<policy::KeyedPrefix> out;
  for (const auto& p : zc.primaries) {
    if (auto prefix = policy::Prefix::parse(p.address.host)) out.push_back({*prefix, p.key});
  }
  return out;
}

int64_t Secondaries::copy_expires_at(const zone::Zone& zone, int64_t mtime) {
  return mtime + int64_t{SoaTimers::of(zone).expire};
}

void Secondaries::configure(const config::Config& config) {
  keys_ = config.reloadable.keys;
  journal_ = journal_limits(config.reloadable);
  auto current = store_.load();
  std::map<dns::WireName, std::unique_ptr<State>> next;
  for (const auto& zc : config.reloadable.zones) {
    if (zc.primaries.empty()) continue;
    const dns::WireName& origin = zc.origin;
    auto it = zones_.find(origin);
    std::unique_ptr<State> s;
    if (it != zones_.end()) {
      s = std::move(it->second);
      zones_.erase(it);
    } else {
      s = std::make_unique<State>(io_);
      s->origin = origin;
    }
    bool changed = s->config.file != zc.file || primaries_text(s->config) != primaries_text(zc);
    bool fresh = s->config.primaries.empty();
    s->config = zc;
    s->limits = transfer_limits(config, zc);
    if (fresh) {
      // What build_snapshot served: the kept copy, or none yet.
      auto served = current->zones.get(origin.wire());
      if (served && served->soa != nullptr) {
        const zone::Zone& copy = *served;
        s->t.start_with_copy(copy.serial, SoaTimers::of(copy), file_mtime(zc.file), now_ms());
        arm_expiry(*s);
      } else {
        s->t.start_without_copy(now_ms());
        copy_unusable(*s);
      }
      spdlog::info("zone {}: secondary of {}; {}", origin.text(), zc.primaries[0].address.to_string(),
                   s->t.has_copy() ? "serving the kept copy, serial " + std::to_string(s->t.serial()) + "; checking"
                                   : "no copy yet; transferring");
    }
    State& ref = *s;
    next[origin] = std::move(s);
    if (fresh || changed) check(ref);
    update_facts(ref);
  }
  // Zones no longer secondaries: their timers and operations stop with them.
  for (auto& [origin, s] : zones_) {
    s->timer.cancel();
    s->expiry.cancel();
    std::lock_guard lock(facts_mutex_);
    facts_.erase(origin);
  }
  zones_ = std::move(next);
}

void Secondaries::notify_received(const dns::WireName& origin, std::optional<uint32_t> serial) {
  asio::post(io_, [this, origin, serial] {
    auto it = zones_.find(origin);
    if (it != zones_.end()) act_on_notify(*it->second, serial);
  });
}

void Secondaries::refresh_now(const dns::WireName& origin, bool whole, std::function<void(std::string)> done) {
  asio::post(io_, [this, origin, whole, done = std::move(done)] {
    auto it = zones_.find(origin);
    if (it == zones_.end()) return done("zone " + origin.text() + " is not a secondary zone");
    State& s = *it->second;
    spdlog::info("zone {}: {} asked for by rpdnsctl", s.origin.text(), whole ? "a whole transfer" : "a refresh");
    s.whole_asked = s.whole_asked || whole;
    check(s);
    done("");
  });
}

// A NOTIFY starts at most one SOA check, and not within kNotifyHoldOff of
// the last one's start; those that come meanwhile fold into one pending
// check, so a flood makes a check a second and a few log lines. RFC 1996
// §3.7, §3.11: the SOA a NOTIFY carries is a hint; one not newer (RFC
// 1982) than the copy served needs no check (Knot does the same).
void Secondaries::act_on_notify(State& s, std::optional<uint32_t> serial) {
  std::string with = serial ? " with serial " + std::to_string(*serial) : "";
  switch (s.t.fold_notify(serial, now_ms())) {
    case SecondaryTimers::NotifyAction::up_to_date:
      if (s.t.up_to_date() == 1)
        spdlog::info("zone {}: NOTIFY{}: up to date at serial {}", s.origin.text(), with, s.t.serial());
      return;
    case SecondaryTimers::NotifyAction::folded:
      return;
    case SecondaryTimers::NotifyAction::check_now:
      spdlog::info("zone {}: NOTIFY from a primary{}; checking", s.origin.text(), with);
      return check(s);
    case SecondaryTimers::NotifyAction::check_later:
      spdlog::info("zone {}: NOTIFY from a primary{}; {}", s.origin.text(), with,
                   s.t.busy() ? "checking again after the check under way" : "checking within a second");
      if (!s.t.busy()) schedule(s);
  }
}

// build_snapshot found no copy to serve: with a file there, it did not
// load (its errors are logged). Counted, and the zone is transferred at once.
void Secondaries::copy_unusable(State& s) {
  std::error_code unreadable;  // an unreadable directory: no copy to speak of
  if (!std::filesystem::exists(s.config.file, unreadable)) return;
  s.copy_load_failures += 1;
  spdlog::error("zone {}: the kept copy {} did not load; transferring from {} now", s.origin.text(), s.config.file,
                s.config.primaries[0].address.to_string());
}

// The key a primary's requests are signed with: a copy, since a reload
// may replace the keys while a request is out.
std::optional<dns::tsig::Key> Secondaries::primary_key(const State& s, std::size_t index) const {
  if (const dns::tsig::Key* key = config::find_key(keys_, s.config.primaries[index].key)) return *key;
  return std::nullopt;
}

// Callbacks find their zone by origin again: a reload may have removed it.
void Secondaries::check(State& s) {
  if (s.t.busy()) return s.t.check_requested();
  // Once per check, what the NOTIFYs that were not logged came to.
  if (s.t.folded() > 0 || s.t.up_to_date() > 1) {
    spdlog::info("zone {}: checking; {} more NOTIFYs folded into this check, {} more found us up to date",
                 s.origin.text(), s.t.folded(), s.t.up_to_date() > 0 ? s.t.up_to_date() - 1 : 0);
  }
  s.t.check_started(now_ms());
  s.timer.cancel();
  try_primary(s, 0);
}

void Secondaries::try_primary(State& s, std::size_t index) {
  if (index >= s.config.primaries.size()) return failed(s, s.last_error);
  dns::WireName origin = s.origin;
  xfr::query_soa(io_, s.config.primaries[index].address, origin, primary_key(s, index),
                 [this, origin, index](xfr::SoaResult r) {
                   auto it = zones_.find(origin);
                   if (it != zones_.end()) soa_answered(*it->second, index, r);
                 });
}

void Secondaries::soa_answered(State& s, std::size_t index, const xfr::SoaResult& r) {
  if (!r.ok) {
    s.last_error = "SOA query: " + r.error;
    return try_primary(s, index + 1);
  }
  if (s.whole_asked) {
    // The operator's word: from the first primary that answers, whatever
    // its serial (Knot's zone-retransfer likewise skips the serial check).
    s.whole_asked = false;
    return fetch_whole(s, index, false);
  }
  switch (s.t.compare(r.serial)) {
    case SecondaryTimers::Soa::transfer:
      return transfer(s, index);
    case SecondaryTimers::Soa::behind:
      // RFC 1034 §4.3.5: only the same serial shows the copy is current. A
      // lower one, or one 2^31 away (undefined in RFC 1982), is a primary
      // behind us or broken: no refresh from it, or the copy would never
      // expire (Knot: "remote is outdated", a failed refresh).
      s.last_error = s.config.primaries[index].address.to_string() + ": the primary's serial " +
                     std::to_string(r.serial) + " is behind ours (" + std::to_string(s.t.serial()) + ")";
      return try_primary(s, index + 1);
    case SecondaryTimers::Soa::current: {
      bool was_expired = s.t.expired();
      s.t.refreshed(r.expire, now_ms(), jitter(s.t.soa().refresh));
      return refreshed(s, was_expired);
    }
  }
}

void Secondaries::transfer(State& s, std::size_t index) {
  auto served = store_.load()->zones.get(s.origin.wire());
  if (!served || served->soa == nullptr) return fetch_whole(s, index, false);
  dns::WireName origin = s.origin;
  auto start = std::chrono::steady_clock::now();
  xfr::fetch_ixfr(io_, s.config.primaries[index].address, origin, served->soa->first_rdata(), primary_key(s, index),
                  s.limits, [this, origin, index, start, served](xfr::IxfrResult r) {
                    auto it = zones_.find(origin);
                    if (it == zones_.end()) return;
                    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                    incremental(*it->second, index, std::move(r), served, seconds);
                  });
}

void Secondaries::fetch_whole(State& s, std::size_t index, bool fallback) {
  dns::WireName origin = s.origin;
  auto start = std::chrono::steady_clock::now();
  const char* kind = fallback ? "AXFR after IXFR" : "AXFR";
  xfr::fetch_axfr(io_, s.config.primaries[index].address, origin, primary_key(s, index), s.limits,
                  [this, origin, index, start, kind](xfr::AxfrResult r) {
                    auto it = zones_.find(origin);
                    if (it == zones_.end()) return;
                    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                    transferred(*it->second, index, std::move(r), seconds, kind);
                  });
}

// The changes applied to the version they were asked from; whatever goes
// wrong (the primary refuses IXFR, a removed record is not there, the
// result fails the zone checks) costs an AXFR, never the zone served.
void Secondaries::incremental(State& s, std::size_t index, xfr::IxfrResult r,
                              const std::shared_ptr<const zone::Zone>& served, double seconds) {
  std::string problem = r.ok ? "" : r.error;
  if (r.ok && r.kind == xfr::IxfrResult::Kind::current) {
    bool was_expired = s.t.expired();
    s.t.refreshed(r.transfer.expire, now_ms(), jitter(s.t.soa().refresh));
    return refreshed(s, was_expired);
  }
  if (r.ok && r.kind == xfr::IxfrResult::Kind::full)
    return transferred(s, index, std::move(r.transfer), seconds, "IXFR (whole zone)");
  if (r.ok) {
    zone::ParsedRecords records;
    records.files = r.transfer.records.files;
    problem = zone::apply_changes(*served, r.changes, records);
    if (problem.empty()) {
      r.transfer.records = std::move(records);
      r.transfer.serial = r.serial;
      s.incremental_attempt = true;
      return transferred(s, index, std::move(r.transfer), seconds, "IXFR");
    }
  }
  spdlog::warn("zone {}: IXFR from {} failed ({}); trying AXFR", s.origin.text(),
               s.config.primaries[index].address.to_string(), problem);
  s.axfr_fallbacks += 1;
  fetch_whole(s, index, true);
}

void Secondaries::transferred(State& s, std::size_t index, xfr::AxfrResult r, double seconds, const char* kind) {
  bool from_changes = s.incremental_attempt;
  s.incremental_attempt = false;
  if (!r.ok) {
    s.last_error = std::string(kind) + ": " + r.error;
    return try_primary(s, index + 1);
  }
  auto copy = std::make_shared<zone::Zone>();
  copy->origin = s.origin.wire();
  copy->labels = dns::count_labels(copy->origin);
  copy->file = s.config.file;
  std::vector<zone::LoadError> errors;
  zone::LoadWarnings warnings;
  // The same checks as a file's: a zone that would not load is not served.
  if (!zone::build_zone(r.records, r.records.files.front(), *copy, errors, warnings)) {
    if (from_changes) {
      // Our copy with the primary's changes is not a zone: take it whole.
      spdlog::warn("zone {}: the IXFR's result does not load ({}); trying AXFR", s.origin.text(),
                   errors.front().to_string());
      s.axfr_fallbacks += 1;
      return fetch_whole(s, index, true);
    }
    s.last_error = std::string(kind) + " rejected: " + errors.front().to_string();
    return try_primary(s, index + 1);
  }
  if (r.expire == 0) {
    // RFC 7314: a primary that is a secondary whose copy expires now; Knot refuses such a transfer too.
    s.last_error = "AXFR: the primary's copy has expired (EDNS EXPIRE 0)";
    return try_primary(s, index + 1);
  }
  if (std::string problem = keep_copy(s, *copy); !problem.empty()) {
    s.last_error = std::string(kind) + " rejected: its copy " + problem;
    return try_primary(s, index + 1);
  }
  for (const auto& w : warnings.listed) spdlog::warn("{}", w.to_string());
  if (r.ttls_zeroed != 0) {
    spdlog::warn("zone {}: {} TTLs over 2^31 - 1 taken as 0 (RFC 2181 §8)", s.origin.text(), r.ttls_zeroed);
  }
  uint32_t old_serial = s.t.serial();
  bool was_expired = s.t.expired();
  s.transfers += 1;
  if (from_changes) s.incremental_transfers += 1;
  s.transfer_bytes += r.bytes;
  s.last_bytes = r.bytes;
  s.last_seconds = seconds;
  // Published with the new copy's expire time: its EXPIRE answers (and a
  // transfer to a secondary of ours, at once after our NOTIFY) count from now.
  SoaTimers soa = SoaTimers::of(*copy);
  s.t.transferred(copy->serial, soa, r.expire, now_ms(), jitter(soa.refresh));
  // Logged before it is served: whoever sees the new serial answered finds
  // the line that says how it came.
  spdlog::info("zone {}: {} of serial {} (was {}) from {}: {} records, {} messages, {} bytes in {:.3f} s",
               s.origin.text(), kind, s.t.serial(), old_serial, s.config.primaries[index].address.to_string(),
               copy->record_count, r.messages, r.bytes, seconds);
  publish(s, copy);
  if (!s.config.notify.empty() && notify_) notify_(s.origin, s.t.serial(), xfr::notify_targets(keys_, s.config));
  refreshed(s, was_expired);
}

// RFC 1034 §4.3.5: the copy is current as of now (the timers say until
// when); next check after refresh.
void Secondaries::refreshed(State& s, bool was_expired) {
  s.last_error.clear();
  // The file's time plus the SOA expire is when the copy expires, also
  // after a restart (copy_expires_at): with a shorter EXPIRE it lies back.
  zone::touch_file(s.config.file, s.t.expires_at() - int64_t{s.t.soa().expire});
  // The zone set's expire time too: EDNS EXPIRE answers give what is left.
  if (was_expired || s.published_expires_at != s.t.expires_at()) publish(s, nullptr);
  if (was_expired) spdlog::info("zone {}: refreshed; served again", s.origin.text());
  arm_expiry(s);
  schedule(s);
  update_facts(s);
}

void Secondaries::failed(State& s, const std::string& why) {
  s.failures += 1;
  bool expired_now = s.t.failed(now_ms(), jitter(s.t.has_copy() ? s.t.soa().retry : SecondaryTimers::kNoCopyRetry));
  spdlog::warn("zone {}: refresh failed ({}); retrying in {} s", s.origin.text(), why,
               (s.t.next_check() - now_ms() + 999) / 1000);
  if (expired_now) {
    publish(s, nullptr);
    spdlog::error("zone {}: expired (no refresh since {}): answering SERVFAIL", s.origin.text(), s.t.last_refresh());
  }
  schedule(s);
  update_facts(s);
}

// The next SOA check, when the timers say.
void Secondaries::schedule(State& s) {
  s.timer.expires_after(std::chrono::milliseconds(std::max<Millis>(s.t.next_check() - now_ms(), 0)));
  dns::WireName origin = s.origin;
  s.timer.async_wait([this, origin](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = zones_.find(origin);
    if (it != zones_.end()) check(*it->second);
  });
}

// RFC 1034 §4.3.5: past expire without a refresh the copy is no longer
// authoritative.
void Secondaries::arm_expiry(State& s) {
  if (!s.t.has_copy()) return;
  s.expiry.expires_after(std::chrono::seconds(std::max<int64_t>(s.t.expires_at() - now(), 0)));
  dns::WireName origin = s.origin;
  s.expiry.async_wait([this, origin](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = zones_.find(origin);
    if (it == zones_.end() || !it->second->t.expire_due(now_ms())) return;
    State& st = *it->second;
    publish(st, nullptr);
    update_facts(st);
    spdlog::error("zone {}: expired: no successful refresh for {} s; answering SERVFAIL", st.origin.text(),
                  now() - st.t.last_refresh());
  });
}

}  // namespace rpdns::reload
