#include "xfr/exchange.hpp"

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <ctime>
#include <random>

#include "dns/message.hpp"
#include "dns/name.hpp"
#include "dns/wire.hpp"

namespace rpdns::xfr {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

uint16_t random_id() { return static_cast<uint16_t>(std::random_device{}()); }

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(asio::io_context& io, const config::ListenAddress& server, const dns::OutgoingQuery& query,
           std::optional<dns::tsig::Key> key, const ExchangeOptions& options, OnReply on_reply,
           std::function<void(ExchangeEnd)> done)
      : udp_(io),
        tcp_(io),
        timer_(io),
        deadline_(io),
        server_(server),
        options_(options),
        on_reply_(std::move(on_reply)),
        done_(std::move(done)),
        id_(query.id),
        key_(std::move(key)),
        query_(dns::write_query(query)),
        buffer_(dns::kMaxMessageSize) {
    if (key_) {
      label_ = " (TSIG key " + dns::to_text(key_->name) + ")";
      // The verifier keeps a pointer to the key: it is ours, for as long as the exchange lives.
      verifier_ = std::make_unique<dns::tsig::StreamVerifier>(*key_, dns::sign_query(query_, *key_, unix_now()));
    }
  }

  void start() {
    boost::system::error_code ec;
    address_ = asio::ip::make_address(server_.host, ec);
    if (ec) return fail("bad address " + server_.host);
    if (options_.deadline) arm_deadline(*options_.deadline);
    if (options_.transport == Transport::tcp_stream) return connect_tcp();
    udp::endpoint to(address_, server_.port);
    udp_.open(to.protocol(), ec);
    if (!ec) udp_.connect(to, ec);
    if (ec) return options_.transport == Transport::udp_then_tcp ? connect_tcp() : fail("UDP: " + ec.message());
    receive_udp();
    send_udp();
  }

  void cancel() { close(); }

 private:
  static uint64_t unix_now() { return static_cast<uint64_t>(std::time(nullptr)); }

  template <class Then>
  void arm(Clock::duration wait, Then then) {
    timer_.expires_after(wait);
    timer_.async_wait([self = shared_from_this(), then](const boost::system::error_code& ec) {
      if (!ec && !self->finished_) then(*self);
    });
  }

