#include "server/worker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace rpdns::server {
namespace {

constexpr std::size_t kRequestCapacity = 4096;  // larger requests are not DNS queries we serve
constexpr std::size_t kControlCapacity = 64;    // fits one in6_pktinfo control message

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

uint64_t monotonic_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// The response as the rate limiter sees it.
policy::Response rate_limit_view(const answer::Reply& result, const uint8_t* request, const uint8_t* reply) {
  policy::Response r;
  r.rcode = result.rcode;
  r.header_rcode = dns::header_rcode(reply);
  r.answers = dns::read_u16(reply + 6);
  r.question = {request + dns::kHeaderSize, result.question_end - dns::kHeaderSize};
  if (result.synthesized_by != nullptr) r.synthesized_by = result.synthesized_by->name();
  r.zone = result.zone;
  r.proven = result.cookie_valid || (result.tsig_key != nullptr && result.tsig_error == 0);
  return r;
}

}  // namespace

struct Worker::Slot {
  uint8_t request[kRequestCapacity];
  sockaddr_storage peer;
  alignas(cmsghdr) uint8_t control[kControlCapacity];
  iovec request_iov;
  iovec reply_iov;
  std::unique_ptr<uint8_t[]> reply;
};

Worker::OwnedFd::~OwnedFd() {
  if (fd >= 0) close(fd);
}

Worker::Worker(unsigned index, int fd, bool pktinfo, answer::SnapshotStore& store, const WorkerSettings& settings)
    : index_(index),
      store_(store),
      cookies_(settings.cookie_secrets.empty() ? nullptr
                                               : std::make_unique<dns::ServerCookies>(settings.cookie_secrets)),
      settings_(settings),
      pktinfo_(pktinfo),
      reply_capacity_(std::max<std::size_t>(settings.answer.edns_udp_size, dns::kClassicUdpSize)),
      fd_{fd},
      receiver_(io_, fd),
      limiter_(settings.rate_limit),
      tcp_scratch_(std::make_unique<uint8_t[]>(2 + dns::kMaxMessageSize)) {
  settings_.answer.cookies = cookies_.get();
  unsigned batch = std::max(1u, settings_.batch_size);
  slots_ = std::vector<Slot>(batch);
  recv_msgs_.resize(batch);
  send_msgs_.resize(batch);
  for (auto& slot : slots_) slot.reply = std::make_unique<uint8_t[]>(reply_capacity_);
  for (std::size_t i = 0; i < slots_.size(); ++i) prepare_receive(i);
  cached_.refresh(store_);
  socklen_t local_size = sizeof local_;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local_), &local_size) != 0) local_ = {};
}

Worker::~Worker() {
  stop();
  join();
}

void Worker::start() {
  boost::asio::post(io_, [this] { receive(false); });
  thread_ = std::thread([this] {
    pin_to_cpu();
    io_.run();
    ran_out_.store(true);
  });
}

