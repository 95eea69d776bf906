#include "server/tcp_listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <ctime>
#include <memory>
#include <optional>

#include "dns/tsig.hpp"
#include "xfr/transfer.hpp"

namespace rpdns::server {

namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Queries are small; anything larger is not a query we serve (RFC 7766 §8
// lets a server close such a connection).
constexpr std::size_t kMaxQuerySize = 4096;
// After an accept error (descriptors or memory exhausted) the listener
// waits this long before trying again, so the error cannot make it spin.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
constexpr auto kErrorLogInterval = std::chrono::seconds(10);
// While handing over to a successor, a connection closes once its client
// has sent nothing for this long: queries it pipelined arrive well within
// it, and a client that sends later reconnects to the successor (RFC 7766
// §6.2.3 lets a server close an idle connection).
constexpr auto kDrainQuiet = std::chrono::milliseconds(500);
}  // namespace

// One client connection: read a length-prefixed message, answer it (or
// stream a transfer), read the next. The reply buffer starts empty and
// grows to the largest reply sent; a transfer borrows a full-size one for
// its duration. Answers are built in the worker's scratch buffer.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Worker& worker, std::shared_ptr<TcpListener::Connections> connections,
          const TcpLimits& limits, const sockaddr_storage& peer, std::size_t client_slot)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        worker_(worker),
        connections_(std::move(connections)),
        idle_(limits.idle),
        io_(limits.io),
        peer_(peer),
        client_slot_(client_slot) {}
  ~Session() { connections_->release(client_slot_); }

  // Streaming a zone transfer: the one kind of connection a full worker
  // does not close for a newcomer, since a secondary would start over.
  bool transferring() const { return transfer_ != nullptr; }

  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

  void start() { read_length(); }

  // Handing over: a connection waiting for its client's next query waits
  // only kDrainQuiet more.
  void drain() {
    if (waiting_) arm_timer(kDrainQuiet);
  }

 private:
  template <typename Duration>
  void arm_timer(Duration timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      // Idle, stalled mid-message, or not reading its replies. The expiry
      // check skips a wake-up that was already queued when it was re-armed.
      if (!ec && self->timer_.expiry() <= std::chrono::steady_clock::now()) self->close();
    });
  }

  void read_length() {
    if (connections_->draining)
      arm_timer(kDrainQuiet);
    else
      arm_timer(idle_);
    waiting_ = true;
    asio::async_read(socket_, asio::buffer(length_, 2),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       self->waiting_ = false;
                       if (ec) return self->close();
                       self->read_body(dns::read_u16(self->length_));
                     });
  }

  void read_body(std::size_t len) {
    if (len < dns::kHeaderSize || len > kMaxQuerySize) return close();
    // The length is in: the message itself must follow promptly, or a
    // client could hold the connection for the whole idle timeout per byte.
    arm_timer(io_);
    request_len_ = len;
    asio::async_read(socket_, asio::buffer(request_, len),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       if (ec) return self->close();
                       self->answer();
                     });
  }

  void answer() {
    if (worker_.tap() != nullptr) received_ = dnstap::now();
    auto snapshot = worker_.snapshot();
    uint8_t* scratch = worker_.tcp_scratch();
    auto outcome = answer::respond(request_, request_len_, *snapshot, worker_.answer_options(), true, scratch + 2,
                                   reinterpret_cast<const sockaddr*>(&peer_));
    worker_.record_tcp(outcome);
    worker_.pass_on_notify(outcome);
    if (outcome.transfer != nullptr) {
      std::span<const uint8_t> question{request_ + dns::kHeaderSize, outcome.question_end - dns::kHeaderSize};
      snapshot_ = std::move(snapshot);
      // The writer holds the zones through the whole snapshot (an aliasing
      // shared_ptr), so the key below stays alive too.
      std::shared_ptr<const zone::ZoneSet> zones(snapshot_, &snapshot_->zones);
      std::size_t reserve = 0;
      if (outcome.tsig_key != nullptr) {
        // The key lives in snapshot_, held until the transfer ends.
        signer_.emplace(*outcome.tsig_key, std::span<const uint8_t>(outcome.tsig_mac.data(), outcome.tsig_mac_len));
        reserve = dns::tsig::record_size(*outcome.tsig_key);
      }
      xfr::TransferOpt opt{outcome.edns, worker_.answer_options().edns_udp_size, outcome.transfer_expire};
      transfer_ = std::make_unique<xfr::TransferWriter>(std::move(zones), *outcome.transfer, dns::read_u16(request_),
                                                        question, reserve, opt, outcome.changes);
      reply_.resize(2 + dns::kMaxMessageSize);
      worker_.count_transfer(outcome.qtype, !outcome.changes.empty());
      tap_transfer_ = worker_.tap() != nullptr;  // logged with its first message
      return send_transfer();
    }
    if (worker_.tap() != nullptr) tap({scratch + 2, outcome.size});
    if (outcome.size == 0) return read_length();
    reply_.assign(scratch, scratch + 2 + outcome.size);
    send(outcome.size, [self = shared_from_this()] { self->read_length(); });
  }

  void send_transfer() {
    std::size_t size = transfer_->next(reply_.data() + 2);
    if (size != 0 && signer_) {
      // Every message signed, each MAC chained to the previous (RFC 8945 §5.3.1).
      size = signer_->sign(reply_.data() + 2, size, dns::kMaxMessageSize, static_cast<uint64_t>(std::time(nullptr)));
      if (size == 0) spdlog::error("AXFR of {}: cannot sign a message", dns::to_text(transfer_->zone().origin));
    }
    if (size != 0 && transfer_->failed()) {
      spdlog::error("AXFR of {} failed: a record does not fit in any message; ended with SERVFAIL",
                    dns::to_text(transfer_->zone().origin));
    }
    if (size == 0) {
      transfer_.reset();
      signer_.reset();
      snapshot_.reset();
      std::vector<uint8_t>().swap(reply_);  // give the 64 KiB back
      return read_length();
    }
    worker_.count_transfer_bytes(2 + size);
    if (tap_transfer_) {
      tap_transfer_ = false;
      tap({reply_.data() + 2, size});
    }
    send(size, [self = shared_from_this()] { self->send_transfer(); });
  }

  // dnstap: the request in hand and `response` (empty: none).
  void tap(std::span<const uint8_t> response) {
    dnstap::Tap* tap = worker_.tap();
    if (tap == nullptr) return;  // turned off by a reload meanwhile
    sockaddr_storage local{};
    socklen_t local_size = sizeof local;
    if (getsockname(socket_.native_handle(), reinterpret_cast<sockaddr*>(&local), &local_size) != 0) local = {};
    dnstap::Exchange exchange;
    exchange.protocol = dnstap::Protocol::tcp;
    exchange.client = reinterpret_cast<const sockaddr*>(&peer_);
    exchange.server = reinterpret_cast<const sockaddr*>(&local);
    exchange.query_time = received_;
    exchange.response_time = dnstap::now();
    exchange.query = {request_, request_len_};
    exchange.response = response;
    tap->log(exchange);
  }

  template <typename Next>
  void send(std::size_t size, Next next) {
    dns::write_u16(reply_.data(), static_cast<uint16_t>(size));
    arm_timer(idle_);
    asio::async_write(socket_, asio::buffer(reply_.data(), size + 2),
                      [self = shared_from_this(), next](const boost::system::error_code& ec, std::size_t) {
                        if (ec) return self->close();
                        next();
                      });
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  Worker& worker_;
  std::shared_ptr<TcpListener::Connections> connections_;
  std::chrono::seconds idle_;
  std::chrono::milliseconds io_;
  sockaddr_storage peer_;
  std::size_t client_slot_;
  bool waiting_ = false;  // for the length of the client's next query
  uint8_t length_[2] = {};
  uint8_t request_[kMaxQuerySize];
  std::size_t request_len_ = 0;
  std::vector<uint8_t> reply_;
  std::shared_ptr<const answer::Snapshot> snapshot_;  // held while a transfer streams from it
  std::unique_ptr<xfr::TransferWriter> transfer_;
  std::optional<dns::tsig::StreamSigner> signer_;  // a signed transfer's
  timespec received_{};                            // dnstap: when the request was read
  bool tap_transfer_ = false;                      // dnstap: the transfer's first message is still to log
};