  void arm_deadline(Clock::duration wait) {
    deadline_.expires_after(wait);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->finished_) return;
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*self->options_.deadline).count();
      self->fail("took longer than " + self->options_.deadline_name + " (" + std::to_string(seconds) + " s)");
    });
  }

  // Each try waits its turn; when none is left, TCP or the end.
  void send_udp() {
    if (udp_tries_ == options_.udp_waits.size()) {
      if (options_.transport == Transport::udp_then_tcp) return connect_tcp();
      return fail("no answer after " + std::to_string(udp_tries_) + (udp_tries_ == 1 ? " try" : " tries"));
    }
    boost::system::error_code ignored;
    udp_.send(asio::buffer(query_), 0, ignored);
    arm(options_.udp_waits[udp_tries_++], [](Exchange& self) { self.send_udp(); });
  }

  void receive_udp() {
    udp_.async_receive(asio::buffer(buffer_),
                       [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                         if (ec || self->finished_ || self->on_tcp_) return;
                         if (n < dns::kHeaderSize || dns::read_u16(self->buffer_.data()) != self->id_)
                           return self->receive_udp();
                         bool truncated = (dns::read_u16(self->buffer_.data() + 2) & dns::flag::TC) != 0;
                         if (truncated && self->options_.transport == Transport::udp_then_tcp)
                           return self->connect_tcp();
                         if (self->deliver(n)) self->receive_udp();
                       });
  }

  void connect_tcp() {
    if (on_tcp_ || finished_) return;
    on_tcp_ = true;
    boost::system::error_code ignored;
    udp_.close(ignored);
    framed_.resize(2);
    dns::write_u16(framed_.data(), static_cast<uint16_t>(query_.size()));
    framed_.insert(framed_.end(), query_.begin(), query_.end());
    arm(options_.tcp_connect, [](Exchange& self) { self.fail("TCP: no connection"); });
    tcp_.async_connect({address_, server_.port}, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (self->finished_) return;
      if (ec) return self->fail("TCP: " + ec.message());
      asio::async_write(self->tcp_, asio::buffer(self->framed_),
                        [self](const boost::system::error_code& e, std::size_t) {
                          if (e) return self->fail("TCP: " + e.message());
                          self->read_length();
                        });
    });
  }

  void read_length() {
    arm(options_.tcp_idle, [](Exchange& self) { self.fail("timed out waiting for a reply"); });
    asio::async_read(
        tcp_, asio::buffer(length_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (self->finished_) return;
          if (ec) {
            return self->fail(ec == asio::error::eof ? "the server closed the connection before the last reply"
                                                     : "TCP: " + ec.message());
          }
          self->read_message(dns::read_u16(self->length_.data()));
        });
  }

  void read_message(std::size_t len) {
    // Checked before the message is read: a stream that never ends stops here.
    if (bytes_ + 2 + len > options_.max_bytes)
      return fail("more than " + options_.max_bytes_name + " (" + std::to_string(options_.max_bytes) + " bytes)");
    asio::async_read(tcp_, asio::buffer(buffer_.data(), len),
                     [self = shared_from_this(), len](const boost::system::error_code& ec, std::size_t) {
                       if (self->finished_) return;
                       if (ec) return self->fail("TCP: " + ec.message());
                       self->bytes_ += 2 + len;
                       if (len < dns::kHeaderSize || dns::read_u16(self->buffer_.data()) != self->id_)
                         return self->fail("reply with another ID");
                       if (self->deliver(len)) self->read_length();
                     });
  }

  // Hands a reply with our ID to the caller: true when more are to come.
  bool deliver(std::size_t len) {
    ++messages_;
    std::string problem;
    // Every reply is checked against the TSIG chain before it is read (RFC 8945 §5.3.1).
    if (verifier_) problem = verifier_->check(buffer_.data(), len, unix_now());
    bool last = false;
    if (problem.empty()) problem = on_reply_(buffer_.data(), len, last);
    if (problem.empty() && last && verifier_ && !verifier_->signed_last()) problem = "the last message is not signed";
    if (!problem.empty()) {
      fail(problem);
    } else if (last) {
      finish("");
    }
    return problem.empty() && !last;
  }

  void fail(const std::string& problem) { finish(server_.to_string() + label_ + ": " + problem); }

  void finish(std::string error) {
    if (finished_) return;
    close();
    done_(ExchangeEnd{std::move(error), bytes_, messages_});
  }

  void close() {
    finished_ = true;
    timer_.cancel();
    deadline_.cancel();
    boost::system::error_code ignored;
    udp_.close(ignored);
    tcp_.close(ignored);
  }

  udp::socket udp_;
  tcp::socket tcp_;
  asio::steady_timer timer_;     // a UDP try, connecting, or the wait for the next reply
  asio::steady_timer deadline_;  // the whole exchange
  config::ListenAddress server_;
  asio::ip::address address_;
  ExchangeOptions options_;
  OnReply on_reply_;
  std::function<void(ExchangeEnd)> done_;
  std::string label_;                                    // " (TSIG key NAME)" when signed
  std::unique_ptr<dns::tsig::StreamVerifier> verifier_;  // when signed
  uint16_t id_;
  std::optional<dns::tsig::Key> key_;  // the verifier points to it
  std::vector<uint8_t> query_;         // after key_: signed with it
  std::vector<uint8_t> framed_;        // the query with its TCP length
  std::array<uint8_t, 2> length_{};
  std::vector<uint8_t> buffer_;
  std::size_t udp_tries_ = 0;
  std::size_t bytes_ = 0;
  std::size_t messages_ = 0;
  bool on_tcp_ = false;
  bool finished_ = false;
};

std::shared_ptr<Exchange> exchange(asio::io_context& io, const config::ListenAddress& server,
                                   const dns::OutgoingQuery& query, std::optional<dns::tsig::Key> key,
                                   const ExchangeOptions& options, OnReply on_reply,
                                   std::function<void(ExchangeEnd)> done) {
  auto e = std::make_shared<Exchange>(io, server, query, std::move(key), options, std::move(on_reply), std::move(done));
  e->start();
  return e;
}

void cancel(Exchange& exchange) { exchange.cancel(); }

}  // namespace rpdns::xfr
