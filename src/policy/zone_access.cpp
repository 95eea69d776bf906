#include "policy/zone_access.hpp"

#include <algorithm>

namespace rpdns::policy {

bool ZoneAccess::admits(const Lists& lists, std::string_view origin, const sockaddr* peer, std::string_view signed_by) {
  auto it = lists.find(origin);
  if (it == lists.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const KeyedPrefix& entry) { return entry.admits(peer, signed_by); });
}

}  // namespace rpdns::policy
