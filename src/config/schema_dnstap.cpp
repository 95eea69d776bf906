// The dnstap section of the schema: where the server's dnstap messages go
// and which it writes.
#include "config/schema.hpp"

namespace rpdns::config {

// A table, one row per key: data, not logic, however long.
// NOLINTNEXTLINE(readability-function-size)
std::vector<Key> dnstap_keys() {
  return {
      {.name = "dnstap",
       .type = Type::section,
       .apply = Apply::reload,
       .help = "dnstap logging of queries and responses, in Frame Streams (off while neither socket nor tcp is set)"},
      {.name = "dnstap.socket",
       .type = Type::text,
       .apply = Apply::reload,
       .help = "write dnstap to the collector listening on this Unix socket (fstrm_capture -u PATH)",
       .slot = [](Config& c) -> Slot { return &c.reloadable.dnstap.socket; },
       .fallback = "off"},
      {.name = "dnstap.tcp",
       .type = Type::address,
       .apply = Apply::reload,
       .help = "write dnstap to the collector at this TCP address instead",
       .slot = [](Config& c) -> Slot { return &c.reloadable.dnstap.tcp; },
       .fallback = "off"},
      {.name = "dnstap.identity",
       .type = Type::text,
       .apply = Apply::reload,
       .help = "the identity field of every dnstap message (empty: left out)",
       .slot = [](Config& c) -> Slot { return &c.reloadable.dnstap.identity; }},
      {.name = "dnstap.version",
       .type = Type::text,
       .apply = Apply::reload,
       .help = "the version field of every dnstap message (empty: left out)",
       .slot = [](Config& c) -> Slot { return &c.reloadable.dnstap.version; }},
      {.name = "dnstap.queries",
       .type = Type::boolean,
       .apply = Apply::reload,
       .help = "log each query received (AUTH_QUERY)",
       .slot = [](Config& c) -> Slot { return &c.reloadable.dnstap.queries; }},
      {.name = "dnstap.responses",
       .type = Type::boolean,
       .apply = Apply::reload,
       .help = "log each response sent (AUTH_RESPONSE)",
       .slot = [](Config& c) -> Slot { return &c.reloadable.dnstap.responses; }},
      {.name = "dnstap.sample",
       .type = Type::number,
       .apply = Apply::reload,
       .help = "log one exchange in N, counted per worker (1: every one)",
       .slot = [](Config& c) -> Slot { return &c.reloadable.dnstap.sample; },
       .min = 1,
       .max = 1000000},
  };
}

}  // namespace rpdns::config
