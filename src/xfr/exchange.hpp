// One outgoing DNS exchange with another server, under every client rpdns
// has: the secondary's SOA check (UDP, then TCP when truncated or
// unanswered), its transfers (a TCP stream of replies), NOTIFY (UDP, resent
// with back-off) and the probe. The exchange sends the query, takes only
// replies with our ID, checks each against the TSIG chain when the query
// was signed (RFC 8945 §5.3), bounds the time and the bytes, and hands each
// reply to the caller, which says whether more are to come.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dns/query_writer.hpp"
#include "dns/tsig.hpp"

namespace rpdns::xfr {

using Clock = std::chrono::steady_clock;

enum class Transport {
  udp_then_tcp,  // a single reply: over UDP, over TCP if that is truncated or unanswered
  udp_only,      // a single reply over UDP (NOTIFY, the probe)
  tcp_stream,    // replies over one TCP connection until the caller has them all (AXFR)
};

struct ExchangeOptions {
  Transport transport = Transport::udp_then_tcp;
  // One UDP send per entry, each followed by that long a wait for the reply.
  std::vector<Clock::duration> udp_waits{std::chrono::seconds(2)};
  Clock::duration tcp_connect = std::chrono::seconds(5);            // to connect
  Clock::duration tcp_idle = std::chrono::seconds(5);               // for each reply after the query or the last reply
  std::optional<Clock::duration> deadline;                          // the whole exchange, connecting included
  std::size_t max_bytes = std::numeric_limits<std::size_t>::max();  // over TCP, length prefixes included
  // The names the limits go by in errors ("more than max-zone-size (N bytes)").
  std::string max_bytes_name = "the byte limit";
  std::string deadline_name = "the time limit";
};

// What the caller makes of one reply (our ID, and verified when signed):
// "" to go on, or the problem, which ends the exchange. It sets `last` once
// it has every reply it needs.
using OnReply = std::function<std::string(const uint8_t* message, std::size_t len, bool& last)>;

struct ExchangeEnd {
  std::string error;         // "" when the caller had its last reply; else "server (key): problem"
  std::size_t bytes = 0;     // received over TCP, length prefixes included
  std::size_t messages = 0;  // replies handed to the caller
};

class Exchange;

// Starts the exchange on `io` and returns it (for cancel()); `done` is
// called once, on `io`'s thread, unless it is cancelled first.
std::shared_ptr<Exchange> exchange(boost::asio::io_context& io, const config::ListenAddress& server,
                                   const dns::OutgoingQuery& query, std::optional<dns::tsig::Key> key,
                                   const ExchangeOptions& options, OnReply on_reply,
                                   std::function<void(ExchangeEnd)> done);

// Stops an exchange still under way; its `done` is not called. On `io`'s thread.
void cancel(Exchange& exchange);

// A random query ID (RFC 5452 §4.3).
uint16_t random_id();

}  // namespace rpdns::xfr
