#include "server/udp_worker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace rpdns::server {
namespace {

constexpr std::size_t kRequestCapacity = 4096;  // larger requests are not DNS queries we serve
constexpr std::size_t kControlCapacity = 64;    // fits one in6_pktinfo control message
constexpr int kReceiveBuffer = 4 << 20;         // absorbs bursts; the kernel caps it at rmem_max
constexpr unsigned kBatchesPerWakeup = 16;      // then let the io_context run posted work

using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

bool is_wildcard(const config::ListenAddress& address) {
  return address.host == "0.0.0.0" || address.host == "::";
}

// Turns the destination address the query came to into the source address
// of the reply: a socket bound to the wildcard address must answer from the
// address the client asked, or the client will ignore the reply.
void prepare_reply_source(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      auto* info = reinterpret_cast<in_pktinfo*>(CMSG_DATA(c));
      info->ipi_spec_dst = info->ipi_addr;
      info->ipi_ifindex = 0;
    }
  }
}

}  // namespace

struct UdpWorker::Slot {
  uint8_t request[kRequestCapacity];
  sockaddr_storage peer;
  alignas(cmsghdr) uint8_t control[kControlCapacity];
  iovec request_iov;
  iovec reply_iov;
  std::unique_ptr<uint8_t[]> reply;
};

UdpWorker::UdpWorker(unsigned index, const config::ListenAddress& address, ZoneStore& store,
                     const WorkerSettings& settings)
    : index_(index),
      store_(store),
      settings_(settings),
      pktinfo_(is_wildcard(address)),
      reply_capacity_(std::max<std::size_t>(settings.answer.edns_udp_size, dns::kClassicUdpSize)),
      socket_(io_) {
  namespace ip = boost::asio::ip;
  ip::udp::endpoint endpoint(ip::make_address(address.host), address.port);
  socket_.open(endpoint.protocol());
  socket_.set_option(boost::asio::socket_base::reuse_address(true));
  socket_.set_option(reuse_port(true));
  if (address.ipv6) socket_.set_option(ip::v6_only(true));
  int fd = socket_.native_handle();
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
  if (pktinfo_) {
    int on = 1;
    if (address.ipv6) setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    else setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
  }
  socket_.bind(endpoint);
  socket_.non_blocking(true);

  unsigned batch = std::max(1u, settings_.batch_size);
  slots_ = std::vector<Slot>(batch);
  recv_msgs_.resize(batch);
  send_msgs_.resize(batch);
  for (auto& slot : slots_) slot.reply = std::make_unique<uint8_t[]>(reply_capacity_);
  snapshot_ = store_.load();
  generation_ = store_.generation();
}

UdpWorker::~UdpWorker() {
  stop();
  join();
}

void UdpWorker::start() {
  wait_readable();
  thread_ = std::thread([this] { io_.run(); });
}

void UdpWorker::stop() {
  boost::asio::post(io_, [this] {
    boost::system::error_code ignored;
    socket_.close(ignored);
    // TCP connections still open are dropped, not waited for: stopping must
    // take well under a second whatever the clients do.
    io_.stop();
  });
}

void UdpWorker::join() {
  if (thread_.joinable()) thread_.join();
}

void UdpWorker::nudge() {
  boost::asio::post(io_, [this] { refresh_snapshot(); });
}

void UdpWorker::refresh_snapshot() {
  uint64_t now = store_.generation();
  if (now == generation_) return;
  snapshot_ = store_.load();
  generation_ = now;
}

void UdpWorker::wait_readable() {
  socket_.async_wait(boost::asio::ip::udp::socket::wait_read,
                     [this](const boost::system::error_code& ec) {
                       if (ec) return;  // closed: the worker is stopping
                       drain();
                       wait_readable();
                     });
}

void UdpWorker::drain() {
  int fd = socket_.native_handle();
  for (unsigned round = 0; round < kBatchesPerWakeup; ++round) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = slots_[i];
      slot.request_iov = {slot.request, sizeof slot.request};
      msghdr& h = recv_msgs_[i].msg_hdr;
      h = {};
      h.msg_name = &slot.peer;
      h.msg_namelen = sizeof slot.peer;
      h.msg_iov = &slot.request_iov;
      h.msg_iovlen = 1;
      if (pktinfo_) {
        h.msg_control = slot.control;
        h.msg_controllen = sizeof slot.control;
      }
    }
    int got = recvmmsg(fd, recv_msgs_.data(), static_cast<unsigned>(slots_.size()), MSG_DONTWAIT, nullptr);
    if (got <= 0) return;  // EAGAIN: drained
    refresh_snapshot();
    unsigned replies = answer_batch(static_cast<unsigned>(got));
    send_batch(replies);
    if (static_cast<std::size_t>(got) < slots_.size()) return;
  }
}

unsigned UdpWorker::answer_batch(unsigned received) {
  unsigned out = 0;
  counters_.queries.add(received);
  for (unsigned i = 0; i < received; ++i) {
    Slot& slot = slots_[i];
    msghdr& in = recv_msgs_[i].msg_hdr;
    answer::Outcome result{};
    if ((in.msg_flags & MSG_TRUNC) == 0) {
      result = answer::respond(slot.request, recv_msgs_[i].msg_len, *snapshot_, settings_.answer,
                               false, slot.reply.get());
    }
    if (result.size == 0) {
      counters_.dropped.add();
      continue;
    }
    count(result);
    slot.reply_iov = {slot.reply.get(), result.size};
    msghdr& h = send_msgs_[out].msg_hdr;
    h = {};
    h.msg_name = &slot.peer;
    h.msg_namelen = in.msg_namelen;
    h.msg_iov = &slot.reply_iov;
    h.msg_iovlen = 1;
    if (pktinfo_ && in.msg_controllen > 0) {
      prepare_reply_source(in);
      h.msg_control = in.msg_control;
      h.msg_controllen = in.msg_controllen;
    }
    ++out;
  }
  return out;
}

void UdpWorker::count(const answer::Outcome& result) {
  if (result.edns) counters_.edns.add();
  if (result.truncated) counters_.truncated.add();
  counters_.by_rcode[stats::rcode_slot(result.rcode)].add();
  counters_.by_type[stats::type_slot(result.qtype)].add();
}

void UdpWorker::send_batch(unsigned count) {
  int fd = socket_.native_handle();
  unsigned done = 0;
  while (done < count) {
    int sent = sendmmsg(fd, send_msgs_.data() + done, count - done, 0);
    if (sent > 0) {
      done += static_cast<unsigned>(sent);
      counters_.replies.add(static_cast<uint64_t>(sent));
      continue;
    }
    if (errno == EINTR) continue;
    // This reply cannot go (full buffer, unreachable peer): skip it, keep the rest.
    counters_.send_errors.add();
    ++done;
  }
}

}  // namespace rpdns::server
