// Zone reloads on SIGHUP. Loading runs on a thread of its own, so neither
// the workers nor the signal handling wait for it; the result is published
// with one atomic swap. Requests that arrive during a reload are coalesced
// into one more run.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "config/config.hpp"
#include "reload/secondary.hpp"
#include "reload/zones.hpp"
#include "stats/exposition.hpp"
#include "xfr/notifier.hpp"
#include "answer/snapshot.hpp"

namespace rpdns::reload {

class Reloader {
 public:
  // Re-reads the configuration (as at start-up); nullopt, with `errors`
  // filled in, when it is not usable.
  using ReadConfig = std::function<std::optional<config::Config>(std::vector<std::string>& errors)>;
  // `read_config` runs on each reload; `after_publish` after each publish
  // of new zones (the server nudges its idle workers with it).
  Reloader(ReadConfig read_config, config::Config current, answer::SnapshotStore& store,
           std::function<void()> after_publish);
  ~Reloader();
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // What one reload did, for whoever asked for it (the control socket).
  struct Result {
    bool ok = true;
    std::vector<std::string> errors;  // the configuration's, when it was not usable
    std::vector<ZoneReport> reports;  // every zone that did not stay as it was
    double seconds = 0;
  };
  using Done = std::function<void(const Result&)>;

  // Told of each configuration a reload takes up (on the reloader's
  // thread), for the settings that change without a restart outside the
  // zones (dnstap); set before the first reload is requested.
  void on_config(std::function<void(const config::Config&)> f) { on_config_ = std::move(f); }

  // Ends the reloader's thread (waiting for a reload in progress); what was
  // requested and not begun is dropped. Called by the destructor too.
  void stop();

  // Safe from any thread; returns at once. `done`, when given, is called on
  // the reloader's thread once a reload that began after this call has run.
  void request(Done done = nullptr);
  // Reads the zones `origins` again from their
  // files, changed or not, and publishes them; nothing else is re-read.
  void request_zones(std::vector<dns::WireName> origins, Done done);
  // True while a reload is loading zones (any thread).
  bool busy() const { return busy_.load(); }
  // What the last reloads did, for the stats endpoint.
  stats::ReloadFacts facts() const;
  // A NOTIFY was accepted for this secondary zone (any thread).
  void notify_received(const dns::WireName& origin, std::optional<uint32_t> serial) {
    secondaries_.notify_received(origin, serial);
  }
  std::vector<SecondaryFacts> secondary_facts() const { return secondaries_.facts(); }
  // rpdnsctl zone-refresh / zone-retransfer (Secondaries::refresh_now). Any thread.
  void refresh_zone(const dns::WireName& origin, bool whole, std::function<void(std::string)> done) {
    secondaries_.refresh_now(origin, whole, std::move(done));
  }
  // rpdnsctl notify: NOTIFY of the serial served for `origin` to its
  // `notify:` list, now. `done` gets "" and the number of targets, or why
  // not, on the reloader's thread. Any thread.
  void notify_zone(const dns::WireName& origin, std::function<void(std::string, std::size_t)> done);
  // rpdnsctl config-check: the configuration read again and every zone
  // loaded as at a start, nothing served or written; `done` gets the
  // configuration's errors (then no reports) or each zone's report, on the
  // reloader's thread. Any thread.
  void check(std::function<void(const std::vector<std::string>& errors, const config::Config* config,
                                const std::vector<ZoneReport>& reports)>
                 done);

 private:
  void run_pending();
  void reload();
  // Takes the reloadable part of the configuration read again into
  // current_ (`reread`), or nothing when the file did not change since it
  // was last read; false when it was read and is not usable.
  bool read_config(bool& reread);
  void reload_zones(const std::vector<dns::WireName>& origins);
  // Notes a finished reload in facts_; returns its duration in seconds.
  double record(bool ok, std::chrono::steady_clock::time_point start);

  void send_notifies(const config::Reloadable& next, const std::vector<ZoneReport>& reports);
  void keep_result(bool ok, double seconds, std::vector<ZoneReport>& reports);

  ReadConfig read_config_;
  // Its source_stamp unchanged, a reload checks the zones by their files
  // without parsing the configuration again (a second for 100,000 zones).
  // A reload changes only its Reloadable part (and the stamp).
  config::Config current_;
  Result last_;  // loader thread only
  answer::SnapshotStore& store_;
  std::function<void()> after_publish_;
  std::function<void(const config::Config&)> on_config_;
  mutable std::mutex facts_mutex_;
  stats::ReloadFacts facts_;
  std::atomic<uint64_t> requested_{0};
  uint64_t done_ = 0;  // loader thread only
  std::atomic<bool> busy_{false};
  xfr::Notifier notifier_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  Secondaries secondaries_;  // on io_, and gone before it
  std::thread thread_;
};

}  // namespace rpdns::reload
