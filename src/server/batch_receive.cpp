#include "server/batch_receive.hpp"

#include <cerrno>
#include <system_error>

namespace rpdns::server {

namespace detail = boost::asio::detail;

BatchReceiver::BatchReceiver(boost::asio::io_context& io, int fd)
    : reactor_(boost::asio::use_service<detail::reactor>(io)), fd_(fd) {
  if (int error = reactor_.register_descriptor(fd_, data_); error != 0) {
    throw std::system_error(error, std::generic_category(), "registering the UDP socket");
  }
}

// The owner makes sure no receive is pending here (cancel(), then let the
// io_context run the aborted completion): the operation is a member, so the
// reactor must not hold it past this point.
BatchReceiver::~BatchReceiver() {
  reactor_.deregister_descriptor(fd_, data_, false);
  reactor_.cleanup_descriptor_data(data_);
}

void BatchReceiver::async_receive(mmsghdr* msgs, unsigned count, Done done, void* context, bool continuation) {
  op_.fd = fd_;
  op_.msgs = msgs;
  op_.count = count;
  op_.received = 0;
  op_.on_done = done;
  op_.context = context;
  op_.ec_ = boost::system::error_code();
  op_.bytes_transferred_ = 0;
  // Speculation allowed: the operation is tried at once unless the last one
  // drained the socket, and is queued without re-arming the descriptor.
  reactor_.start_op(detail::reactor::read_op, fd_, data_, &op_, continuation, true);
}

void BatchReceiver::cancel() { reactor_.cancel_ops(fd_, data_); }

detail::reactor_op::status BatchReceiver::Op::perform(reactor_op* base) {
  auto* op = static_cast<Op*>(base);
  int got = 0;
  do {
    got = recvmmsg(op->fd, op->msgs, op->count, MSG_DONTWAIT, nullptr);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return reactor_op::not_done;
    op->ec_ = boost::system::error_code(errno, boost::asio::error::get_system_category());
    return reactor_op::done;
  }
  op->received = static_cast<unsigned>(got);
  // Fewer than asked for: the socket is empty now, and the next receive
  // need not try before the next readiness event.
  return op->received < op->count ? reactor_op::done_and_exhausted : reactor_op::done;
}

void BatchReceiver::Op::complete(void* owner, detail::operation* base, const boost::system::error_code&, std::size_t) {
  // No owner: the io_context is being destroyed. The operation is a member
  // of its BatchReceiver, so there is nothing to free.
  if (owner == nullptr) return;
  auto* op = static_cast<Op*>(base);
  op->on_done(op->context, op->ec_, op->received);
}

}  // namespace rpdns::server
