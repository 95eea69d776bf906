// What rpdnsctl's commands do (control/ carries them): run on the control
// thread, they ask the reloader, the snapshot and the server, and answer
// in plain lines an operator reads, or in JSON when asked (--json).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "answer/snapshot.hpp"
#include "config/config.hpp"
#include "control/server.hpp"
#include "reload/reloader.hpp"

namespace rpdns::app {

class Commands {
 public:
  using Respond = control::ControlServer::Respond;
  // `stop` stops the server as SIGTERM does; `metrics` renders what
  // /metrics serves (Prometheus text).
  Commands(const config::Config& config, reload::Reloader& reloader, const answer::SnapshotStore& store,
           std::function<void()> stop, std::function<std::string()> metrics);

  void handle(const control::Request& request, const Respond& respond);

  // What `upgrade` starts (app/upgrade.hpp); the function it is given
  // hears whether the successor took over, and why not.
  using UpgradeDone = std::function<void(bool ok, const std::string& message)>;
  void on_upgrade(std::function<void(UpgradeDone)> upgrade) { upgrade_ = std::move(upgrade); }

 private:
  void status(const control::Request& request, const Respond& respond);
  void reload(const control::Request& request, const Respond& respond);
  void zone_status(const control::Request& request, const Respond& respond);
  void refresh(const control::Request& request, const Respond& respond);
  void notify(const control::Request& request, const Respond& respond);
  void stats(const control::Request& request, const Respond& respond);
  void config_check(const control::Request& request, const Respond& respond);
  void upgrade(const control::Request& request, const Respond& respond);
  void stop(const control::Request& request, const Respond& respond);

  const config::Config& config_;
  reload::Reloader& reloader_;
  const answer::SnapshotStore& store_;
  std::function<void()> stop_;
  std::function<std::string()> metrics_;
  std::function<void(UpgradeDone)> upgrade_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// The reply to a reload: a line per zone that changed or failed, then the
// total; as JSON, the same facts.
control::Reply describe(const reload::Reloader::Result& result, bool json = false);

}  // namespace rpdns::app
