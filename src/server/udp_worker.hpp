// One worker: its own SO_REUSEPORT socket, a thread that blocks in recvmmsg
// on it and answers each batch with one sendmmsg, and its own io_context on a
// second thread for the worker's TCP listener (and the plain UDP mode).
//
// Why not wait for UDP through Asio: its epoll reactor re-arms the socket
// with an epoll_ctl on every wait, so each wake-up cost epoll_wait, epoll_ctl,
// recvmmsg and sendmmsg; blocking in recvmmsg costs recvmmsg and sendmmsg
// alone, which at moderate rates (a wake-up per query or two) is most of the
// CPU a query takes.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <atomic>
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
  // The current zone snapshot (io_context thread only).
  std::shared_ptr<const zone::ZoneSet> snapshot() {
    io_snapshot_.refresh(store_);
    return io_snapshot_.zones;
  }
  const answer::Options& answer_options() const { return settings_.answer; }
  // Counts a TCP query the worker's listener answered (io_context thread only).
  void record_tcp(const answer::Outcome& result) {
    tcp_counters_.queries.add();
    count(tcp_counters_, result);
  }
  // UDP, and TCP: each block has one writing thread.
  const stats::WorkerCounters& counters() const { return counters_; }
  const stats::WorkerCounters& tcp_counters() const { return tcp_counters_; }

 private:
  struct Slot;
  // One thread's reference to the published zones, renewed when the store's
  // generation moves (one atomic load per batch).
  struct Snapshot {
    std::shared_ptr<const zone::ZoneSet> zones;
    uint64_t generation = 0;
    void refresh(ZoneStore& store);
  };

  void receive_loop();
  void prepare_receive(std::size_t i);
  void pin_to_cpu();
  void receive_plain();
  unsigned answer_batch(unsigned received);
  static void count(stats::WorkerCounters& counters, const answer::Outcome& result);
  // Applies rate limiting and reflection rules; returns the bytes to send
  // (0: send nothing), having made a truncated reply in `reply` on a slip.
  std::size_t screen(const sockaddr* peer, const uint8_t* request, uint8_t* reply,
                     const answer::Outcome& result, uint64_t now_ms);
  void send_batch(unsigned count);

  unsigned index_;
  ZoneStore& store_;
  WorkerSettings settings_;
  bool pktinfo_ = false;
  std::size_t reply_capacity_;
  boost::asio::io_context io_;
  int fd_;                                // the UDP socket, owned
  boost::asio::ip::udp::socket socket_;   // the same, in plain mode only
  std::thread io_thread_;
  std::thread udp_thread_;          // batched mode only
  std::atomic<bool> stopping_{false};
  Snapshot udp_snapshot_;           // the UDP thread's (the io thread's in plain mode)
  Snapshot io_snapshot_;            // the io thread's, for TCP
  std::vector<Slot> slots_;
  std::vector<mmsghdr> recv_msgs_;
  std::vector<mmsghdr> send_msgs_;
  boost::asio::ip::udp::endpoint plain_peer_;
  RateLimiter limiter_;
  stats::WorkerCounters counters_;
  stats::WorkerCounters tcp_counters_;
};

}  // namespace rpdns::server
