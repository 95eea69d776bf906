// The set of UDP workers: for each listen address, N workers with one
// SO_REUSEPORT socket each. The set never changes while serving, because
// the kernel's reuseport hash depends on the number of sockets.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dnstap/writer.hpp"
#include "server/tcp_listener.hpp"
#include "server/worker.hpp"
#include "answer/snapshot.hpp"
#include "stats/exposition.hpp"

namespace rpdns::server {

class Server {
 public:
  // Binds every socket; throws std::runtime_error naming the address that failed.
  // `on_notify` hears of every NOTIFY accepted for a secondary zone, from
  // the worker threads.
  Server(const config::Config& config, answer::SnapshotStore& store,
         std::function<void(const dns::WireName&, std::optional<uint32_t>)> on_notify = {});

  void start();
  void request_stop();  // every worker stops receiving; returns at once
  void join();          // waits for every worker to finish its batch and exit
  void stop() {
    request_stop();
    join();
  }
  void nudge_all();
  // One line per worker with its query count, and the busiest/idlest ratio.
  void log_counts() const;
  std::vector<stats::WorkerView> views() const;
  // Takes up a reload's dnstap settings (on the reloader's thread): a new
  // writer when they changed, each worker switched to it, then the old one
  // closed (server/dnstap.cpp).
  void reconfigure_dnstap(const config::Config& config);

  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }

 private:
  TcpLimits tcp_limits(const config::Config& config);
  void start_dnstap(const config::Config& config);  // server/dnstap.cpp
  // Destroyed in reverse: listeners (their acceptors) go while the workers'
  // io_contexts still exist, and the connection counts outlive both, since
  // sessions still queued in an io_context release theirs when it goes.
  std::atomic<unsigned> tcp_open_{0};
  policy::ConnectionLimit tcp_per_client_;
  // Outlives the workers, which log into its rings; null while dnstap is off.
  std::unique_ptr<dnstap::Writer> dnstap_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<TcpListener>> listeners_;
  std::vector<std::string> labels_;
};

}  // namespace rpdns::server