void Worker::pin_to_cpu() {
  if (settings_.cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(settings_.cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
    spdlog::warn("worker {}: cannot pin to CPU {}", index_, settings_.cpu);
  }
}

void Worker::stop() {
  boost::asio::post(io_, [this] {
    stopping_ = true;
    receiver_.cancel();
    // TCP connections still open are dropped, not waited for: stopping must
    // take well under a second whatever the clients do.
    io_.stop();
  });
}

void Worker::drain() {
  boost::asio::post(io_, [this] {
    stopping_ = true;
    receiver_.cancel();
    drained_.store(true);
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
  // The cancelled receive's completion may still be queued; run it, so that
  // the reactor holds no operation of ours when the receiver goes.
  if (receiving_) {
    io_.restart();
    while (receiving_ && io_.run_one() > 0) {
    }
  }
}

void Worker::nudge() {
  boost::asio::post(io_, [this] { cached_.refresh(store_); });
}

void Worker::CachedSnapshot::refresh(answer::SnapshotStore& store) {
  uint64_t now = store.generation();
  if (snapshot && now == generation) return;
  snapshot = store.load();
  generation = now;
}

void Worker::receive(bool continuation) {
  receiving_ = true;
  receiver_.async_receive(recv_msgs_.data(), static_cast<unsigned>(slots_.size()), &Worker::received, this,
                          continuation);
}

// A batch is in: answer it, send the replies, and wait for the next.
void Worker::received(void* self, const boost::system::error_code& ec, unsigned count) {
  auto* worker = static_cast<Worker*>(self);
  worker->receiving_ = false;
  if (!ec && count > 0) {
    worker->cached_.refresh(worker->store_);
    worker->send_batch(worker->answer_batch(count));
    // recvmmsg changed only the headers it filled: set those up again.
    for (std::size_t i = 0; i < count; ++i) worker->prepare_receive(i);
  } else if (ec && ec != boost::asio::error::operation_aborted) {
    spdlog::warn("worker {}: receive failed: {}", worker->index_, ec.message());
  }
  if (!worker->stopping_ && ec != boost::asio::error::operation_aborted) worker->receive(true);
}

// Sets slot i up to receive. recvmmsg changes only the headers of the
// datagrams it filled, so after the first round only those are set again:
// at moderate rates that is one slot of 64 per wake-up.
void Worker::prepare_receive(std::size_t i) {
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

unsigned Worker::answer_batch(unsigned received) {
  unsigned out = 0;
  counters_.queries.add(received);
  uint64_t now_ms = limiter_.enabled() ? monotonic_ms() : 0;
  timespec received_at = tap_ != nullptr ? dnstap::now() : timespec{};
  for (unsigned i = 0; i < received; ++i) {
    Slot& slot = slots_[i];
    msghdr& in = recv_msgs_[i].msg_hdr;
    answer::Reply result{};
    if ((in.msg_flags & MSG_TRUNC) == 0) {
      // The peer goes along for transfer access lists (IXFR over UDP, RFC 1995 §2).
      result = answer::respond(slot.request, recv_msgs_[i].msg_len, *cached_.snapshot, settings_.answer, false,
                               slot.reply.get(), reinterpret_cast<const sockaddr*>(&slot.peer));
    }
    if (result.size == 0) {
      counters_.dropped.add();
      continue;
    }
    pass_on_notify(result);
    count(result);
    std::size_t size =
        bytes_to_send(reinterpret_cast<const sockaddr*>(&slot.peer), slot.request, slot.reply.get(), result, now_ms);
    if (tap_ != nullptr) tap_udp(slot, recv_msgs_[i].msg_len, received_at, size);
    if (size == 0) continue;
    slot.reply_iov = {slot.reply.get(), size};
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

void Worker::count(const answer::Reply& result) {
  if (result.edns) counters_.edns.add();
  if (result.truncated) counters_.truncated.add();
  counters_.by_rcode[stats::rcode_slot(result.rcode)].add();
  counters_.by_type[stats::type_slot(result.qtype)].add();
  static_assert(static_cast<std::size_t>(answer::CookieResult::invalid) == stats::kCookieResults.size());
  if (result.cookie != answer::CookieResult::none)
    counters_.by_cookie[static_cast<std::size_t>(result.cookie) - 1].add();
}

std::size_t Worker::bytes_to_send(const sockaddr* peer, const uint8_t* request, uint8_t* reply,
                                  const answer::Reply& result, uint64_t now_ms) {
  // A reply to port 0 can only be reflection abuse: no real client sends from it.
  uint16_t port = peer->sa_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(peer)->sin6_port
                                              : reinterpret_cast<const sockaddr_in*>(peer)->sin_port;
  if (port == 0) {
    counters_.dropped.add();
    return 0;
  }
  switch (limiter_.screen(peer, rate_limit_view(result, request, reply), now_ms)) {
    case policy::RateLimiter::Verdict::send:
      return result.size;
    case policy::RateLimiter::Verdict::drop:
      counters_.rate_limited_dropped.add();
      return 0;
    case policy::RateLimiter::Verdict::slip:
      counters_.rate_limited_slipped.add();
      return policy::RateLimiter::slip_reply(reply, result.question_end);
  }
  return 0;
}

// The query as it came and the reply as it goes (none when the rate limiter
// dropped it, a truncated one when it slipped).
void Worker::tap_udp(const Slot& slot, unsigned length, const timespec& received, std::size_t size) {
  dnstap::Exchange exchange;
  exchange.protocol = dnstap::Protocol::udp;
  exchange.client = reinterpret_cast<const sockaddr*>(&slot.peer);
  exchange.server = reinterpret_cast<const sockaddr*>(&local_);
  exchange.query_time = received;
  exchange.response_time = dnstap::now();
  exchange.query = {slot.request, length};
  exchange.response = {slot.reply.get(), size};
  tap_->log(exchange);
}

void Worker::send_batch(unsigned count) {
  int fd = fd_.fd;
  unsigned done = 0;
  while (done < count) {
    // Never blocks: a reply that finds the send buffer full is dropped and
    // counted, as a real network would drop it.
    int sent = sendmmsg(fd, send_msgs_.data() + done, count - done, MSG_DONTWAIT);
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
