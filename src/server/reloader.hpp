// Zone reloads on SIGHUP. Loading runs on a thread of its own, so neither
// the workers nor the signal handling wait for it; the result is published
// with one atomic swap. Requests that arrive during a reload are coalesced
// into one more run.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "cli.hpp"
#include "config/config.hpp"
#include "server/notifier.hpp"
#include "server/server.hpp"
#include "server/zones.hpp"
#include "server/zone_store.hpp"
#include "stats/exposition.hpp"

namespace rpdns::server {

class Reloader {
 public:
  Reloader(cli::Arguments args, config::Config current, ZoneStore& store, Server& server);
  ~Reloader();
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // Safe from any thread; returns at once.
  void request();
  // What the last reloads did, for the stats endpoint.
  stats::ReloadFacts facts() const;

 private:
  void run_pending();
  void reload();
  void warn_restart_only(const config::Config& next) const;
  // Notes a finished reload in facts_; returns its duration in seconds.
  double record(bool ok, std::chrono::steady_clock::time_point start);

  void send_notifies(const config::Config& next, const std::vector<ZoneReport>& reports);

  cli::Arguments args_;
  config::Config current_;
  ZoneStore& store_;
  Server& server_;
  mutable std::mutex facts_mutex_;
  stats::ReloadFacts facts_;
  std::atomic<uint64_t> requested_{0};
  uint64_t done_ = 0;  // loader thread only
  Notifier notifier_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace rpdns::server
