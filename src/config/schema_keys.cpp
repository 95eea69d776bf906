// The schema's table: every key of the configuration, one row each, with
// its type, when a change takes effect, help, place in a Config and range.
// Data, not logic: schema.cpp reads it.
#include "config/schema.hpp"

namespace rpdns::config {
namespace {

// The keys a server reads once, as it binds its sockets and starts its
// workers, are restart-only; only the zones and what loading them uses
// come again with a reload.
constexpr Apply restart = Apply::restart;
constexpr Apply reload = Apply::reload;

// Where and how the server listens, and what it serves.
// A table, one row per key: data, not logic, however long.
// NOLINTNEXTLINE(readability-function-size)
std::vector<Key> serving_keys() {
  return {
      {.name = "listen",
       .type = Type::addresses,
       .apply = restart,
       .help = "addresses to answer on, UDP and TCP (a flag given replaces the file's; repeatable)",
       .slot = [](Config& c) -> Slot { return &c.server.listen; },
       .flag = "--listen",
       .value = "ADDR:PORT",
       .fallback = "0.0.0.0:53 and [::]:53"},
      {.name = "workers",
       .type = Type::number,
       .apply = restart,
       .help = "worker threads per listen address",
       .slot = [](Config& c) -> Slot { return &c.server.workers; },
       .min = 1,
       .max = 1024,
       .flag = "--workers",
       .value = "N",
       .fallback = "the number of CPUs"},
      {.name = "zones",
       .type = Type::zones,
       .apply = reload,
       .help = "the zones served: a list of mappings of the zones.* keys",
       .slot = [](Config& c) -> Slot { return &c.reloadable.zones; }},
      {.name = "keys",
       .type = Type::keys,
       .apply = reload,
       .help = "TSIG keys (RFC 8945): a list of {name, algorithm (hmac-sha1 ... hmac-sha512), secret (base64)}",
       .slot = [](Config& c) -> Slot { return &c.reloadable.keys; }},
      {.name = "log-level",
       .type = Type::choice,
       .apply = restart,
       .help = "how much to log",
       .slot = [](Config& c) -> Slot { return &c.log_level; },
       .choices = {"trace", "debug", "info", "warn", "error", "critical", "off"},
       .flag = "--log-level",
       .value = "LEVEL"},
      {.name = "edns-udp-size",
       .type = Type::number,
       .apply = restart,
       .help = "the largest UDP reply, advertised in EDNS (RFC 6891 §6.2.5)",
       .slot = [](Config& c) -> Slot { return &c.server.edns_udp_size; },
       .min = 512,
       .max = 65535},
      {.name = "batch-size",
       .type = Type::number,
       .apply = restart,
       .help = "datagrams per recvmmsg and sendmmsg",
       .slot = [](Config& c) -> Slot { return &c.server.batch_size; },
       .min = 1,
       .max = 1024},
      {.name = "receive-buffer",
       .type = Type::number,
       .apply = restart,
       .help = "SO_RCVBUF of each UDP socket, in bytes (the kernel caps it at net.core.rmem_max)",
       .slot = [](Config& c) -> Slot { return &c.server.receive_buffer; },
       .min = 4096,
       .max = 1 << 30},
      {.name = "cpu-affinity",
       .type = Type::boolean,
       .apply = restart,
       .help = "pin worker i to CPU i",
       .slot = [](Config& c) -> Slot { return &c.server.cpu_affinity; }},
      {.name = "reuseport-steering",
       .type = Type::choice,
       .apply = restart,
       .help = "how the kernel picks a worker's socket in a SO_REUSEPORT group",
       .slot = [](Config& c) -> Slot { return &c.server.steering; },
       .choices = {"hash", "cpu", "random"}},
      {.name = "listen-mode",
       .type = Type::choice,
       .apply = restart,
       .help = "a socket per worker (reuseport) or one socket all workers share",
       .slot = [](Config& c) -> Slot { return &c.server.shared_socket; },
       .choices = {"reuseport", "shared"}},
  };
}

// Limits on what clients may take.
// A table, one row per key: data, not logic, however long.
// NOLINTNEXTLINE(readability-function-size)
std::vector<Key> limit_keys() {
  return {
      {.name = "tcp-idle-timeout",
       .type = Type::number,
       .apply = restart,
       .help = "seconds a TCP connection may sit idle between messages",
       .slot = [](Config& c) -> Slot { return &c.server.tcp.idle_timeout; },
       .min = 1,
       .max = 3600},
      {.name = "tcp-io-timeout",
       .type = Type::number,
       .apply = restart,
       .help = "milliseconds for a TCP message body once its length has arrived",
       .slot = [](Config& c) -> Slot { return &c.server.tcp.io_timeout_ms; },
       .min = 10,
       .max = 60000},
      {.name = "tcp-max-per-client",
       .type = Type::number,
       .apply = restart,
       .help = "open TCP connections per client prefix (0: no cap)",
       .slot = [](Config& c) -> Slot { return &c.server.tcp.per_client.per_client; },
       .min = 0,
       .max = 1000000},
      {.name = "tcp-client-ipv4-prefix-length",
       .type = Type::number,
       .apply = restart,
       .help = "the IPv4 prefix that is one client for tcp-max-per-client",
       .slot = [](Config& c) -> Slot { return &c.server.tcp.per_client.ipv4_prefix; },
       .min = 1,
       .max = 32},
      {.name = "tcp-client-ipv6-prefix-length",
       .type = Type::number,
       .apply = restart,
       .help = "the IPv6 prefix that is one client for tcp-max-per-client",
       .slot = [](Config& c) -> Slot { return &c.server.tcp.per_client.ipv6_prefix; },
       .min = 1,
       .max = 128},
      {.name = "tcp-max-connections",
       .type = Type::number,
       .apply = restart,
       .help = "open TCP connections in all (lowered to fit the descriptor limit)",
       .slot = [](Config& c) -> Slot { return &c.server.tcp.max_connections; },
       .min = 1,
       .max = 1000000},
      {.name = "rate-limit", .type = Type::section, .apply = restart, .help = "response rate limiting (RRL)"},
      {.name = "rate-limit.responses-per-second",
       .type = Type::number,
       .apply = restart,
       .help = "replies per second per client prefix and kind of reply; 0 is off",
       .slot = [](Config& c) -> Slot { return &c.server.rrl.responses_per_second; },
       .min = 0,
       .max = 1000000,
       .flag = "--rate-limit",
       .value = "N"},
      {.name = "rate-limit.slip",
       .type = Type::number,
       .apply = restart,
       .help = "every Nth limited reply goes out truncated, the others are dropped (0: all dropped)",
       .slot = [](Config& c) -> Slot { return &c.server.rrl.slip; },
       .min = 0,
       .max = 100},
      {.name = "rate-limit.ipv4-prefix-length",
       .type = Type::number,
       .apply = restart,
       .help = "the IPv4 prefix that is one client",
       .slot = [](Config& c) -> Slot { return &c.server.rrl.ipv4_prefix; },
       .min = 8,
       .max = 32},
      {.name = "rate-limit.ipv6-prefix-length",
       .type = Type::number,
       .apply = restart,
       .help = "the IPv6 prefix that is one client",
       .slot = [](Config& c) -> Slot { return &c.server.rrl.ipv6_prefix; },
       .min = 16,
       .max = 128},
      {.name = "rate-limit.whitelist",
       .type = Type::prefixes,
       .apply = restart,
       .help = "clients never limited: ADDR or ADDR/LEN, one or a list",
       .slot = [](Config& c) -> Slot { return &c.server.rrl.whitelist; }},
  };
}

// Running as a service, what answers say of the server, and the bounds on
// a secondary's transfers (so that a primary that never ends one cannot
// grow the process without limit).
// A table, one row per key: data, not logic, however long.
// NOLINTNEXTLINE(readability-function-size)
std::vector<Key> service_keys() {
  return {
      {.name = "user",
       .type = Type::text,
       .apply = restart,
       .help = "after binding, drop privileges to this user",
       .slot = [](Config& c) -> Slot { return &c.user; },
       .flag = "--user",
       .value = "NAME"},
      {.name = "group",
       .type = Type::text,
       .apply = restart,
       .help = "with user, the group to drop privileges to",
       .slot = [](Config& c) -> Slot { return &c.group; },
       .fallback = "the user's"},
      {.name = "stats", .type = Type::section, .apply = restart, .help = "the statistics endpoint"},
      {.name = "stats.listen",
       .type = Type::address,
       .apply = restart,
       .help = "serve Prometheus metrics at http://ADDR:PORT/metrics",
       .slot = [](Config& c) -> Slot { return &c.stats_listen; },
       .flag = "--stats-listen",
       .value = "ADDR:PORT",
       .fallback = "off"},
      {.name = "control", .type = Type::section, .apply = restart, .help = "the control socket (rpdnsctl)"},
      {.name = "control.socket",
       .type = Type::text,
       .apply = restart,
       .help = "listen for rpdnsctl on this Unix socket, mode 0660: who may write it may reload and stop the server",
       .slot = [](Config& c) -> Slot { return &c.control_socket; },
       .flag = "--control",
       .value = "PATH",
       .fallback = "off"},
      {.name = "minimal-responses",
       .type = Type::boolean,
       .apply = restart,
       .help = "leave the apex NS and their addresses out of positive answers",
       .slot = [](Config& c) -> Slot { return &c.server.minimal_responses; }},
      {.name = "identity",
       .type = Type::text,
       .apply = restart,
       .help = "the answer to CHAOS TXT id.server (empty: REFUSED)",
       .slot = [](Config& c) -> Slot { return &c.server.identity; }},
      {.name = "version",
       .type = Type::text,
       .apply = restart,
       .help = "the answer to CHAOS TXT version.bind (empty: REFUSED)",
       .slot = [](Config& c) -> Slot { return &c.server.version; }},
      {.name = "nsid",
       .type = Type::nsid,
       .apply = restart,
       .help = "the NSID option's value (RFC 5001), \"hostname\" for this machine's name (empty: none)",
       .slot = [](Config& c) -> Slot { return &c.server.nsid; }},
      {.name = "cookie-secret",
       .type = Type::secrets,
       .apply = restart,
       .help = "DNS cookie secret(s) (RFC 9018), 32 hex digits: the first makes cookies, all verify",
       .slot = [](Config& c) -> Slot { return &c.server.cookie_secrets; },
       .fallback = "a random one per process",
       .secret = true},
      {.name = "max-zone-size",
       .type = Type::number,
       .apply = restart,
       .help = "bytes of messages one transfer of a secondary zone may take",
       .slot = [](Config& c) -> Slot { return &c.max_zone_size; },
       .min = 65536,
       .max = long{1} << 40},
      {.name = "transfer-timeout",
       .type = Type::number,
       .apply = restart,
       .help = "seconds one whole transfer of a secondary zone may take",
       .slot = [](Config& c) -> Slot { return &c.transfer_timeout; },
       .min = 1,
       .max = 86400},
      {.name = "journal-size",
       .type = Type::number,
       .apply = reload,
       .help = "bytes of changes kept per zone for IXFR; the oldest are dropped first",
       .slot = [](Config& c) -> Slot { return &c.reloadable.journal_size; },
       .min = 0,
       .max = long{1} << 40},
      {.name = "journal-depth",
       .type = Type::number,
       .apply = reload,
       .help = "versions of changes kept per zone for IXFR (0: none; every IXFR is answered in full)",
       .slot = [](Config& c) -> Slot { return &c.reloadable.journal_depth; },
       .min = 0,
       .max = 100000},
      {.name = "serial-policy",
       .type = Type::choice,
       .apply = reload,
       .help = "a zone file changed without a greater serial: refused (file) or served with the serial raised by one "
               "(increment)",
       .slot = [](Config& c) -> Slot { return &c.reloadable.serial_policy; },
       .choices = {"file", "increment"}},
      {.name = "signature-warning-days",
       .type = Type::number,
       .apply = reload,
       .help = "warn at each load of RRSIGs that expire within this many days",
       .slot = [](Config& c) -> Slot { return &c.reloadable.signature_warning_days; },
       .min = 0,
       .max = 3650},
      {.name = "shutdown-grace",
       .type = Type::number,
       .apply = restart,
       .help = "seconds the old process of an upgrade lets its open TCP connections finish before it exits",
       .slot = [](Config& c) -> Slot { return &c.shutdown_grace; },
       .min = 0,
       .max = 3600},
  };
}

// A zone's keys; the zone reader fills them in. A zone's own bound on its
// transfers has the range of the top-level key it overrides.
void add_zone_keys(std::vector<Key>& keys) {
  keys.push_back({.name = "zones.origin", .type = Type::text, .apply = reload, .help = "the zone's name"});
  keys.push_back({.name = "zones.file",
                  .type = Type::text,
                  .apply = reload,
                  .help = "its master file, relative to the config file's directory; a secondary's kept copy"});
  keys.push_back({.name = "zones.primaries",
                  .type = Type::addresses,
                  .apply = reload,
                  .help = "primaries to follow, which makes it a secondary: ADDR[:PORT] or {address, key}"});
  keys.push_back({.name = "zones.allow-transfer",
                  .type = Type::prefixes,
                  .apply = reload,
                  .help = "who may AXFR/IXFR it: ADDR[/LEN] or {address, key}",
                  .fallback = "nobody"});
  keys.push_back({.name = "zones.notify",
                  .type = Type::addresses,
                  .apply = reload,
                  .help = "secondaries sent NOTIFY when its serial grows: ADDR[:PORT] or {address, key}"});
  for (std::string_view name : {"zones.max-zone-size", "zones.transfer-timeout", "zones.journal-size",
                                "zones.journal-depth", "zones.serial-policy"}) {
    auto global = name.substr(std::string_view("zones.").size());
    Key own = *std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == global; });
    own.name = name;
    own.apply = reload;
    own.help = "overrides the top-level key of that name for this zone";
    own.slot = nullptr;
    own.fallback = "the top-level key's";
    keys.push_back(own);
  }
}

}  // namespace

std::vector<Key> schema_table() {
  std::vector<Key> all;
  for (auto group : {serving_keys, limit_keys, service_keys, dnstap_keys}) {
    auto some = group();
    all.insert(all.end(), some.begin(), some.end());
  }
  add_zone_keys(all);
  return all;
}

}  // namespace rpdns::config