TcpListener::TcpListener(Worker& worker, const config::ListenAddress& address, const TcpLimits& limits, int fd)
    : worker_(worker),
      limits_(limits),
      acceptor_(worker.io()),
      backoff_(worker.io()),
      connections_(std::make_shared<Connections>()) {
  connections_->total = limits_.open;
  connections_->per_client = limits_.per_client;
  tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
  if (fd >= 0) {
    acceptor_.assign(endpoint.protocol(), fd);
    return;
  }
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.set_option(reuse_port(true));
  if (address.ipv6) acceptor_.set_option(asio::ip::v6_only(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
}

void TcpListener::start() {
  asio::post(worker_.io(), [this] { accept(); });
}

void TcpListener::drain() {
  asio::post(worker_.io(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
    connections_->draining = true;
    for (auto& weak : connections_->sessions) {
      if (auto session = weak.lock()) session->drain();
    }
  });
}

// Closes this worker's oldest connection that is not streaming a transfer.
// Its slot is freed when the session ends, so the new client is let in at once.
bool TcpListener::make_room() {
  auto& sessions = connections_->sessions;
  for (auto it = sessions.begin(); it != sessions.end();) {
    auto session = it->lock();
    if (!session) {
      it = sessions.erase(it);
      continue;
    }
    if (!session->transferring()) {
      sessions.erase(it);
      session->close();
      worker_.count_tcp_evicted();
      return true;
    }
    ++it;
  }
  return false;
}

void TcpListener::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return back_off(ec);
    accepted(std::move(socket));
    accept();
  });
}

