// What a load of the zones came to, in the words of --check-config and the
// start-up log, and the same facts for rpdnsctl config-check.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "reload/zones.hpp"

namespace rpdns::app {

// "N records, serial S, loaded in T s (read, parse, build)".
std::string describe_load(const reload::ZoneReport& report);

// --check-config's summary of a valid configuration: a line per zone (and
// its signatures, warnings and kept-copy errors), the listen addresses and
// the workers.
std::string check_summary(const config::Config& config, const std::vector<reload::ZoneReport>& reports);

}  // namespace rpdns::app
