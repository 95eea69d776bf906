// recvmmsg as an Asio reactor operation: the one place rpdns reaches into
// Asio's detail interface.
//
// Asio has no batched receive. The public ways to get one cost system
// calls: async_wait() re-arms the descriptor with epoll_ctl(MOD) on every
// wait, so a wake-up costs epoll_wait, epoll_ctl, recvmmsg and sendmmsg.
// An operation of our own, started with speculation allowed, is queued on
// the (edge-triggered) descriptor without a re-arm, and its perform() is the
// recvmmsg. When a receive drains the socket it reports "exhausted", so the
// next start queues at once instead of trying a recvmmsg that would find
// nothing: a wake-up costs epoll_wait, recvmmsg and sendmmsg, as in Knot DNS
// and NSD. Under load, a full batch is followed by a speculative recvmmsg
// with no epoll_wait in between.
//
// The interface used (reactor_op, epoll_reactor's register/start/cancel/
// deregister) was read in Boost 1.74's sources; other versions must be
// checked again before this builds with them.
#pragma once

#include <sys/socket.h>

// io_context first: the reactor's headers need the scheduler it declares.
#include <boost/asio/io_context.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/version.hpp>

#if BOOST_VERSION / 100 != 1074
#error "server/batch_receive.hpp uses Asio's reactor internals as of Boost 1.74: check them for this version"
#endif

namespace rpdns::server {

class BatchReceiver {
 public:
  // Called on the io_context's thread with the datagrams received (at least
  // one), or with an error (operation_aborted after cancel()).
  using Done = void (*)(void* context, const boost::system::error_code& ec, unsigned received);

  // Registers `fd` (a non-blocking UDP socket, still owned by the caller)
  // with the io_context's reactor.
  BatchReceiver(boost::asio::io_context& io, int fd);
  ~BatchReceiver();
  BatchReceiver(const BatchReceiver&) = delete;
  BatchReceiver& operator=(const BatchReceiver&) = delete;

  // Starts receiving up to `count` datagrams into `msgs`. One receive at a
  // time: call again only from `done`, or after it ran. `continuation` is
  // true when called from `done` (Asio then skips a lock).
  void async_receive(mmsghdr* msgs, unsigned count, Done done, void* context, bool continuation);
  // A pending receive completes with operation_aborted.
  void cancel();

 private:
  class Op : public boost::asio::detail::reactor_op {
   public:
    Op() : reactor_op(boost::system::error_code(), &Op::perform, &Op::complete) {}

    int fd = -1;
    mmsghdr* msgs = nullptr;
    unsigned count = 0;
    unsigned received = 0;
    Done on_done = nullptr;
    void* context = nullptr;

   private:
    static status perform(reactor_op* base);
    static void complete(void* owner, boost::asio::detail::operation* base, const boost::system::error_code&,
                         std::size_t);
  };

  boost::asio::detail::reactor& reactor_;
  int fd_;
  boost::asio::detail::reactor::per_descriptor_data data_ = nullptr;
  Op op_;  // reused: there is never more than one receive in flight
};

}  // namespace rpdns::server
