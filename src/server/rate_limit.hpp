// Moved to policy/rate_limit.hpp; kept until the worker files include it there.
#pragma once

#include "policy/rate_limit.hpp"

namespace rpdns::server {
using policy::RateLimiter;
using policy::RateLimitSettings;
}  // namespace rpdns::server
