#include "xfr/client.hpp"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <ctime>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "dns/message.hpp"
#include "dns/name.hpp"
#include "dns/wire.hpp"
#include "zone/loader.hpp"
#include "zone/record_check.hpp"

namespace rpdns::xfr {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;

constexpr auto kUdpWait = std::chrono::seconds(2);
constexpr auto kTcpWait = std::chrono::seconds(5);  // to connect, and for a whole SOA exchange
// A transfer may take long; the primary must keep it moving.
constexpr auto kTransferIdle = std::chrono::seconds(15);

uint16_t random_id() { return static_cast<uint16_t>(std::random_device{}()); }

constexpr uint16_t kEdnsExpire = 9;  // EDNS option code (RFC 7314)
constexpr uint16_t kOurUdpSize = 1232;

// A query for `origin`'s `qtype`, RD clear, with OPT (RFC 6891) holding an
// empty EXPIRE option: a primary that is itself a secondary then says how
// long its copy stays valid (RFC 7314 §2).
std::vector<uint8_t> build_query(uint16_t id, const std::string& origin, uint16_t qtype) {
  constexpr std::size_t kOptSize = 11 + 4;  // the OPT record, and one option without data
  std::size_t question_end = dns::kHeaderSize + origin.size() + 4;
  std::vector<uint8_t> q(question_end + kOptSize, 0);
  dns::write_u16(q.data(), id);
  dns::write_u16(q.data() + 4, 1);   // QDCOUNT
  dns::write_u16(q.data() + 10, 1);  // ARCOUNT: the OPT
  std::memcpy(q.data() + dns::kHeaderSize, origin.data(), origin.size());
  dns::write_u16(q.data() + dns::kHeaderSize + origin.size(), qtype);
  dns::write_u16(q.data() + dns::kHeaderSize + origin.size() + 2, dns::klass::IN);
  uint8_t* opt = q.data() + question_end;  // owner: the root, already 0
  dns::write_u16(opt + 1, dns::type::OPT);
  dns::write_u16(opt + 3, kOurUdpSize);
  dns::write_u16(opt + 9, 4);  // RDLENGTH
  dns::write_u16(opt + 11, kEdnsExpire);
  return q;
}

uint64_t unix_now() { return static_cast<uint64_t>(std::time(nullptr)); }

// Signs `query` with `key` (RFC 8945 §5.1) and keeps its MAC in `mac`,
// which the replies' MACs chain from.
void sign_query(std::vector<uint8_t>& query, const dns::tsig::Key& key, std::vector<uint8_t>& mac) {
  std::size_t len = query.size();
  query.resize(len + dns::tsig::record_size(key));
  std::size_t signed_len = dns::tsig::sign(query.data(), len, query.size(), key, {}, unix_now());
  query.resize(signed_len);
  dns::tsig::Record record;
  bool present = false;
  if (signed_len != 0 && dns::tsig::find(query.data(), query.size(), record, present))
    mac.assign(record.mac.begin(), record.mac.begin() + static_cast<std::ptrdiff_t>(record.mac_len));
}

std::string key_text(const std::optional<dns::tsig::Key>& key) {
  return key ? " (TSIG key " + dns::to_text(key->name) + ")" : "";
}

// The common checks of a reply to our query `id`: "" or the problem.
std::string check_reply(const dns::Header& h, uint16_t id) {
  if (h.id != id) return "reply with another ID";
  if (!h.qr() || h.opcode() != dns::opcode::QUERY) return "not a reply to a query";
  if (h.rcode() != dns::rcode::NOERROR) return "the primary answered " + dns::rcode_text(h.rcode());
  return "";
}

// RFC 1035 §7.3: a reply is for our question, `origin` `qtype` IN. Later
// messages of a transfer may leave it out (RFC 5936 §2.2.1).
std::string check_question(dns::MessageReader& reader, const std::string& origin, uint16_t qtype, bool required) {
  unsigned count = reader.header().qdcount;
  if (count == 0) return required ? "the reply does not echo the question" : "";
  dns::WireQuestion q;
  if (count != 1 || !reader.question(q))
    return reader.problem() != nullptr ? reader.problem() : "more than one question";
  if (q.name_view() != origin || q.type != qtype || q.klass != dns::klass::IN)
    return "the reply is to another question (" + dns::to_text(q.name_view()) + " type " + std::to_string(q.type) + ")";
  return "";
}

// The seconds of an OPT record's EXPIRE option (RFC 7314 §3); -1 when none.
int64_t edns_expire(const dns::MessageReader& reader, const dns::WireRecord& opt) {
  const uint8_t* p = reader.data() + opt.rdata_pos;
  for (std::size_t at = 0; at + 4 <= opt.rdata_len;) {
    uint16_t code = dns::read_u16(p + at);
    uint16_t len = dns::read_u16(p + at + 2);
    at += 4;
    if (at + len > opt.rdata_len) break;
    if (code == kEdnsExpire && len == 4) return dns::read_u32(p + at);
    at += len;
  }
  return -1;
}

// Records outside the answer section: OPT (its EXPIRE into `expire`) and a
// TSIG, which RFC 8945 §5.1 allows only as the message's last record; the
// rest is ignored. "" or the problem.
std::string read_extra(const dns::MessageReader& reader, const dns::WireRecord& r, int64_t& expire) {
  if (r.type == dns::type::TSIG && (r.section != dns::Section::additional || !r.last))
    return "a TSIG record that is not the last";
  if (r.type == dns::type::OPT && r.section == dns::Section::additional && expire < 0) expire = edns_expire(reader, r);
  return "";
}

// The end of a message: nothing malformed, nothing after the records.
std::string check_end(const dns::MessageReader& reader) {
  if (reader.problem() != nullptr) return reader.problem();
  return reader.at_end() ? "" : "trailing data after the last record";
}

// The RDATA of `r` uncompressed into `rdata`, checked as a zone file's
// record would be (zone/record_check): "" or the problem.
std::string zone_record(const dns::MessageReader& reader, const dns::WireRecord& r, std::vector<uint8_t>& rdata) {
  std::string where = dns::to_text(r.owner_view()) + " " + zone::type_text(r.type) + ": ";
  rdata.clear();
  if (!dns::expand_rdata(reader, r, rdata)) return where + "malformed RDATA";
  if (std::string problem = zone::check_type(r.type); !problem.empty()) return where + problem;
  if (std::string problem = zone::check_rdata(r.type, rdata); !problem.empty()) return where + problem;
  if (std::string problem = zone::check_record_size(r.owner_view(), rdata.size()); !problem.empty())
    return where + problem;
  return "";
}

uint32_t soa_serial(std::span<const uint8_t> soa_rdata) {
  return dns::read_u32(soa_rdata.data() + soa_rdata.size() - 20);
}

std::string endpoint_text(const config::ListenAddress& a) { return a.to_string(); }

// SOA over UDP, then over TCP if the UDP reply was truncated or did not come.
class SoaQuery : public std::enable_shared_from_this<SoaQuery> {
 public:
  SoaQuery(asio::io_context& io, const config::ListenAddress& primary, const std::string& origin,
           std::optional<dns::tsig::Key> key, std::function<void(SoaResult)> done)
      : udp_(io),
        tcp_(io),
        timer_(io),
        primary_(primary),
        origin_(origin),
        key_(std::move(key)),
        done_(std::move(done)),
        id_(random_id()),
        query_(build_query(id_, origin, dns::type::SOA)) {
    if (key_) sign_query(query_, *key_, mac_);
  }

