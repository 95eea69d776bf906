#include "server/tcp_listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/post.hpp>
#include <memory>

#include "xfr/transfer.hpp"

namespace rpdns::server {

namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Queries are small; anything larger is not a query we serve (RFC 7766 §8
// lets a server close such a connection).
constexpr std::size_t kMaxQuerySize = 4096;
}  // namespace

// One client connection: read a length-prefixed message, answer it (or
// stream a transfer), read the next. Buffers are per connection, not per query.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Worker& worker, std::shared_ptr<TcpListener::Gate> gate, std::chrono::seconds idle)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        worker_(worker),
        gate_(std::move(gate)),
        idle_(idle),
        reply_(2 + dns::kMaxMessageSize) {}
  ~Session() { gate_->release(); }

  // Waiting for the client's next message, with nothing in flight.
  bool idle() const { return idle_now_; }

  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

  void start() {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    getpeername(socket_.native_handle(), reinterpret_cast<sockaddr*>(&peer), &len);
    peer_ = peer;
    read_length();
  }

 private:
  void arm_timer() {
    timer_.expires_after(idle_);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      // Idle, or a client that does not read its replies. The expiry check
      // skips a wake-up that was already queued when the timer was re-armed.
      if (!ec && self->timer_.expiry() <= std::chrono::steady_clock::now()) self->close();
    });
  }

  void read_length() {
    arm_timer();
    idle_now_ = true;
    asio::async_read(socket_, asio::buffer(length_, 2),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       self->idle_now_ = false;
                       if (ec) return self->close();
                       self->read_body(dns::read_u16(self->length_));
                     });
  }

  void read_body(std::size_t len) {
    if (len < dns::kHeaderSize || len > kMaxQuerySize) return close();
    request_len_ = len;
    asio::async_read(socket_, asio::buffer(request_, len),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       if (ec) return self->close();
                       self->answer();
                     });
  }

  void answer() {
    snapshot_ = worker_.snapshot();
    auto outcome = answer::respond(request_, request_len_, *snapshot_, worker_.answer_options(), true,
                                   reply_.data() + 2, reinterpret_cast<const sockaddr*>(&peer_));
    worker_.record_tcp(outcome);
    if (outcome.transfer != nullptr) {
      std::span<const uint8_t> question{request_ + dns::kHeaderSize, outcome.question_end - dns::kHeaderSize};
      transfer_ =
          std::make_unique<xfr::TransferWriter>(snapshot_, *outcome.transfer, dns::read_u16(request_), question);
      return send_transfer();
    }
    snapshot_.reset();
    if (outcome.size == 0) return read_length();
    send(outcome.size, [self = shared_from_this()] { self->read_length(); });
  }

  void send_transfer() {
    std::size_t size = transfer_->next(reply_.data() + 2);
    if (size != 0 && transfer_->failed()) {
      spdlog::error("AXFR of {} failed: a record does not fit in any message; ended with SERVFAIL",
                    dns::to_text(transfer_->zone().origin));
    }
    if (size == 0) {
      transfer_.reset();
      snapshot_.reset();
      return read_length();
    }
    send(size, [self = shared_from_this()] { self->send_transfer(); });
  }

  template <typename Next>
  void send(std::size_t size, Next next) {
    dns::write_u16(reply_.data(), static_cast<uint16_t>(size));
    arm_timer();
    asio::async_write(socket_, asio::buffer(reply_.data(), size + 2),
                      [self = shared_from_this(), next](const boost::system::error_code& ec, std::size_t) {
                        if (ec) return self->close();
                        next();
                      });
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  Worker& worker_;
  std::shared_ptr<TcpListener::Gate> gate_;
  std::chrono::seconds idle_;
  sockaddr_storage peer_{};
  uint8_t length_[2] = {};
  uint8_t request_[kMaxQuerySize];
  std::size_t request_len_ = 0;
  std::vector<uint8_t> reply_;
  std::shared_ptr<const zone::ZoneSet> snapshot_;
  std::unique_ptr<xfr::TransferWriter> transfer_;
  bool idle_now_ = false;
};

TcpListener::TcpListener(Worker& worker, const config::ListenAddress& address, const TcpLimits& limits)
    : worker_(worker), limits_(limits), acceptor_(worker.io()), gate_(std::make_shared<Gate>()) {
  gate_->total = limits_.open;
  tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
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

// Closes this worker's oldest idle connection, if it has one. Its slot is
// freed when the session ends, so the new client is let in at once.
bool TcpListener::make_room() {
  auto& sessions = gate_->sessions;
  for (auto it = sessions.begin(); it != sessions.end();) {
    auto session = it->lock();
    if (!session) {
      it = sessions.erase(it);
      continue;
    }
    if (session->idle()) {
      sessions.erase(it);
      session->close();
      return true;
    }
    ++it;
  }
  return false;
}

void TcpListener::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      // Over either cap the connection is closed at once: slow or idle
      // clients cannot crowd out the rest.
      bool full = gate_->open >= limits_.per_worker || limits_.open->load() >= limits_.total;
      if (full && !make_room()) {
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        ++gate_->open;
        limits_.open->fetch_add(1);
        auto session = std::make_shared<Session>(std::move(socket), worker_, gate_, limits_.idle);
        auto& sessions = gate_->sessions;
        if (sessions.size() > 2u * limits_.per_worker) {  // forget the sessions that ended
          std::erase_if(sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
        }
        sessions.push_back(session);
        session->start();
      }
    }
    accept();
  });
}

}  // namespace rpdns::server
