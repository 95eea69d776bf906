#include "app/summary.hpp"

#include <fmt/format.h>

#include "zone/signatures.hpp"

namespace rpdns::app {

std::string describe_load(const reload::ZoneReport& r) {
  if (r.outcome == reload::ZoneReport::Outcome::awaiting_transfer) {
    return "secondary with no copy yet: SERVFAIL until its first transfer";
  }
  return fmt::format("{} records, serial {}, loaded in {:.3f} s (read {:.3f}, parse {:.3f}, build {:.3f})", r.records,
                     r.new_serial, r.seconds, r.phases.read_seconds, r.phases.parse_seconds, r.phases.build_seconds);
}

namespace {

std::string zone_summary(const reload::ZoneReport& r) {
  std::string name = r.origin.text();
  std::string out = "zone " + name + ": " + describe_load(r);
  if (r.warning_count > 0) out += fmt::format(", {} warning{}", r.warning_count, r.warning_count == 1 ? "" : "s");
  out += '\n';
  if (r.first_expiration != 0) {
    out += "zone " + name + ": signed; first signature to expire: " + r.first_expiring + " at " +
           zone::utc_text(r.first_expiration) + "\n";
  }
  for (const auto& e : r.copy_errors) out += "error: " + e + "\n";
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  if (r.warning_count > r.warnings.size()) {
    out += fmt::format("warning: {} more not listed\n", r.warning_count - r.warnings.size());
  }
  return out;
}

}  // namespace

std::string check_summary(const config::Config& config, const std::vector<reload::ZoneReport>& reports) {
  std::string out = "config " + (config.source.empty() ? std::string("(command line)") : config.source) + " is valid\n";
  for (const auto& r : reports) out += zone_summary(r);
  for (const auto& l : config.server.listen) out += "listen " + l.to_string() + "\n";
  out += fmt::format("workers {} per listen address\n", config.server.workers);
  return out;
}

}  // namespace rpdns::app
