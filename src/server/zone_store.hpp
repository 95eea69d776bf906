// Moved to zone/zone_store.hpp; kept until the server files include it there.
#pragma once

#include "zone/zone_store.hpp"

namespace rpdns::server {
using zone::ZoneStore;
}  // namespace rpdns::server