// EMFILE, ENFILE, ENOBUFS, ENOMEM: the pending connection stays queued in
// the kernel; retrying at once would fail again at full speed.
void TcpListener::back_off(const boost::system::error_code& ec) {
  worker_.count_tcp_accept_error();
  auto now = std::chrono::steady_clock::now();
  if (now - last_error_log_ >= kErrorLogInterval) {
    last_error_log_ = now;
    spdlog::warn("tcp accept failed: {}; retrying every {} ms", ec.message(), kAcceptBackoff.count());
  }
  backoff_.expires_after(kAcceptBackoff);
  backoff_.async_wait([this](const boost::system::error_code& wait_ec) {
    if (!wait_ec && acceptor_.is_open()) accept();
  });
}

void TcpListener::accepted(tcp::socket socket) {
  boost::system::error_code ignored;
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  if (getpeername(socket.native_handle(), reinterpret_cast<sockaddr*>(&peer), &len) != 0) {
    socket.close(ignored);  // reset before we got to it
    return;
  }
  // A client at its cap is turned away before anyone else is evicted for it.
  std::size_t slot = limits_.per_client->acquire(reinterpret_cast<const sockaddr*>(&peer));
  bool full = connections_->open >= limits_.per_worker || limits_.open->load() >= limits_.total;
  if (slot == policy::ConnectionLimit::kNone || (full && !make_room())) {
    limits_.per_client->release(slot);
    worker_.count_tcp_refused();
    socket.close(ignored);
    return;
  }
  ++connections_->open;
  limits_.open->fetch_add(1);
  auto session = std::make_shared<Session>(std::move(socket), worker_, connections_, limits_, peer, slot);
  auto& sessions = connections_->sessions;
  if (sessions.size() > 2u * limits_.per_worker) {  // forget the sessions that ended
    std::erase_if(sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
  }
  sessions.push_back(session);
  session->start();
}

}  // namespace rpdns::server