  void start() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(primary_.host, ec);
    if (ec) return finish_error("bad address " + primary_.host);
    udp::endpoint to(address, primary_.port);
    udp_.open(to.protocol(), ec);
    if (!ec) udp_.connect(to, ec);
    if (ec) return try_tcp();
    arm(kUdpWait, [](SoaQuery& self) { self.try_tcp(); });
    udp_.async_send(asio::buffer(query_), [self = shared_from_this()](const boost::system::error_code& e, std::size_t) {
      if (e) self->try_tcp();
    });
    receive_udp();
  }

 private:
  template <class Then>
  void arm(Clock::duration wait, Then then) {
    timer_.expires_after(wait);
    timer_.async_wait([self = shared_from_this(), then](const boost::system::error_code& ec) {
      if (!ec && !self->finished_) then(*self);
    });
  }

  void receive_udp() {
    udp_.async_receive(asio::buffer(buffer_),
                       [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                         if (ec || self->finished_ || self->on_tcp_) return;
                         if (n >= dns::kHeaderSize && dns::read_u16(self->buffer_.data()) != self->id_)
                           return self->receive_udp();
                         if (n >= 4 && (self->buffer_[2] & 0x02) != 0) return self->try_tcp();  // TC
                         self->complete(self->buffer_.data(), n);
                       });
  }

