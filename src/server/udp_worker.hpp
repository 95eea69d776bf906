// One UDP worker: a thread, its own io_context and its own SO_REUSEPORT
// socket. It waits for readability through Asio, then drains the socket in
// batches with recvmmsg and answers each batch with one sendmmsg.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "answer/answer.hpp"
#include "config/config.hpp"
#include "server/rate_limit.hpp"
#include "server/zone_store.hpp"
#include "stats/counters.hpp"

namespace rpdns::server {

struct WorkerSettings {
  answer::Options answer;
  unsigned batch_size = 64;
  bool plain_io = false;  // async_receive_from, one datagram at a time (for comparison)
  int cpu = -1;           // pin the thread to this CPU; -1: leave it to the scheduler
  RateLimitSettings rate_limit;
};

class UdpWorker {
 public:
  // Takes ownership of `fd`, a bound non-blocking UDP socket (see
  // open_udp_sockets); `pktinfo` when it is bound to a wildcard address.
  UdpWorker(unsigned index, int fd, bool ipv6, bool pktinfo, ZoneStore& store, const WorkerSettings& settings);
  ~UdpWorker();
  UdpWorker(const UdpWorker&) = delete;
  UdpWorker& operator=(const UdpWorker&) = delete;

  void start();
  // Stops receiving; the batch in hand is still answered. Then join().
  void stop();
  void join();
  // Makes an idle worker drop its old snapshot after a publish.
  void nudge();

  unsigned index() const { return index_; }
  boost::asio::io_context& io() { return io_; }
  // The current zone snapshot (worker thread only).
  std::shared_ptr<const zone::ZoneSet> snapshot() {
    refresh_snapshot();
    return snapshot_;
  }
  const answer::Options& answer_options() const { return settings_.answer; }
  // Counts a TCP query the worker's listener answered (worker thread only).
  void record_tcp(const answer::Outcome& result) {
    counters_.queries.add();
    count(result);
  }
  const stats::WorkerCounters& counters() const { return counters_; }

 private:
  struct Slot;

  void wait_readable();
  void drain();
  void receive_plain();
  unsigned answer_batch(unsigned received);
  void count(const answer::Outcome& result);
  // Applies rate limiting and reflection rules; returns the bytes to send
  // (0: send nothing), having made a truncated reply in `reply` on a slip.
  std::size_t screen(const sockaddr* peer, const uint8_t* request, uint8_t* reply,
                     const answer::Outcome& result, uint64_t now_ms);
  void send_batch(unsigned count);
  void refresh_snapshot();

  unsigned index_;
  ZoneStore& store_;
  WorkerSettings settings_;
  bool pktinfo_ = false;
  std::size_t reply_capacity_;
  boost::asio::io_context io_;
  boost::asio::ip::udp::socket socket_;
  std::thread thread_;
  std::shared_ptr<const zone::ZoneSet> snapshot_;
  uint64_t generation_ = 0;
  std::vector<Slot> slots_;
  std::vector<mmsghdr> recv_msgs_;
  std::vector<mmsghdr> send_msgs_;
  boost::asio::ip::udp::endpoint plain_peer_;
  RateLimiter limiter_;
  stats::WorkerCounters counters_;
};

}  // namespace rpdns::server
