// DNS over TCP (RFC 1035 §4.2.2, RFC 7766) for one worker: a listener bound
// with SO_REUSEPORT beside the worker's UDP socket, on the worker's own
// io_context, so TCP answers come from the same thread and snapshot.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <deque>
#include <memory>

#include "config/config.hpp"
#include "server/worker.hpp"

namespace rpdns::server {

struct TcpLimits {
  std::chrono::seconds idle{10};          // an idle or stalled connection is closed after this
  unsigned per_worker = 256;              // open connections one worker accepts
  unsigned total = 1024;                  // open connections in the whole server
  std::atomic<unsigned>* open = nullptr;  // shared count behind `total`
};

class TcpListener {
 public:
  // Binds; throws std::system_error on failure.
  TcpListener(Worker& worker, const config::ListenAddress& address, const TcpLimits& limits);

  void start();

  // Counts open connections; shared with the sessions so that a session
  // outliving its listener (at shutdown) still has something to release.
  struct Gate {
    unsigned open = 0;  // this worker's, worker thread only
    std::atomic<unsigned>* total = nullptr;
    // Open sessions, oldest first, so that a full worker can close an idle
    // one for a new client (RFC 7766 §6.2.3). Worker thread only.
    std::deque<std::weak_ptr<class Session>> sessions;
    void release() {
      --open;
      total->fetch_sub(1);
    }
  };

 private:
  void accept();
  bool make_room();

  Worker& worker_;
  TcpLimits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Gate> gate_;
};

}  // namespace rpdns::server
