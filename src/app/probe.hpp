// `rpdns --probe ADDR:PORT NAME`: a health check that asks a real question.
#pragma once

#include <string>

#include "config/config.hpp"

namespace rpdns::probe {

// Sends "NAME SOA?" over UDP and waits up to two seconds. Returns 0 when an
// authoritative NOERROR answer comes back, 1 otherwise; says which on stdout.
int run(const config::ListenAddress& server, const std::string& name);

}  // namespace rpdns::probe
