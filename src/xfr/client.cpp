#include "xfr/client.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include "dns/message.hpp"
#include "dns/name.hpp"
#include "dns/query_writer.hpp"
#include "dns/wire.hpp"
#include "xfr/exchange.hpp"
#include "zone/loader.hpp"
#include "zone/record_check.hpp"

namespace rpdns::xfr {
namespace {

namespace asio = boost::asio;

// A transfer may take long; the primary must keep it moving.
constexpr auto kTransferIdle = std::chrono::seconds(15);

// The common checks of a reply to our query `id`: "" or the problem.
std::string check_reply(const dns::Header& h, uint16_t id) {
  if (h.id != id) return "reply with another ID";
  if (!h.qr() || h.opcode() != dns::opcode::QUERY) return "not a reply to a query";
  if (h.rcode() != dns::rcode::NOERROR) return "the primary answered " + dns::rcode_text(h.rcode());
  return "";
}

// RFC 1035 §7.3: a reply is for our question, `origin` `qtype` IN. Later
// messages of a transfer may leave it out (RFC 5936 §2.2.1).
std::string check_question(dns::MessageReader& reader, std::string_view origin, uint16_t qtype, bool required) {
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
    if (code == dns::edns_option::EXPIRE && len == 4) return dns::read_u32(p + at);
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

// A transfer's exchange: one TCP stream within the limits.
ExchangeOptions transfer_options(const TransferLimits& limits) {
  ExchangeOptions options;
  options.transport = Transport::tcp_stream;
  options.tcp_idle = kTransferIdle;
  options.deadline = limits.timeout;
  options.deadline_name = "transfer-timeout";
  options.max_bytes = limits.max_bytes;
  options.max_bytes_name = "max-zone-size";
  return options;
}

uint32_t soa_serial(std::span<const uint8_t> soa_rdata) {
  return dns::SoaView{soa_rdata.data(), soa_rdata.size()}.serial();
}

}  // namespace

std::string read_soa_reply(const uint8_t* data, std::size_t len, uint16_t id, std::string_view origin, SoaResult& out) {
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
std::string take_record(const dns::MessageReader& reader, const dns::WireRecord& r, std::string_view origin,
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

std::string read_axfr_message(const uint8_t* message, std::size_t len, uint16_t id, std::string_view origin, bool first,
                              AxfrResult& out, bool& complete) {
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

// A record of a transfer as a change keeps it: TTL, RDLENGTH and RDATA.
void change_record(uint32_t ttl, const std::vector<uint8_t>& rdata, std::vector<uint8_t>& out) {
  out.resize(6 + rdata.size());
  dns::write_u32(out.data(), ttl);
  dns::write_u16(out.data() + 4, static_cast<uint16_t>(rdata.size()));
  std::copy(rdata.begin(), rdata.end(), out.begin() + 6);
}

std::string IxfrReader::read(const uint8_t* message, std::size_t len, bool& complete) {
  dns::MessageReader reader(message, len);
  if (reader.problem() != nullptr) return reader.problem();
  if (std::string problem = check_reply(reader.header(), id_); !problem.empty()) return problem;
  if (std::string problem = check_question(reader, origin_, dns::type::IXFR, first_message_); !problem.empty())
    return problem;
  first_message_ = false;
  dns::WireRecord r;
  while (reader.record(r)) {
    std::string problem =
        r.section == dns::Section::answer ? take(reader, r, complete) : read_extra(reader, r, out_.transfer.expire);
    if (!problem.empty()) return problem;
  }
  if (std::string problem = check_end(reader); !problem.empty()) return problem;
  if (stage_ == Stage::second) {
    // The primary's SOA alone (RFC 1995 §4): we are current. Anything
    // newer must come with its changes or the zone.
    if (dns::serial_greater(out_.serial, ours_)) return "the primary sent its SOA alone for a newer serial";
    out_.kind = IxfrResult::Kind::current;
    complete = true;
  }
  return "";
}

// One answer record, checked as an AXFR's are.
std::string IxfrReader::take(const dns::MessageReader& reader, const dns::WireRecord& r, bool& complete) {
  if (stage_ == Stage::whole_zone) return take_record(reader, r, origin_, out_.transfer, complete, rdata_);
  std::string_view owner = r.owner_view();
  if (stage_ == Stage::done || complete) return "records after the closing SOA";
  if (r.klass != dns::klass::IN) return "a record of class other than IN at " + dns::to_text(owner);
  if (!dns::is_subdomain(owner, origin_)) return "a record outside the zone: " + dns::to_text(owner);
  if (std::string problem = zone_record(reader, r, rdata_); !problem.empty()) return problem;
  uint32_t ttl = r.ttl;
  if (ttl > zone::kMaxTtl) {
    ttl = 0;  // as a zone file's (RFC 2181 §8)
    ++out_.transfer.ttls_zeroed;
  }
  change_record(ttl, rdata_, record_);
  bool soa = r.type == dns::type::SOA && owner == origin_;
  if (stage_ == Stage::first)
    return soa ? take_first(record_, soa_serial(rdata_)) : "the answer does not start with the zone's SOA";
  if (soa) return take_soa(record_, soa_serial(rdata_), complete);
  if (stage_ == Stage::second) {
    // RFC 1995 §4: anything but our SOA second is an AXFR-style answer.
    stage_ = Stage::whole_zone;
    out_.kind = IxfrResult::Kind::full;
    auto& records = out_.transfer.records;
    records.add(origin_, dns::type::SOA, dns::read_u32(first_soa_.data()), std::span(first_soa_).subspan(6), 0, 1);
    out_.transfer.serial = out_.serial;
    records.add(owner, r.type, ttl, rdata_, 0, 2);
    return "";
  }
  (stage_ == Stage::removed ? change_->removed : change_->added).add(owner, r.type, record_);
  return "";
}

std::string IxfrReader::take_first(std::span<const uint8_t> record, uint32_t serial) {
  out_.serial = serial;
  first_soa_.assign(record.begin(), record.end());
  stage_ = Stage::second;
  return "";
}

// An SOA after the first: where the changes' parts begin and end.
std::string IxfrReader::take_soa(std::span<const uint8_t> record, uint32_t serial, bool& complete) {
  if (stage_ == Stage::second || (stage_ == Stage::added && change_->to != out_.serial)) {
    // The old SOA of a change: ours first, then each change's new one.
    uint32_t from = stage_ == Stage::second ? ours_ : change_->to;
    if (serial != from)
      return stage_ == Stage::second ? "an AXFR-style answer of only the SOA" : "changes that do not follow each other";
    if (change_) out_.changes.push_back(std::move(change_));
    change_ = std::make_shared<zone::Change>();
    change_->from = serial;
    change_->removed.add(origin_, dns::type::SOA, record);
    stage_ = Stage::removed;
    out_.kind = IxfrResult::Kind::incremental;
    return "";
  }
  if (stage_ == Stage::removed) {
    if (!dns::serial_greater(serial, change_->from)) return "a change to a serial that is not greater";
    change_->to = serial;
    change_->added.add(origin_, dns::type::SOA, record);
    stage_ = Stage::added;
    return "";
  }
  // The closing SOA: the primary's, after the change that reaches it.
  if (serial != out_.serial) return "the closing SOA has another serial";
  out_.changes.push_back(std::move(change_));
  stage_ = Stage::done;
  complete = true;
  return "";
}

void query_soa(asio::io_context& io, const config::ListenAddress& primary, const dns::WireName& origin,
               std::optional<dns::tsig::Key> key, std::function<void(SoaResult)> done) {
  auto result = std::make_shared<SoaResult>();
  dns::OutgoingQuery query{.id = random_id(), .qname = origin.wire(), .qtype = dns::type::SOA, .expire_option = true};
  auto read = [result, id = query.id, origin](const uint8_t* m, std::size_t len, bool& last) {
    last = true;
    return read_soa_reply(m, len, id, origin.wire(), *result);
  };
  exchange(io, primary, query, std::move(key), ExchangeOptions{}, read,
           [result, done = std::move(done)](ExchangeEnd end) {
             if (!end.error.empty()) *result = SoaResult{.error = std::move(end.error)};
             done(std::move(*result));
           });
}

void fetch_axfr(asio::io_context& io, const config::ListenAddress& primary, const dns::WireName& origin,
                std::optional<dns::tsig::Key> key, TransferLimits limits, std::function<void(AxfrResult)> done) {
  auto result = std::make_shared<AxfrResult>();
  result->records.files.push_back("AXFR of " + origin.text() + " from " + primary.to_string());
  dns::OutgoingQuery query{.id = random_id(), .qname = origin.wire(), .qtype = dns::type::AXFR, .expire_option = true};
  ExchangeOptions options = transfer_options(limits);
  auto read = [result, id = query.id, origin, first = true](const uint8_t* m, std::size_t len, bool& last) mutable {
    std::string problem = read_axfr_message(m, len, id, origin.wire(), first, *result, last);
    first = false;
    return problem;
  };
  exchange(io, primary, query, std::move(key), options, read, [result, done = std::move(done)](ExchangeEnd end) {
    result->ok = end.error.empty();
    result->error = std::move(end.error);
    result->bytes = end.bytes;
    result->messages = end.messages;
    done(std::move(*result));
  });
}

void fetch_ixfr(asio::io_context& io, const config::ListenAddress& primary, const dns::WireName& origin,
                std::span<const uint8_t> ours, std::optional<dns::tsig::Key> key, TransferLimits limits,
                std::function<void(IxfrResult)> done) {
  auto result = std::make_shared<IxfrResult>();
  result->transfer.records.files.push_back("IXFR of " + origin.text() + " from " + primary.to_string());
  std::vector<uint8_t> soa(ours.begin(), ours.end());
  dns::OutgoingQuery query{
      .id = random_id(), .qname = origin.wire(), .qtype = dns::type::IXFR, .expire_option = true, .authority_soa = soa};
  auto reader = std::make_shared<IxfrReader>(query.id, origin.wire(), soa_serial(soa), *result);
  auto read = [reader, result](const uint8_t* m, std::size_t len, bool& last) { return reader->read(m, len, last); };
  exchange(io, primary, query, std::move(key), transfer_options(limits), read,
           [result, reader, done = std::move(done)](ExchangeEnd end) {
             result->ok = result->transfer.ok = end.error.empty();
             result->error = std::move(end.error);
             result->transfer.bytes = end.bytes;
             result->transfer.messages = end.messages;
             done(std::move(*result));
           });
}

}  // namespace rpdns::xfr
