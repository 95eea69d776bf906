#include "reload/reloader.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <algorithm>
#include <chrono>

#include "config/schema.hpp"
#include "reload/zones.hpp"
#include "zone/loader.hpp"

namespace rpdns::reload {

Reloader::Reloader(ReadConfig read_config, config::Config current, answer::SnapshotStore& store,
                   std::function<void()> after_publish)
    : read_config_(std::move(read_config)),
      current_(std::move(current)),
      store_(store),
      after_publish_(std::move(after_publish)),
      work_(io_.get_executor()),
      secondaries_(io_, store_, after_publish_,
                   [this](const dns::WireName& origin, uint32_t serial, const std::vector<xfr::NotifyTarget>& targets) {
                     notifier_.notify(origin, serial, targets);
                   }),
      thread_([this] {
        // Loading yields the CPU to the workers: a big zone parses in the
        // background while answers keep their speed. The parse threads it
        // starts inherit this nice value.
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
        io_.run();
      }) {
  boost::asio::post(io_, [this] { secondaries_.configure(current_); });
}

Reloader::~Reloader() { stop(); }

void Reloader::stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void Reloader::request(Done done) {
  requested_.fetch_add(1);
  boost::asio::post(io_, [this, done = std::move(done)] {
    run_pending();
    if (done) done(last_);
  });
}

void Reloader::request_zones(std::vector<dns::WireName> origins, Done done) {
  boost::asio::post(io_, [this, origins = std::move(origins), done = std::move(done)] {
    busy_.store(true);
    reload_zones(origins);
    busy_.store(false);
    if (done) done(last_);
  });
}

stats::ReloadFacts Reloader::facts() const {
  std::lock_guard lock(facts_mutex_);
  return facts_;
}

void Reloader::run_pending() {
  uint64_t target = requested_.load();
  if (target == done_) return;  // already covered by a run that started after it
  busy_.store(true);
  reload();
  busy_.store(false);
  done_ = target;
}

bool Reloader::read_config(bool& reread) {
  if (current_.source_stamp && config::file_stamp(current_.source) == current_.source_stamp) {
    spdlog::info("reload: {} unchanged; checking the zone files", current_.source);
    return true;
  }
  std::vector<std::string> errors;
  auto fresh = read_config_(errors);
  if (!fresh) {
    for (const auto& e : errors) spdlog::error("reload: {}", e);
    spdlog::error("reload: configuration not usable; nothing changed");
    last_.errors = std::move(errors);
    return false;
  }
  // Sockets, workers and their settings are made once: only the reloadable
  // part is taken, and what the schema marks restart-only keeps its running value.
  for (const auto& warning : config::keep_restart_only(current_, std::move(*fresh)))
    spdlog::warn("reload: {}", warning);
  reread = true;
  return true;
}

void Reloader::reload() {
  auto start = std::chrono::steady_clock::now();
  spdlog::info("reload: started");
  last_ = Result{};
  bool reread = false;
  if (!read_config(reread)) {
    last_.ok = false;
    last_.seconds = record(false, start);
    return;
  }
  const config::Reloadable& next = current_.reloadable;
  auto previous = store_.load();
  std::vector<ZoneReport> reports;
  // An unchanged configuration names the same zones with the same lists:
  // only zone files can have changed.
  auto snapshot = reread ? build_snapshot(next, &previous->zones, reports) : refresh_snapshot(next, *previous, reports);
  log_reports(reports);
  store_.publish(std::move(snapshot));
  send_notifies(next, reports);
  if (after_publish_) after_publish_();  // idle workers drop the old set now, not at their next query
  previous.reset();
  write_bases(reports);
  return_freed_memory();
  if (reread) {
    secondaries_.configure(current_);
    if (on_config_) on_config_(current_);
  }
  bool ok = std::all_of(reports.begin(), reports.end(), [](const ZoneReport& r) { return r.errors.empty(); });
  double seconds = record(ok, start);
  keep_result(ok, seconds, reports);
  spdlog::info("reload: done in {:.3f} s{}", seconds, ok ? "" : " (with errors)");
}

void Reloader::reload_zones(const std::vector<dns::WireName>& origins) {
  auto start = std::chrono::steady_clock::now();
  last_ = Result{};
  auto previous = store_.load();
  std::vector<ZoneReport> reports;
  auto next = reread_zones(current_.reloadable, *previous, origins, reports);
  log_reports(reports);
  store_.publish(std::move(next));
  send_notifies(current_.reloadable, reports);
  if (after_publish_) after_publish_();
  previous.reset();
  write_bases(reports);
  bool ok = std::all_of(reports.begin(), reports.end(), [](const ZoneReport& r) { return r.errors.empty(); });
  double seconds = record(ok, start);
  keep_result(ok, seconds, reports);
  spdlog::info("reload of {} zone(s): done in {:.3f} s{}", origins.size(), seconds, ok ? "" : " (with errors)");
}

// Only what changed goes back to the one who asked: 100,000 "unchanged"
// lines say nothing.
void Reloader::keep_result(bool ok, double seconds, std::vector<ZoneReport>& reports) {
  last_.ok = ok;
  last_.seconds = seconds;
  for (auto& r : reports) {
    if (r.outcome != ZoneReport::Outcome::unchanged || !r.errors.empty()) last_.reports.push_back(std::move(r));
  }
}

void Reloader::notify_zone(const dns::WireName& origin, std::function<void(std::string, std::size_t)> done) {
  boost::asio::post(io_, [this, origin, done = std::move(done)] {
    const config::ZoneConfig* zone = config::find_zone(current_.reloadable.zones, origin);
    auto served = store_.load()->zones.get(origin.wire());
    if (zone == nullptr || !served || served->soa == nullptr)
      return done("zone " + origin.text() + " is not served", 0);
    if (zone->notify.empty()) return done("zone " + origin.text() + " has no notify: list", 0);
    notifier_.notify(zone->origin, served->serial, xfr::notify_targets(current_.reloadable.keys, *zone));
    done("", zone->notify.size());
  });
}

void Reloader::check(
    std::function<void(const std::vector<std::string>&, const config::Config*, const std::vector<ZoneReport>&)> done) {
  boost::asio::post(io_, [this, done = std::move(done)] {
    std::vector<std::string> errors;
    std::vector<ZoneReport> reports;
    auto config = read_config_(errors);
    if (!config) return done(errors, nullptr, reports);
    // Loaded as at a start (previous: none), which writes no file.
    build_snapshot(config->reloadable, nullptr, reports);
    done(errors, &*config, reports);
    return_freed_memory();
  });
}

// RFC 1996 §3.5: a changed serial is announced to the zone's secondaries.
void Reloader::send_notifies(const config::Reloadable& next, const std::vector<ZoneReport>& reports) {
  for (const auto& [zone, serial] : zones_to_notify(next, reports)) {
    notifier_.notify(zone->origin, serial, xfr::notify_targets(next.keys, *zone));
  }
}

double Reloader::record(bool ok, std::chrono::steady_clock::time_point start) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto now = std::chrono::system_clock::now().time_since_epoch();
  std::lock_guard lock(facts_mutex_);
  (ok ? facts_.succeeded : facts_.failed) += 1;
  facts_.last_ok = ok;
  facts_.last_seconds = seconds;
  facts_.last_unix_time = std::chrono::duration<double>(now).count();
  return seconds;
}

}  // namespace rpdns::reload
