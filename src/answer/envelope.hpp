// The envelope of a request, read before it is classified and closed
// around its reply after it is answered: the header, EDNS (RFC 6891) with
// NSID (RFC 5001) and COOKIE (RFC 7873), TSIG (RFC 8945), the reply's
// header and size limit. No allocation: an Envelope lives on respond()'s
// stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "answer/answer.hpp"
#include "dns/query.hpp"
#include "dns/writer.hpp"

namespace rpdns::answer {

struct Envelope {
  dns::Query q;
  dns::ParseStatus status = dns::ParseStatus::ok;
  bool badvers = false;              // an EDNS version we do not speak; its options are not read (RFC 6891 §6.1.3)
  std::string_view nsid;             // the NSID the reply carries (RFC 5001 §2.1: only to clients that ask)
  uint8_t cookie[dns::kCookieSize];  // the COOKIE the reply carries, client cookie first
  std::size_t cookie_len = 0;        // 0: none
  std::optional<dns::tsig::Record> tsig;  // a signed request's TSIG, which the reply's answers
  bool tsig_formerr = false;              // a TSIG record that could not be read
  std::size_t limit = 0;                  // the reply's size limit, its TSIG included
  dns::ReplyWriter w;
};

// Parses the request, checks its cookie and its TSIG (filling the
// outcome's fields for them) and begins the reply in `out`. False: the
// request gets no reply at all.
bool read_request(const uint8_t* request, std::size_t len, const Snapshot& snapshot, const Options& options,
                  bool over_tcp, uint8_t* out, const sockaddr* peer, Envelope& e, Reply& outcome);

// Ends the reply with `rcode`: the OPT record, the header's rcode, the
// reply's TSIG; fills the rest of the outcome.
void finish_reply(Envelope& e, uint16_t rcode, int ede, const Snapshot& snapshot, const Options& options, uint8_t* out,
                  Reply& outcome);

// The name of the key that signed the request, if its MAC verified: what
// a transfer or NOTIFY access list may ask for (RFC 8945 §5.2).
inline std::string_view signed_by(const Reply& outcome) {
  return outcome.tsig_key != nullptr ? std::string_view(outcome.tsig_key->name) : std::string_view{};
}

}  // namespace rpdns::answer