  void try_tcp() {
    if (on_tcp_ || finished_) return;
    on_tcp_ = true;
    boost::system::error_code ignored;
    udp_.close(ignored);
    tcp::endpoint to(asio::ip::make_address(primary_.host, ignored), primary_.port);
    arm(kTcpWait, [](SoaQuery& self) { self.finish_error("no answer over UDP or TCP"); });
    tcp_.async_connect(to, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (self->finished_) return;
      if (ec) return self->finish_error("TCP: " + ec.message());
      self->framed_.resize(2 + self->query_.size());
      dns::write_u16(self->framed_.data(), static_cast<uint16_t>(self->query_.size()));
      std::copy(self->query_.begin(), self->query_.end(), self->framed_.begin() + 2);
      asio::async_write(self->tcp_, asio::buffer(self->framed_),
                        [self](const boost::system::error_code& e, std::size_t) {
                          if (e) return self->finish_error("TCP: " + e.message());
                          self->read_tcp();
                        });
    });
  }

  void read_tcp() {
    asio::async_read(tcp_, asio::buffer(length_),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       if (self->finished_) return;
                       if (ec) return self->finish_error("TCP: " + ec.message());
                       std::size_t len = dns::read_u16(self->length_.data());
                       if (len > self->buffer_.size()) return self->finish_error("TCP reply too long");
                       asio::async_read(self->tcp_, asio::buffer(self->buffer_.data(), len),
                                        [self, len](const boost::system::error_code& e, std::size_t) {
                                          if (self->finished_) return;
                                          if (e) return self->finish_error("TCP: " + e.message());
                                          self->complete(self->buffer_.data(), len);
                                        });
                     });
  }

  void complete(const uint8_t* data, std::size_t len) {
    SoaResult result;
    std::string problem;
    if (key_) {
      // A reply to a signed query must be signed with the same key (RFC 8945 §5.3).
      dns::tsig::StreamVerifier verifier(*key_, mac_);
      problem = verifier.check(data, len, unix_now());
    }
    if (problem.empty()) problem = read_soa_reply(data, len, id_, origin_, result);
    if (!problem.empty()) return finish_error(problem);
    finish(std::move(result));
  }

  void finish_error(std::string problem) {
    SoaResult result;
    result.error = endpoint_text(primary_) + key_text(key_) + ": " + problem;
    finish(std::move(result));
  }

  void finish(SoaResult result) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    udp_.close(ignored);
    tcp_.close(ignored);
    done_(std::move(result));
  }

  udp::socket udp_;
  tcp::socket tcp_;
  asio::steady_timer timer_;
  config::ListenAddress primary_;
  std::string origin_;
  std::optional<dns::tsig::Key> key_;
  std::vector<uint8_t> mac_;  // of the signed query
  std::function<void(SoaResult)> done_;
  uint16_t id_;
  std::vector<uint8_t> query_;
  std::vector<uint8_t> framed_;
  std::array<uint8_t, 2> length_{};
  std::array<uint8_t, dns::kMaxMessageSize> buffer_{};
  bool on_tcp_ = false;
  bool finished_ = false;
};

// One AXFR over TCP: the messages are read and checked one by one.
class AxfrFetch : public std::enable_shared_from_this<AxfrFetch> {
 public:
  AxfrFetch(asio::io_context& io, const config::ListenAddress& primary, const std::string& origin,
            std::optional<dns::tsig::Key> key, TransferLimits limits, std::function<void(AxfrResult)> done)
      : socket_(io),
        timer_(io),
        deadline_(io),
        limits_(limits),
        primary_(primary),
        origin_(origin),
        key_(std::move(key)),
        done_(std::move(done)),
        id_(random_id()) {
    auto query = build_query(id_, origin, dns::type::AXFR);
    std::vector<uint8_t> mac;
    if (key_) {
      sign_query(query, *key_, mac);
      verifier_ = std::make_unique<dns::tsig::StreamVerifier>(*key_, mac);
    }
    framed_.resize(2);
    dns::write_u16(framed_.data(), static_cast<uint16_t>(query.size()));
    framed_.insert(framed_.end(), query.begin(), query.end());
    result_.records.files.push_back("AXFR of " + dns::to_text(origin) + " from " + endpoint_text(primary));
    buffer_.resize(dns::kMaxMessageSize);
  }

