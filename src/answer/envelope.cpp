#include "answer/envelope.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>

#include "answer/transfer.hpp"

namespace rpdns::answer {
namespace {

std::size_t reply_limit(const dns::Query& q, const Options& options, bool over_tcp) {
  if (over_tcp) return dns::kMaxMessageSize;
  if (!q.has_edns) return dns::kClassicUdpSize;
  // RFC 6891 §6.2.5: sizes below 512 are treated as 512.
  std::size_t ours = std::max<std::size_t>(options.edns_udp_size, dns::kClassicUdpSize);
  return std::clamp<std::size_t>(q.edns_udp_size, dns::kClassicUdpSize, ours);
}

// RFC 7873 §5.2: checks the request's cookie and puts the one the reply
// carries in `out` (client cookie, then server cookie), its length in
// `out_len` (0: none). A valid server cookie is echoed as it came while it
// is young; anything else gets one made now (RFC 9018 §4.3).
CookieResult server_cookie(const dns::Query& q, const Options& options, const sockaddr* peer, uint8_t* out,
                           std::size_t& out_len) {
  out_len = 0;
  if (options.cookies == nullptr || !q.has_edns) return CookieResult::none;
  if (q.cookie_malformed) return CookieResult::malformed;
  if (q.cookie == nullptr) return CookieResult::none;
  dns::ServerCookies& cookies = *options.cookies;
  uint32_t now = cookies.now();
  std::memcpy(out, q.cookie, dns::kClientCookieSize);
  CookieResult result = CookieResult::client_only;
  if (q.cookie_len > dns::kClientCookieSize) {
    std::span<const uint8_t> presented{q.cookie + dns::kClientCookieSize, q.cookie_len - dns::kClientCookieSize};
    auto verdict = cookies.check(q.cookie, presented, peer, now);
    if (verdict == dns::ServerCookies::Verdict::valid) {
      std::memcpy(out + dns::kClientCookieSize, presented.data(), presented.size());
      out_len = q.cookie_len;
      return CookieResult::valid;
    }
    result = verdict == dns::ServerCookies::Verdict::renew ? CookieResult::valid : CookieResult::invalid;
  }
  if (cookies.make(q.cookie, peer, now, out + dns::kClientCookieSize)) out_len = dns::kCookieSize;
  return result;
}

// RFC 8945 §5.2: a signed request is checked before it is answered.
// Fills the outcome's tsig fields; returns the room its reply's TSIG needs.
std::size_t check_tsig(const uint8_t* request, std::size_t len, const dns::Query& q, const dns::tsig::Keyring& keys,
                       Reply& outcome, dns::tsig::Record& record, bool& formerr) {
  if (!dns::tsig::parse_at(request, len, q.tsig_offset, record)) {
    formerr = true;
    return 0;
  }
  auto now = static_cast<uint64_t>(std::time(nullptr));
  dns::tsig::Verdict v = dns::tsig::verify_request(request, record, keys, now);
  if (v.formerr) {
    formerr = true;
    return 0;
  }
  outcome.tsig_error = v.error;
  if (v.error == 0 || v.error == dns::tsig::BADTIME) {
    // Signed replies: answers, and BADTIME so the client can trust the time it carries (§5.2.3).
    outcome.tsig_key = v.key;
    outcome.tsig_mac = v.mac;
    outcome.tsig_mac_len = v.mac_len;
    return dns::tsig::record_size(*v.key);
  }
  return record.key_name_len + record.algorithm_len + 28;  // an unsigned TSIG: no MAC, no other data
}

// Appends the reply's TSIG: signed with the request's key, or (BADKEY,
// BADSIG, BADTRUNC) unsigned with the request's names (§5.2.1, §5.2.2).
std::size_t sign_reply(uint8_t* out, std::size_t size, std::size_t capacity, const dns::tsig::Record& request,
                       const Reply& outcome) {
  auto now = static_cast<uint64_t>(std::time(nullptr));
  if (outcome.tsig_key == nullptr)
    return dns::tsig::append_unsigned(out, size, capacity, request, now, outcome.tsig_error);
  std::span<const uint8_t> mac{outcome.tsig_mac.data(), outcome.tsig_mac_len};
  if (outcome.tsig_error == dns::tsig::BADTIME) {
    // The request's own time, so that the client's check passes, and ours as other data (§5.2.3).
    return dns::tsig::sign(out, size, capacity, *outcome.tsig_key, mac, request.time_signed, dns::tsig::BADTIME, now);
  }
  return dns::tsig::sign(out, size, capacity, *outcome.tsig_key, mac, now);
}

}  // namespace

bool read_request(const uint8_t* request, std::size_t len, const Snapshot& snapshot, const Options& options,
                  bool over_tcp, uint8_t* out, const sockaddr* peer, Envelope& e, Reply& outcome) {
  const dns::Query& q = e.q;
  e.status = dns::parse_query(request, len, e.q);
  if (e.status == dns::ParseStatus::drop) return false;
  outcome.edns = q.has_edns;
  outcome.qtype = q.qtype;
  // Echo the opcode (RFC 1035 §4.1.1); RD and CD only for QUERY, the one
  // opcode that defines them (RFC 1035 §4.1.1, RFC 6840 §5.9), as ISC's
  // compliance probe (opcodeflg) expects.
  uint16_t echoed = q.opcode == dns::opcode::QUERY ? dns::flag::RD | dns::flag::CD : 0;
  auto flags = static_cast<uint16_t>(dns::flag::QR | (q.flags & (dns::flag::OPCODE | echoed)));
  std::span<const uint8_t> question;
  if (q.has_question) question = {q.question, q.question_len};
  // RFC 5001 §2.1: NSID only to clients that ask, and its room is kept.
  if (q.edns_nsid) e.nsid = options.nsid;
  std::size_t opt_room = e.nsid.empty() ? 0 : dns::kEdnsOptionHeader + e.nsid.size();
  if (q.edns_expire) opt_room += dns::kEdnsOptionHeader + 4;  // RFC 7314: 4 bytes of seconds
  e.badvers = q.has_edns && q.edns_version != 0;
  if (e.status == dns::ParseStatus::ok && !e.badvers) {
    outcome.cookie = server_cookie(q, options, peer, e.cookie, e.cookie_len);
    outcome.cookie_valid = outcome.cookie == CookieResult::valid;
    if (e.cookie_len > 0) opt_room += dns::kEdnsOptionHeader + e.cookie_len;
  }
  // TSIG: only a signed request pays for the record it carries.
  std::size_t tsig_room = 0;
  if (q.tsig_offset != 0 && e.status == dns::ParseStatus::ok) {
    e.tsig.emplace();
    tsig_room = check_tsig(request, len, q, snapshot.keys, outcome, *e.tsig, e.tsig_formerr);
    if (e.tsig_formerr) e.tsig.reset();
  }
  e.limit = reply_limit(q, options, over_tcp);
  e.w.begin(out, e.limit - std::min(tsig_room, e.limit - dns::kHeaderSize), q.id, flags, question, q.has_edns,
            opt_room);
  return true;
}

void finish_reply(Envelope& e, uint16_t rcode, int ede, const Snapshot& snapshot, const Options& options, uint8_t* out,
                  Reply& outcome) {
  const dns::Query& q = e.q;
  if (q.has_edns) {
    e.w.put_opt(options.edns_udp_size, rcode, q.edns_do, ede, e.nsid, {e.cookie, e.cookie_len},
                expire_seconds(q, snapshot.zones, rcode));
  }
  e.w.set_rcode(static_cast<uint8_t>(rcode & 0x0F));
  outcome.rcode = rcode;
  outcome.truncated = dns::header_tc(e.w.data());
  outcome.question_end = dns::kHeaderSize + (q.has_question ? q.question_len : 0);
  outcome.size = e.w.size();
  if (e.tsig) outcome.size = sign_reply(out, outcome.size, e.limit, *e.tsig, outcome);
}

}  // namespace rpdns::answer
