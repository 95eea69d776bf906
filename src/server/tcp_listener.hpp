// DNS over TCP (RFC 1035 §4.2.2, RFC 7766) for one worker: a listener bound
// with SO_REUSEPORT beside the worker's UDP socket, on the worker's own
// io_context, so TCP answers come from the same thread and snapshot.
//
// Against a host that opens connections and stalls (RFC 7766 §6.2.3 leaves
// the defences to us): a cap per client prefix across all workers, a short
// I/O timeout once a message's length has arrived, the idle timeout
// otherwise, and when the worker is full the oldest connection that is not
// streaming a zone transfer makes room for the new one. Accept errors
// (descriptors exhausted) back off on a timer instead of spinning.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>

#include "config/config.hpp"
#include "policy/connection_limit.hpp"
#include "server/worker.hpp"

namespace rpdns::server {

struct TcpLimits {
  std::chrono::seconds idle{10};                  // between messages
  std::chrono::milliseconds io{1000};             // for a message body once its length is in
  unsigned per_worker = 256;                      // open connections one worker accepts
  unsigned total = 1024;                          // open connections in the whole server
  std::atomic<unsigned>* open = nullptr;          // shared count behind `total`
  policy::ConnectionLimit* per_client = nullptr;  // shared cap per client prefix
};

class TcpListener {
 public:
  // Binds, or with `fd` >= 0 listens on that inherited socket (see
  // inherited.hpp); throws boost::system::system_error on failure.
  TcpListener(Worker& worker, const config::ListenAddress& address, const TcpLimits& limits, int fd = -1);

  void start();
  // Stops accepting and closes the listening socket (a successor holds it
  // too); each open connection answers what it has read, keeps answering
  // while its client sends, and closes after kDrainQuiet without a query.
  // A transfer streams to its end. Posted to the worker's thread.
  void drain();
  int fd() { return acceptor_.native_handle(); }

  // The open connections, counted and listed; shared with the sessions so
  // that a session outliving its listener (at shutdown) still has
  // something to release.
  struct Connections {
    unsigned open = 0;  // this worker's, worker thread only
    std::atomic<unsigned>* total = nullptr;
    policy::ConnectionLimit* per_client = nullptr;
    // Open sessions, oldest first, so that a full worker can close one for
    // a new client. Worker thread only.
    std::deque<std::weak_ptr<class Session>> sessions;
    bool draining = false;  // worker thread only
    void release(std::size_t client_slot) {
      --open;
      total->fetch_sub(1);
      per_client->release(client_slot);
    }
  };

 private:
  void accept();
  void accepted(boost::asio::ip::tcp::socket socket);
  void back_off(const boost::system::error_code& ec);
  bool make_room();

  Worker& worker_;
  TcpLimits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::chrono::steady_clock::time_point last_error_log_{};
  std::shared_ptr<Connections> connections_;
};

}  // namespace rpdns::server
