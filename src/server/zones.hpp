// Loads every zone a Config names into one ZoneSet.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "zone/zone.hpp"

namespace rpdns::server {

// Null when any zone failed; every problem is appended to `errors` as
// "file:line: message".
std::shared_ptr<const zone::ZoneSet> load_zone_set(const config::Config& config,
                                                   std::vector<std::string>& errors);

}  // namespace rpdns::server
