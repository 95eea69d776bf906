#include "server/zones.hpp"

#include "zone/loader.hpp"

namespace rpdns::server {

std::shared_ptr<const zone::ZoneSet> load_zone_set(const config::Config& config,
                                                   std::vector<std::string>& errors) {
  auto set = std::make_shared<zone::ZoneSet>();
  std::size_t before = errors.size();
  for (const auto& zc : config.zones) {
    auto result = zone::load_zone(zc.origin, zc.file);
    for (const auto& e : result.errors) errors.push_back(e.to_string());
    if (!result.zone) continue;
    if (set->zones().count(result.zone->origin) != 0) {
      errors.push_back(zc.file + ":0: zone " + dns::to_text(result.zone->origin) + " is configured twice");
      continue;
    }
    set->add(result.zone);
  }
  if (errors.size() != before) return nullptr;
  return set;
}

}  // namespace rpdns::server
