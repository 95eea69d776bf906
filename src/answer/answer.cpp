// respond(): the request's envelope is read once (envelope.cpp), the
// request is classified once into the kind of reply it gets, and one
// switch hands each kind to its own file, as Knot DNS's query processing
// does: lookup.cpp (with proofs.cpp and additional.cpp) for QUERY,
// transfer.cpp, notify.cpp, chaos.cpp; the errors need no more than their
// rcode.
#include "answer/answer.hpp"

#include "answer/chaos.hpp"
#include "answer/envelope.hpp"
#include "answer/lookup.hpp"
#include "answer/notify.hpp"
#include "answer/transfer.hpp"

namespace rpdns::answer {
namespace {

enum class Kind : uint8_t {
  formerr,    // malformed: the message, its TSIG or its COOKIE; a question-less QUERY without cookies
  notauth,    // a TSIG that failed its check (RFC 8945 §5.2)
  notify,     // RFC 1996
  notimp,     // an opcode we do not serve; QTYPE 0; AXFR over UDP
  badvers,    // RFC 6891 §6.1.3
  badcookie,  // RFC 7873 §5.2.3
  cookie,     // a QUERY with no question, asking for a cookie (RFC 7873 §5.4)
  chaos,      // RFC 4892
  refused,    // a class we do not serve
  transfer,   // AXFR or IXFR
  query,      // the authoritative lookup
};

// The order of the tests is the precedence of the errors: a request that
// fails two checks gets the first one's rcode.
Kind classify(const Envelope& e, const Reply& outcome, const Options& options, bool over_tcp) {
  const dns::Query& q = e.q;
  if (e.status == dns::ParseStatus::formerr || e.tsig_formerr) return Kind::formerr;
  if (outcome.tsig_error != 0) return Kind::notauth;
  if (q.opcode == dns::opcode::NOTIFY) return Kind::notify;
  if (q.opcode != dns::opcode::QUERY) return Kind::notimp;
  if (e.badvers) return Kind::badvers;
  if (outcome.cookie == CookieResult::malformed) return Kind::formerr;  // RFC 7873 §5.2.2
  // RFC 7873 §5.2.3 lets a server answer BADCOOKIE, with a fresh cookie
  // and no data: a client that forged or kept a stale cookie learns the
  // right one, and a spoofed source gets a reply no bigger than its
  // request. Over TCP the source is proven, so it is answered.
  if (outcome.cookie == CookieResult::invalid && !over_tcp) return Kind::badcookie;
  // RFC 7873 §5.4: a QUERY with no question asks for a cookie (the parser
  // let it through only with one); without cookies it is FORMERR.
  if (!q.has_question) return options.cookies != nullptr ? Kind::cookie : Kind::formerr;
  if (q.qclass == dns::klass::CH) return Kind::chaos;
  // QCLASS * is answered as IN, as Knot DNS does.
  if (q.qclass != dns::klass::IN && q.qclass != dns::klass::ANY) return Kind::refused;
  // Type 0 is reserved; AXFR needs TCP (RFC 5936 §4.2).
  if (q.qtype == 0 || (q.qtype == dns::type::AXFR && !over_tcp)) return Kind::notimp;
  if (q.qtype == dns::type::AXFR || q.qtype == dns::type::IXFR) return Kind::transfer;
  return Kind::query;
}

uint8_t query(Envelope& e, const Snapshot& snapshot, const Options& options, Reply& outcome, int& ede) {
  Responder responder(snapshot.zones, options, e.q, e.w);
  uint8_t rcode = responder.run();
  outcome.zone = responder.zone();
  outcome.synthesized_by = responder.synthesized_by();
  if (rcode == dns::rcode::REFUSED) ede = dns::kEdeNotAuthoritative;  // no zone of ours
  return rcode;
}

}  // namespace

Reply respond(const uint8_t* request, std::size_t len, const Snapshot& snapshot, const Options& options, bool over_tcp,
              uint8_t* out, const sockaddr* peer) {
  Reply outcome;
  Envelope e;
  if (!read_request(request, len, snapshot, options, over_tcp, out, peer, e, outcome)) return outcome;
  uint16_t rcode = dns::rcode::NOERROR;
  int ede = dns::kNoEde;
  switch (classify(e, outcome, options, over_tcp)) {
    case Kind::formerr:
      rcode = dns::rcode::FORMERR;
      break;
    case Kind::notauth:
      rcode = dns::rcode::NOTAUTH;  // RFC 8945 §5.2: the error itself is in the reply's TSIG
      break;
    case Kind::notimp:
      rcode = dns::rcode::NOTIMP;
      break;
    case Kind::badvers:
      rcode = dns::rcode::BADVERS;
      break;
    case Kind::badcookie:
      rcode = dns::rcode::BADCOOKIE;
      break;
    case Kind::refused:
      rcode = dns::rcode::REFUSED;
      break;
    case Kind::cookie:
      break;  // NOERROR: the reply's COOKIE is the answer
    case Kind::notify:
      rcode = notify(e.q, snapshot, peer, e.w, outcome);
      break;
    case Kind::chaos:
      rcode = answer_chaos(e.q, options, e.w);
      break;
    case Kind::transfer:
      rcode = transfer(e.q, snapshot, over_tcp, peer, e.w, outcome);
      if (outcome.transfer != nullptr) return outcome;  // the caller streams it; nothing written
      break;
    case Kind::query:
      rcode = query(e, snapshot, options, outcome, ede);
      break;
  }
  finish_reply(e, rcode, ede, snapshot, options, out, outcome);
  return outcome;
}

}  // namespace rpdns::answer
