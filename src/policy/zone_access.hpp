// Who may do what to each zone, apart from the zone data: the clients that
// may transfer it (allow-transfer, each entry with an optional TSIG key),
// and for a secondary zone the primaries it takes NOTIFY from (RFC 1996
// §3.10). Built with every snapshot, so a reload changes the lists together
// with the zones; zones are named by their canonical wire origin.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "policy/prefix.hpp"

namespace rpdns::policy {

class ZoneAccess {
 public:
  // An empty list admits nobody, as no list does; it is not stored, which
  // spares some 100 bytes for each of 100,000 zones that allow no transfer.
  void allow_transfer(const std::string& origin, std::vector<KeyedPrefix> clients) {
    set(transfer_, origin, std::move(clients));
  }
  void accept_notify(const std::string& origin, std::vector<KeyedPrefix> primaries) {
    set(notify_, origin, std::move(primaries));
  }
  // `signed_by`: the wire name of the TSIG key the request verified with, or empty.
  bool transfer_allowed(std::string_view origin, const sockaddr* peer, std::string_view signed_by) const {
    return admits(transfer_, origin, peer, signed_by);
  }
  bool notify_allowed(std::string_view origin, const sockaddr* peer, std::string_view signed_by) const {
    return admits(notify_, origin, peer, signed_by);
  }

 private:
  // std::less<> finds by string_view without building a string: no
  // allocation on the query path.
  using Lists = std::map<std::string, std::vector<KeyedPrefix>, std::less<>>;
  static void set(Lists& lists, const std::string& origin, std::vector<KeyedPrefix> entries) {
    if (entries.empty()) {
      lists.erase(origin);
    } else {
      lists[origin] = std::move(entries);
    }
  }
  static bool admits(const Lists& lists, std::string_view origin, const sockaddr* peer, std::string_view signed_by);

  Lists transfer_;
  Lists notify_;
};

}  // namespace rpdns::policy
