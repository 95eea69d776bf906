// One worker: one thread running one io_context, which owns the worker's
// SO_REUSEPORT UDP socket (received in batches, see batch_receive.hpp) and
// its TCP listener, its buffers, counters, rate-limit table and its copy of
// the pointer to the published answer::Snapshot. Nothing here is shared
// with another thread but the answer::SnapshotStore that publishes it, and
// the io_context's queue, which other threads reach only by post(): a
// reload's nudge and stop().
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "answer/answer.hpp"
#include "dns/cookie.hpp"
#include "dns/name.hpp"
#include "dnstap/writer.hpp"
#include "server/batch_receive.hpp"
#include "policy/rate_limit.hpp"
#include "answer/snapshot.hpp"
#include "stats/counters.hpp"

namespace rpdns::server {

struct WorkerSettings {
  answer::Options answer;
  unsigned batch_size = 64;
  int cpu = -1;  // pin the thread to this CPU; -1: leave it to the scheduler
  policy::RateLimitSettings rate_limit;
  // DNS cookie secrets, the first making cookies; empty: cookies off.
  std::vector<dns::CookieSecret> cookie_secrets;
  // Told of each NOTIFY accepted for a secondary zone: its canonical
  // origin, and the serial of the SOA the NOTIFY carried, if any.
  std::function<void(const dns::WireName&, std::optional<uint32_t>)> on_notify;
};

class Worker {
 public:
  // Takes ownership of `fd`, a bound non-blocking UDP socket (see
  // open_udp_sockets); `pktinfo` when it is bound to a wildcard address.
  Worker(unsigned index, int fd, bool pktinfo, answer::SnapshotStore& store, const WorkerSettings& settings);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Stops receiving; the batch in hand is still answered. Then join().
  void stop();
  void join();
  // Stops reading UDP for good, leaving the socket to a successor that
  // shares it; the batch in hand is still answered. The thread runs on
  // while its TCP connections do (see TcpListener::drain).
  void drain();
  // The thread's io_context has run out of work (after drain()).
  bool ran_out() const { return ran_out_.load(); }
  // drain() has taken effect: nothing more is read or counted from UDP.
  bool drained() const { return drained_.load(); }
  int fd() const { return fd_.fd; }
  // Makes the worker take the newly published zones now, so that an idle
  // worker drops the old snapshot at once.
  void nudge();

  unsigned index() const { return index_; }
  boost::asio::io_context& io() { return io_; }
  // The current snapshot (worker thread only).
  std::shared_ptr<const answer::Snapshot> snapshot() {
    cached_.refresh(store_);
    return cached_.snapshot;
  }
  const answer::Options& answer_options() const { return settings_.answer; }
  // Passes an accepted NOTIFY on (RFC 1996 §3.11: the refresh starts now).
  void pass_on_notify(const answer::Reply& result) const {
    if (result.notify != nullptr && settings_.on_notify)
      settings_.on_notify(dns::WireName(result.notify->origin), result.notify_serial);
  }
  // Counts a query the worker's TCP listener answered (worker thread only).
  void record_tcp(const answer::Reply& result) {
    counters_.queries.add();
    count(result);
  }
  void count_tcp_refused() { counters_.tcp_refused.add(); }
  void count_tcp_evicted() { counters_.tcp_evicted.add(); }
  // A transfer streamed out: AXFR, IXFR with changes, or IXFR in full.
  void count_transfer(uint16_t qtype, bool incremental) {
    (qtype == dns::type::AXFR ? counters_.transfers_axfr
                              : (incremental ? counters_.transfers_ixfr : counters_.transfers_ixfr_full))
        .add();
  }
  void count_transfer_bytes(std::size_t bytes) { counters_.transfer_bytes.add(bytes); }
  void count_tcp_accept_error() { counters_.tcp_accept_errors.add(); }
  // dnstap (worker thread only): null while it is off, so that the query
  // path pays one predictable branch for it; set before start(), or on the
  // worker's thread (a reload posts it).
  void set_tap(dnstap::Tap* tap) { tap_ = tap; }
  dnstap::Tap* tap() const { return tap_; }
  // Where the worker's TCP sessions build their answers (worker thread
  // only): 2 + dns::kMaxMessageSize bytes, shared because a session answers
  // synchronously and copies the reply out before the next one runs.
  uint8_t* tcp_scratch() { return tcp_scratch_.get(); }
  // Written by the worker thread alone; read by anyone.
  const stats::WorkerCounters& counters() const { return counters_; }
  // For the dnstap writer's thread, which counts its messages in the worker's block.
  stats::WorkerCounters& counters() { return counters_; }

 private:
  struct Slot;
  // The worker's copy of the store's pointer to the published snapshot,
  // renewed when the store's generation moves (one atomic load per batch).
  struct CachedSnapshot {
    std::shared_ptr<const answer::Snapshot> snapshot;
    uint64_t generation = 0;
    void refresh(answer::SnapshotStore& store);
  };

  void receive(bool continuation);
  static void received(void* self, const boost::system::error_code& ec, unsigned count);
  void prepare_receive(std::size_t i);
  void pin_to_cpu();
  unsigned answer_batch(unsigned received);
  void count(const answer::Reply& result);
  // How much of `reply` to send after the reflection rule and rate
  // limiting: its size, 0 for nothing, or a truncated reply's size, made
  // in `reply`, on a slip.
  std::size_t bytes_to_send(const sockaddr* peer, const uint8_t* request, uint8_t* reply, const answer::Reply& result,
                            uint64_t now_ms);
  void send_batch(unsigned count);
  void tap_udp(const Slot& slot, unsigned length, const timespec& received, std::size_t size);

  unsigned index_;
  answer::SnapshotStore& store_;
  // This thread's cookie hashing state (UDP and TCP answers alike); before
  // settings_, whose answer options point to it.
  std::unique_ptr<dns::ServerCookies> cookies_;
  WorkerSettings settings_;
  bool pktinfo_ = false;
  std::size_t reply_capacity_;
  // Owned; closed last, after the reactor has let go of it.
  struct OwnedFd {
    int fd;
    ~OwnedFd();
  } fd_;
  // Only this thread does I/O on the worker's descriptors, so the reactor
  // needs no per-descriptor locks; post() from other threads stays safe.
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  BatchReceiver receiver_;  // after io_: goes first, while the reactor exists
  std::thread thread_;
  std::atomic<bool> ran_out_{false};
  std::atomic<bool> drained_{false};
  bool stopping_ = false;   // worker thread only
  bool receiving_ = false;  // a receive is pending (worker thread; join() once it has ended)
  CachedSnapshot cached_;
  std::vector<Slot> slots_;
  std::vector<mmsghdr> recv_msgs_;
  std::vector<mmsghdr> send_msgs_;
  policy::RateLimiter limiter_;
  std::unique_ptr<uint8_t[]> tcp_scratch_;
  stats::WorkerCounters counters_;
  dnstap::Tap* tap_ = nullptr;  // owned by the server's dnstap::Writer
  sockaddr_storage local_{};    // the UDP socket's own address, for dnstap
};

}  // namespace rpdns::server
