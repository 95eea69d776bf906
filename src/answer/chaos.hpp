// CHAOS-class queries for the server's identity and version (RFC 4892).
#pragma once

#include <cstdint>

#include "answer/answer.hpp"
#include "dns/query.hpp"
#include "dns/writer.hpp"

namespace rpdns::answer {

// Returns the rcode: NOERROR with a TXT answer, or REFUSED.
uint8_t answer_chaos(const dns::Query& q, const Options& options, dns::ReplyWriter& w);

}  // namespace rpdns::answer
