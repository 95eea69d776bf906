// The authoritative algorithm (RFC 1034 §4.3.2): a request and a Snapshot
// (answer/snapshot.hpp) in, a reply in the caller's buffer out. No sockets,
// no locks, no allocation.
#pragma once

#include <cstddef>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "dns/cookie.hpp"
#include "dns/tsig.hpp"
#include "answer/snapshot.hpp"
#include "zone/zone.hpp"

namespace rpdns::answer {

struct Options {
  uint16_t edns_udp_size = dns::kDefaultEdnsPayload;  // what we advertise and accept at most (RFC 6891 §6.2.5)
  // True by default, like Knot DNS: positive answers carry no apex NS in
  // the authority section. False adds it, with its addresses, as NSD does.
  bool minimal_responses = true;
  // CHAOS TXT answers for id.server/hostname.bind and version.server/
  // version.bind (RFC 4892); empty means REFUSED.
  std::string identity;
  std::string version;
  // NSID option value (RFC 5001), sent to clients that ask; empty: none.
  std::string nsid;
  // DNS Cookies (RFC 7873, RFC 9018); null: the COOKIE option is ignored,
  // as by a server that does not implement it. Scratch state of the thread
  // that answers (each worker has its own), so not const through Options.
  dns::ServerCookies* cookies = nullptr;
};

// What the request's COOKIE option came to (RFC 7873 §5.2).
enum class CookieResult : uint8_t {
  none,         // no COOKIE option, or cookies are off
  malformed,    // answered FORMERR (§5.2.2)
  client_only,  // answered with a server cookie made for it (§5.2.3)
  valid,        // a server cookie of ours, echoed or renewed (§5.2.5)
  invalid,      // a server cookie not ours or expired: BADCOOKIE over UDP, a fresh one over TCP (§5.2.4)
};

// What respond() wrote into `out`, for the counters and the rate limiter,
// and what its caller must do next: stream a transfer, pass a NOTIFY on.
struct Reply {
  std::size_t size = 0;  // reply length; 0 means send nothing
  uint16_t rcode = 0;    // extended rcode of the reply
  bool truncated = false;
  bool edns = false;  // the request carried OPT
  uint16_t qtype = 0;
  // Set when the request is an allowed zone transfer to be streamed over
  // TCP (AXFR, or IXFR answered AXFR-style); nothing was written to `out`,
  // and question_end is where the request's question ends.
  const zone::Zone* transfer = nullptr;
  // For an IXFR answered incrementally (RFC 1995 §4): the changes from the
  // client's serial to the zone's, held by its journal. Empty: AXFR-style.
  std::span<const zone::ChangePtr> changes;
  // For a transfer asked with the EXPIRE option (RFC 7314 §3): the seconds
  // its messages carry in theirs; -1: none.
  int64_t transfer_expire = -1;
  const zone::Zone* zone = nullptr;  // the zone that answered, if any
  // Set for a NOTIFY accepted for a secondary zone (RFC 1996 §3.11): the
  // caller starts its refresh. The reply is written already.
  const zone::Zone* notify = nullptr;
  // The serial of the SOA the NOTIFY carried, if any (RFC 1996 §3.7).
  std::optional<uint32_t> notify_serial;
  // The wildcard (RFC 4592) or DNAME (RFC 6672) node whose records answered
  // the query name itself, when the answer was synthesized from one: every
  // name below it gets the same data, so the rate limiter counts them as
  // one response (as BIND and Knot do for wildcards). Null otherwise, and
  // for a synthesis further down a CNAME chain (the query name then exists).
  const zone::Node* synthesized_by = nullptr;
  std::size_t question_end = 0;  // header + question bytes of the reply
  CookieResult cookie = CookieResult::none;
  // A request signed with a known key whose MAC verified (RFC 8945): the
  // key (owned by the Snapshot) and the request's MAC, which a transfer's
  // messages chain from. The reply in `out`, if any, is signed already.
  const dns::tsig::Key* tsig_key = nullptr;
  std::array<uint8_t, dns::tsig::kMaxMac> tsig_mac;  // left uninitialised: only read when tsig_key is set
  std::size_t tsig_mac_len = 0;
  uint16_t tsig_error = 0;  // a signed request that failed its check: BADKEY, BADSIG, BADTIME, BADTRUNC
  // The request proved it came from its source address (a valid server
  // cookie): response rate limiting has no reason to hold it back.
  bool cookie_valid = false;
};

// Answers one request. Over TCP `out` must hold dns::kMaxMessageSize bytes;
// over UDP the reply is kept within 512 bytes or the client's EDNS size,
// capped at options.edns_udp_size (RFC 6891 §7), so `out` needs
// max(options.edns_udp_size, 512) bytes.
// `peer` is the client's address, for transfer access lists (null: nobody)
// and server cookies (which hash it).
Reply respond(const uint8_t* request, std::size_t len, const Snapshot& snapshot, const Options& options, bool over_tcp,
              uint8_t* out, const sockaddr* peer = nullptr);

}  // namespace rpdns::answer
