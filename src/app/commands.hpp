// What rpdnsctl's commands do (control/ carries them): run on the control
// thread, they ask the reloader, the snapshot and the server, and answer
// in plain lines an operator reads.
#pragma once

#include <chrono>
#include <functional>

#include "answer/snapshot.hpp"
#include "config/config.hpp"
#include "control/server.hpp"
#include "reload/reloader.hpp"

namespace rpdns::app {

class Commands {
 public:
  // `stop` stops the server as SIGTERM does.
  Commands(const config::Config& config, reload::Reloader& reloader, const answer::SnapshotStore& store,
           std::function<void()> stop);

  void handle(const control::Request& request, const control::ControlServer::Respond& respond);

 private:
  control::Reply status() const;
  void reload(const std::vector<std::string>& zones, const control::ControlServer::Respond& respond);

  const config::Config& config_;
  reload::Reloader& reloader_;
  const answer::SnapshotStore& store_;
  std::function<void()> stop_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// The reply to a reload: a line per zone that changed or failed, then the total.
control::Reply describe(const reload::Reloader::Result& result);

}  // namespace rpdns::app