  void start() {
    boost::system::error_code ec;
    tcp::endpoint to(asio::ip::make_address(primary_.host, ec), primary_.port);
    if (ec) return fail("bad address " + primary_.host);
    arm_deadline();
    arm(kTcpWait);
    socket_.async_connect(to, [self = shared_from_this()](const boost::system::error_code& e) {
      if (self->finished_) return;
      if (e) return self->fail("connect: " + e.message());
      asio::async_write(self->socket_, asio::buffer(self->framed_),
                        [self](const boost::system::error_code& w, std::size_t) {
                          if (w) return self->fail("send: " + w.message());
                          self->read_length();
                        });
    });
  }

 private:
  void arm(Clock::duration wait) {
    timer_.expires_after(wait);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->finished_) self->fail("timed out");
    });
  }

  // The idle timer above catches a primary that stops; this one a primary
  // that trickles on for ever.
  void arm_deadline() {
    deadline_.expires_after(limits_.timeout);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->finished_)
        self->fail("took longer than transfer-timeout (" + std::to_string(self->limits_.timeout.count()) + " s)");
    });
  }

  void read_length() {
    arm(kTransferIdle);
    asio::async_read(
        socket_, asio::buffer(length_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (self->finished_) return;
          if (ec)
            return self->fail(ec == asio::error::eof ? "the primary closed the connection before the closing SOA"
                                                     : "read: " + ec.message());
          std::size_t len = dns::read_u16(self->length_.data());
          // Checked before the message is read: a transfer that never ends stops here.
          if (self->result_.bytes + 2 + len > self->limits_.max_bytes)
            return self->fail("more than max-zone-size (" + std::to_string(self->limits_.max_bytes) + " bytes)");
          asio::async_read(self->socket_, asio::buffer(self->buffer_.data(), len),
                           [self, len](const boost::system::error_code& e, std::size_t) {
                             if (self->finished_) return;
                             if (e) return self->fail("read: " + e.message());
                             self->on_message(len);
                           });
        });
  }

  void on_message(std::size_t len) {
    bool complete = false;
    result_.bytes += 2 + len;
    std::string problem;
    // Every message is checked against the TSIG chain before its records are read (RFC 8945 §5.3.1).
    if (verifier_) problem = verifier_->check(buffer_.data(), len, unix_now());
    if (problem.empty())
      problem = read_axfr_message(buffer_.data(), len, id_, origin_, result_.messages == 0, result_, complete);
    ++result_.messages;
    if (problem.empty() && complete && verifier_ && !verifier_->signed_last())
      problem = "the last message is not signed";
    if (!problem.empty()) return fail(problem);
    if (!complete) return read_length();
    result_.ok = true;
    finish();
  }

  void fail(std::string problem) {
    result_.ok = false;
    result_.error = endpoint_text(primary_) + key_text(key_) + ": " + problem;
    finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    deadline_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    done_(std::move(result_));
  }

  tcp::socket socket_;
  asio::steady_timer timer_;     // connecting, then the idle time between messages
  asio::steady_timer deadline_;  // the whole transfer
  TransferLimits limits_;
  config::ListenAddress primary_;
  std::string origin_;
  std::optional<dns::tsig::Key> key_;
  std::unique_ptr<dns::tsig::StreamVerifier> verifier_;  // when the transfer is signed
  std::function<void(AxfrResult)> done_;
  uint16_t id_;
  std::vector<uint8_t> framed_;
  std::array<uint8_t, 2> length_{};
  std::vector<uint8_t> buffer_;
  AxfrResult result_;
  bool finished_ = false;
};

}  // namespace

