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
  ExchangeOptions options;
  options.transport = Transport::tcp_stream;
  options.tcp_idle = kTransferIdle;
  options.deadline = limits.timeout;
  options.deadline_name = "transfer-timeout";
  options.max_bytes = limits.max_bytes;
  options.max_bytes_name = "max-zone-size";
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

}  // namespace rpdns::xfr
