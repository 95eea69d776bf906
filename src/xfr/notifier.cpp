#include "xfr/notifier.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <ctime>
#include <memory>
#include <optional>
#include <random>

#include "dns/name.hpp"
#include "dns/tsig.hpp"
#include "dns/wire.hpp"

namespace rpdns::xfr {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;

constexpr int kTries = 5;  // waits of 1, 2, 4, 8 and 16 s (RFC 1996 §3.6: retry, back off)

}  // namespace

// One NOTIFY to one secondary, resent until answered or superseded.
class Notifier::Notification : public std::enable_shared_from_this<Notification> {
 public:
  Notification(asio::io_context& io, const std::string& origin, uint32_t serial, const NotifyTarget& target)
      : socket_(io),
        timer_(io),
        origin_(origin),
        serial_(serial),
        target_(target.address),
        key_(target.key),
        endpoint_(asio::ip::make_address(target_.host), target_.port) {
    id_ = static_cast<uint16_t>(std::random_device{}());
    build();
  }

  void start() {
    boost::system::error_code ec;
    socket_.open(endpoint_.protocol(), ec);
    if (ec) return spdlog::warn("notify {} to {}: {}", dns::to_text(origin_), target_.to_string(), ec.message());
    receive();
    send();
  }

  // A newer serial is on its way: stop retrying this one.
  void cancel() { close(); }

 private:
  // Header (opcode NOTIFY, AA), the zone's SOA as question (RFC 1996 §3.7).
  void build() {
    message_.assign(dns::kHeaderSize, 0);
    dns::write_u16(message_.data(), id_);
    dns::write_u16(message_.data() + 2, static_cast<uint16_t>(dns::opcode::NOTIFY << 11 | dns::flag::AA));
    dns::write_u16(message_.data() + 4, 1);
    message_.insert(message_.end(), origin_.begin(), origin_.end());
    uint8_t tail[4];
    dns::write_u16(tail, dns::type::SOA);
    dns::write_u16(tail + 2, dns::klass::IN);
    message_.insert(message_.end(), tail, tail + 4);
    if (!key_) return;
    // Signed once: each resend is the same message (RFC 8945 §5.1), within the fudge.
    std::size_t len = message_.size();
    message_.resize(len + dns::tsig::record_size(*key_));
    message_.resize(dns::tsig::sign(message_.data(), len, message_.size(), *key_, {}, now()));
    dns::tsig::Record record;
    bool present = false;
    if (dns::tsig::find(message_.data(), message_.size(), record, present))
      mac_.assign(record.mac.begin(), record.mac.begin() + static_cast<std::ptrdiff_t>(record.mac_len));
  }

  static uint64_t now() { return static_cast<uint64_t>(std::time(nullptr)); }

  void send() {
    if (done_) return;
    if (tries_ == kTries) {
      spdlog::warn("notify {} serial {} to {}: no answer after {} tries", dns::to_text(origin_), serial_,
                   target_.to_string(), kTries);
      return close();
    }
    boost::system::error_code ignored;
    socket_.send_to(asio::buffer(message_), endpoint_, 0, ignored);
    timer_.expires_after(std::chrono::seconds(1 << tries_++));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->send();
    });
  }

  void receive() {
    socket_.async_receive_from(asio::buffer(reply_), from_,
                               [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                                 if (ec) return;
                                 if (self->is_answer(n)) return self->answered(n);
                                 self->receive();
                               });
  }

  bool is_answer(std::size_t n) const {
    if (n < dns::kHeaderSize || from_ != endpoint_ || dns::read_u16(reply_.data()) != id_) return false;
    uint16_t flags = dns::read_u16(reply_.data() + 2);
    return (flags & dns::flag::QR) != 0 && ((flags >> 11) & 0x0F) == dns::opcode::NOTIFY;
  }

  void answered(std::size_t n) {
    unsigned rcode = reply_[3] & 0x0F;
    std::string problem;
    if (key_) {
      dns::tsig::StreamVerifier verifier(*key_, mac_);
      problem = verifier.check(reply_.data(), n, now());
    }
    if (!problem.empty() || rcode != dns::rcode::NOERROR) {
      spdlog::warn("notify {} serial {} to {}: answered rcode {}{}", dns::to_text(origin_), serial_,
                   target_.to_string(), rcode, problem.empty() ? "" : ", " + problem);
    } else {
      spdlog::info("notify {} serial {} to {}: answered", dns::to_text(origin_), serial_, target_.to_string());
    }
    close();
  }

  void close() {
    done_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  udp::socket socket_;
  asio::steady_timer timer_;
  std::string origin_;
  uint32_t serial_;
  config::ListenAddress target_;
  std::optional<dns::tsig::Key> key_;
  std::vector<uint8_t> mac_;  // of the signed NOTIFY, which the reply's chains from
  udp::endpoint endpoint_;
  udp::endpoint from_;
  uint16_t id_ = 0;
  std::vector<uint8_t> message_;
  std::array<uint8_t, 512> reply_{};
  int tries_ = 0;
  bool done_ = false;
};

Notifier::Notifier() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}

Notifier::~Notifier() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<NotifyTarget> notify_targets(const std::vector<dns::tsig::Key>& keys, const config::ZoneConfig& zone) {
  std::vector<NotifyTarget> out;
  for (const auto& t : zone.notify) {
    NotifyTarget target{t.address, std::nullopt};
    if (const dns::tsig::Key* key = config::find_key(keys, t.key)) target.key = *key;
    out.push_back(std::move(target));
  }
  return out;
}

void Notifier::notify(const std::string& origin, uint32_t serial, const std::vector<NotifyTarget>& targets) {
  for (const auto& target : targets) {
    asio::post(io_, [this, origin, serial, target] {
      auto& slot = in_flight_[origin + " " + target.address.to_string()];
      if (auto previous = slot.lock()) previous->cancel();
      auto notification = std::make_shared<Notification>(io_, origin, serial, target);
      slot = notification;
      notification->start();
    });
  }
}

}  // namespace rpdns::xfr