std::string read_soa_reply(const uint8_t* data, std::size_t len, uint16_t id, const std::string& origin,
                           SoaResult& out) {
  dns::MessageReader reader(data, len);
  if (reader.problem() != nullptr) return reader.problem();
  if (std::string problem = check_reply(reader.header(), id); !problem.empty()) return problem;
  if (!reader.header().aa()) return "the reply is not authoritative";
  if (std::string problem = check_question(reader, origin, dns::type::SOA, true); !problem.empty()) return problem;
  dns::WireRecord r;
  std::vector<uint8_t> rdata;
  bool found = false;
  int64_t expire = -1;
  while (reader.record(r)) {
    if (r.section != dns::Section::answer) {
      if (std::string problem = read_extra(reader, r, expire); !problem.empty()) return problem;
    } else if (!found && r.type == dns::type::SOA && r.klass == dns::klass::IN && r.owner_view() == origin) {
      if (std::string problem = zone_record(reader, r, rdata); !problem.empty()) return problem;
      out.serial = soa_serial(rdata);
      found = true;
    }
  }
  if (std::string problem = check_end(reader); !problem.empty()) return problem;
  if (!found) return "no SOA in the answer";
  out.expire = expire;
  out.ok = true;
  return "";
}

namespace {

// One answer record of a transfer into `out`; sets `complete` at the
// closing SOA. "" or the problem.
std::string take_record(const dns::MessageReader& reader, const dns::WireRecord& r, const std::string& origin,
                        AxfrResult& out, bool& complete, std::vector<uint8_t>& rdata) {
  std::string_view owner = r.owner_view();
  bool soa_at_apex = r.type == dns::type::SOA && owner == origin;
  if (complete) return "records after the closing SOA";
  if (r.klass != dns::klass::IN) return "a record of class other than IN at " + dns::to_text(owner);
  if (!dns::is_subdomain(owner, origin)) return "a record outside the zone: " + dns::to_text(owner);
  if (out.records.records.empty() && !soa_at_apex) return "the transfer does not start with the zone's SOA";
  if (std::string problem = zone_record(reader, r, rdata); !problem.empty()) return problem;
  if (soa_at_apex && !out.records.records.empty()) {
    // RFC 5936 §2.2: the SOA again ends the transfer, with the same serial.
    complete = true;
    return soa_serial(rdata) == out.serial ? "" : "the closing SOA has another serial";
  }
  if (soa_at_apex) out.serial = soa_serial(rdata);
  uint32_t ttl = r.ttl;
  if (ttl > zone::kMaxTtl) {
    ttl = 0;  // as a zone file's (RFC 2181 §8)
    ++out.ttls_zeroed;
  }
  out.records.add(owner, r.type, ttl, rdata, 0, static_cast<uint32_t>(out.records.records.size() + 1));
  return "";
}

}  // namespace

std::string read_axfr_message(const uint8_t* message, std::size_t len, uint16_t id, const std::string& origin,
                              bool first, AxfrResult& out, bool& complete) {
  dns::MessageReader reader(message, len);
  if (reader.problem() != nullptr) return reader.problem();
  if (std::string problem = check_reply(reader.header(), id); !problem.empty()) return problem;
  // RFC 5936 §2.2.1: the first message echoes the question; later ones may.
  if (std::string problem = check_question(reader, origin, dns::type::AXFR, first); !problem.empty()) return problem;
  dns::WireRecord r;
  std::vector<uint8_t> rdata;
  while (reader.record(r)) {
    std::string problem = r.section == dns::Section::answer ? take_record(reader, r, origin, out, complete, rdata)
                                                            : read_extra(reader, r, out.expire);
    if (!problem.empty()) return problem;
  }
  return check_end(reader);
}

void query_soa(asio::io_context& io, const config::ListenAddress& primary, const std::string& origin,
               std::optional<dns::tsig::Key> key, std::function<void(SoaResult)> done) {
  std::make_shared<SoaQuery>(io, primary, origin, std::move(key), std::move(done))->start();
}

void fetch_axfr(asio::io_context& io, const config::ListenAddress& primary, const std::string& origin,
                std::optional<dns::tsig::Key> key, TransferLimits limits, std::function<void(AxfrResult)> done) {
  std::make_shared<AxfrFetch>(io, primary, origin, std::move(key), limits, std::move(done))->start();
}

}  // namespace rpdns::xfr
