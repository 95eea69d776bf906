// The set of UDP workers: for each listen address, N workers with one
// SO_REUSEPORT socket each. The set never changes while serving, because
// the kernel's reuseport hash depends on the number of sockets.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "server/inherited.hpp"
#include "dnstap/writer.hpp"
#include "server/tcp_listener.hpp"
#include "server/udp_socket.hpp"
#include "server/worker.hpp"
#include "answer/snapshot.hpp"
#include "stats/exposition.hpp"

namespace rpdns::server {

class Server {
 public:
  // Binds every socket; throws std::runtime_error naming the address that failed.
  // `on_notify` hears of every NOTIFY accepted for a secondary zone, from
  // the worker threads.
  // With `inherited`, the sockets it holds for each listen address are
  // used before any is opened (an upgrade, or systemd's socket activation).
  Server(const config::ServerSettings& config, answer::SnapshotStore& store,
         std::function<void(const dns::WireName&, std::optional<uint32_t>)> on_notify = {},
         InheritedSockets* inherited = nullptr, const config::DnstapSettings& dnstap = {});

  // Stops and joins the workers, then the dnstap writer, whose thread
  // counts into the workers' counters: they must outlive it, as its rings
  // must outlive the workers' last writes.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  void request_stop();  // every worker stops receiving; returns at once
  void join();          // waits for every worker to finish its batch and exit
  void stop() {
    request_stop();
    join();
  }
  // A hand-over to a successor that already reads the same sockets: every
  // worker stops reading UDP and accepting TCP and closes its listener;
  // open TCP connections finish the query or transfer in hand and close
  // once quiet. Returns once no worker reads UDP any more (or after 1 s).
  void drain();
  // After drain(): waits until every worker has run out of work or
  // `deadline` has passed, then stops them all; false when some connection
  // was still open at the deadline.
  bool join_until(std::chrono::steady_clock::time_point deadline);
  // Every listening descriptor (UDP sockets and TCP listeners), for a successor.
  std::vector<int> listening_fds() const;
  // Counters a predecessor counted for its worker `index` on `label`: added
  // to what views() reports, so totals carry on across an upgrade. Call
  // before anything reads views() from another thread.
  void carry(const std::string& label, std::size_t index, const stats::WorkerCounters& counters);
  void nudge_all();
  // One line per worker with its query count, and the busiest/idlest ratio.
  void log_counts() const;
  std::vector<stats::WorkerView> views() const;
  // Takes up a reload's dnstap settings (on the reloader's thread): a new
  // writer when they changed, each worker switched to it, then the old one
  // closed (server/dnstap.cpp).
  void reconfigure_dnstap(const config::DnstapSettings& config);

  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }

 private:
  TcpLimits tcp_limits(const config::ServerSettings& config);
  static std::vector<int> udp_sockets(const config::ListenAddress& address, unsigned workers,
                                      const UdpSocketOptions& options, InheritedSockets* inherited);
  void add_listeners(const config::ListenAddress& address, unsigned workers, const TcpLimits& limits,
                     InheritedSockets* inherited);
  void start_dnstap(const config::DnstapSettings& config);  // server/dnstap.cpp
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
  std::unique_ptr<stats::WorkerCounters[]> carried_;  // a predecessor's, one per worker
};

}  // namespace rpdns::server
