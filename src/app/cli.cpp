#include "app/cli.hpp"

#include <filesystem>

#include "dns/name.hpp"

namespace rpdns::cli {
namespace {

constexpr const char* kDefaultConfig = "/etc/rpdns/rpdns.yaml";

bool parse_count(const std::string& text, unsigned min, unsigned max, unsigned& out) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  out = static_cast<unsigned>(std::stoul(text));
  return out >= min && out <= max;
}

bool take_value(const std::string& flag, std::string& value, int& i, int argc, char** argv,
                std::vector<std::string>& errors) {
  if (i + 1 >= argc) {
    errors.push_back(flag + ": needs a value");
    i = argc;
    return false;
  }
  value = argv[++i];
  return true;
}

// ADDR:PORT[:KEY], IPv6 as [ADDR]:PORT[:KEY]: the address and the key text.
bool split_primary(const std::string& text, std::string& address, std::string& key) {
  std::size_t port_colon = std::string::npos;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    port_colon = close + 1;
  } else {
    port_colon = text.find(':');
    if (port_colon == std::string::npos) return false;
  }
  auto key_colon = text.find(':', port_colon + 1);
  address = text.substr(0, key_colon);
  key = key_colon == std::string::npos ? "" : text.substr(key_colon + 1);
  return key_colon == std::string::npos || !key.empty();
}

// --secondary ORIGIN=FILE@ADDR:PORT[:KEY]
void secondary_flag(const std::string& value, Arguments& args, std::vector<std::string>& errors) {
  auto eq = value.find('=');
  auto at = value.rfind('@');
  std::string address, key;
  std::optional<config::ListenAddress> primary;
  if (eq != std::string::npos && at != std::string::npos && eq > 0 && at > eq + 1 &&
      split_primary(value.substr(at + 1), address, key)) {
    primary = config::parse_listen(address);
  }
  if (!primary) {
    errors.push_back("--secondary: want ORIGIN=FILE@ADDR:PORT[:KEY], got '" + value + "'");
    return;
  }
  config::ZoneConfig zone;
  zone.origin = value.substr(0, eq);
  zone.file = value.substr(eq + 1, at - eq - 1);
  zone.primaries.push_back({*primary, ""});
  args.secondaries.emplace_back(zone, key);
}

void apply_flag(const std::string& flag, const std::string& value, Arguments& args, std::vector<std::string>& errors) {
  if (flag == "--config") {
    args.config_file = value;
  } else if (flag == "--check-config") {
    args.config_file = value;
    args.check_only = true;
  } else if (flag == "--listen") {
    if (auto addr = config::parse_listen(value))
      args.listen.push_back(*addr);
    else
      errors.push_back("--listen: bad address '" + value + "' (want ADDR:PORT or [ADDR]:PORT)");
  } else if (flag == "--zone") {
    auto eq = value.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
      errors.push_back("--zone: want ORIGIN=FILE, got '" + value + "'");
    } else {
      config::ZoneConfig zone;
      zone.origin = value.substr(0, eq);
      zone.file = value.substr(eq + 1);
      args.zones.push_back(zone);
    }
  } else if (flag == "--allow-transfer") {
    if (auto p = policy::Prefix::parse(value))
      args.allow_transfer.push_back(*p);
    else
      errors.push_back("--allow-transfer: bad address prefix '" + value + "'");
  } else if (flag == "--notify") {
    if (auto a = config::parse_listen(value))
      args.notify.push_back(*a);
    else
      errors.push_back("--notify: bad address '" + value + "'");
  } else if (flag == "--key") {
    dns::tsig::Key key;
    std::string problem = config::parse_key(value, key);
    if (problem.empty())
      args.keys.push_back(std::move(key));
    else
      errors.push_back("--key: " + problem);
  } else if (flag == "--secondary") {
    secondary_flag(value, args, errors);
  } else if (flag == "--rate-limit") {
    if (!parse_count(value, 1, 1000000, args.rate_limit)) {
      errors.push_back("--rate-limit: want responses per second from 1 to 1000000, got '" + value + "'");
    }
  } else if (flag == "--user") {
    args.user = value;
  } else if (flag == "--stats-listen") {
    args.stats_listen = config::parse_listen(value);
    if (!args.stats_listen) errors.push_back("--stats-listen: bad address '" + value + "'");
  } else if (flag == "--workers") {
    if (!parse_count(value, 1, 1024, args.workers)) errors.push_back("--workers: want 1 to 1024, got '" + value + "'");
  } else if (flag == "--log-level") {
    if (config::valid_log_level(value))
      args.log_level = value;
    else
      errors.push_back("--log-level: unknown level '" + value + "'");
  }
}

}  // namespace

std::optional<Arguments> parse(int argc, char** argv, std::vector<std::string>& errors) {
  Arguments args;
  std::size_t before = errors.size();
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    if (flag == "--help" || flag == "-h") {
      args.show_help = true;
    } else if (flag == "--version" || flag == "-V") {
      args.show_version = true;
    } else if (flag == "--probe") {
      std::string name;
      if (take_value(flag, value, i, argc, argv, errors) && take_value(flag, name, i, argc, argv, errors)) {
        args.probe_server = config::parse_listen(value);
        args.probe_name = name;
        if (!args.probe_server) errors.push_back("--probe: bad address '" + value + "'");
      }
    } else if (flag == "--config" || flag == "--check-config" || flag == "--listen" || flag == "--zone" ||
               flag == "--workers" || flag == "--log-level" || flag == "--stats-listen" || flag == "--allow-transfer" ||
               flag == "--notify" || flag == "--rate-limit" || flag == "--user" || flag == "--key" ||
               flag == "--secondary") {
      if (take_value(flag, value, i, argc, argv, errors)) apply_flag(flag, value, args, errors);
    } else {
      errors.push_back(flag + ": unknown option (see --help)");
    }
  }
  if (errors.size() != before) return std::nullopt;
  return args;
}

std::optional<config::Config> resolve(const Arguments& args, std::vector<std::string>& errors) {
  std::string file = args.config_file;
  // With neither a config file nor a zone on the command line, fall back to
  // the usual system location, as an installed daemon would.
  if (file.empty() && args.zones.empty() && args.secondaries.empty() && std::filesystem::exists(kDefaultConfig))
    file = kDefaultConfig;
  config::Config config;
  if (!file.empty()) {
    auto loaded = config::load_file(file, errors);
    if (!loaded) return std::nullopt;
    config = *loaded;
  }
  if (!args.listen.empty()) config.listen = args.listen;
  for (const auto& key : args.keys) {
    if (config::find_key(config.keys, key.name) != nullptr) {
      errors.push_back("--key: key '" + dns::to_text(key.name) + "' defined twice");
      return std::nullopt;
    }
    config.keys.push_back(key);
  }
  for (auto zone : args.zones) {
    for (const auto& p : args.allow_transfer) zone.allow_transfer.push_back({p, ""});
    for (const auto& a : args.notify) zone.notify.push_back({a, ""});
    config.zones.push_back(zone);
  }
  for (auto [zone, key] : args.secondaries) {
    if (!key.empty()) {
      std::string wire;
      if (!dns::name_from_text(key, wire)) wire.clear();
      dns::lowercase(wire);
      if (config::find_key(config.keys, wire) == nullptr) {
        errors.push_back("--secondary: no key '" + key + "' (give it with --key NAME:ALGORITHM:SECRET)");
        return std::nullopt;
      }
      zone.primaries[0].key = wire;
    }
    for (const auto& p : args.allow_transfer) zone.allow_transfer.push_back({p, ""});
    for (const auto& a : args.notify) zone.notify.push_back({a, ""});
    config.zones.push_back(zone);
  }
  if (args.workers != 0) config.workers = args.workers;
  if (args.stats_listen) config.stats_listen = args.stats_listen;
  if (args.rate_limit != 0) config.rrl.responses_per_second = args.rate_limit;
  if (!args.user.empty()) config.user = args.user;
  if (!args.log_level.empty()) config.log_level = args.log_level;
  if (config.zones.empty()) {
    errors.push_back("no zones to serve: give --config FILE, --zone ORIGIN=FILE or --secondary");
    return std::nullopt;
  }
  config::apply_defaults(config);
  return config;
}

const char* usage() {
  return R"(Usage: rpdns [options]

An authoritative-only DNS server.

Options:
  --config FILE          read settings from a YAML file (default: /etc/rpdns/rpdns.yaml
                         when no --zone is given)
  --check-config FILE    load FILE and every zone it names, report, and exit
                         (0 when all is well, 1 with every error otherwise)
  --listen ADDR:PORT     listen here instead of the config's addresses (repeatable;
                         IPv6 as [ADDR]:PORT; default 0.0.0.0:53 and [::]:53)
  --zone ORIGIN=FILE     serve the master file FILE as zone ORIGIN (repeatable)
  --workers N            worker threads per listen address (default: number of CPUs)
  --log-level LEVEL      trace, debug, info, warn, error, critical or off
  --allow-transfer PREFIX allow AXFR/IXFR of the --zone zones to PREFIX (repeatable;
                         ADDR or ADDR/LEN; default nobody)
  --notify ADDR:PORT     send NOTIFY for the --zone zones there when their serial
                         changes on reload (repeatable)
  --key NAME:ALGORITHM:SECRET
                         a TSIG key (RFC 8945; ALGORITHM hmac-sha1, -sha224, -sha256,
                         -sha384 or -sha512; SECRET base64), repeatable
  --secondary ORIGIN=FILE@ADDR:PORT[:KEY]
                         follow the primary ADDR:PORT for zone ORIGIN, keeping the
                         copy in FILE; transfers signed with KEY (a --key) when given
  --rate-limit N         response rate limiting: N replies per second per client
                         prefix and kind of reply (see README)
  --user NAME            after binding, drop privileges to this user
  --stats-listen ADDR:PORT
                         serve Prometheus metrics at http://ADDR:PORT/metrics
  --probe ADDR:PORT NAME  ask ADDR:PORT for NAME's SOA; exit 0 if an authoritative
                         answer comes back within 2 s (a health check), else 1
  --version              print the version and exit
  --help                 print this help and exit

Signals: SIGHUP reloads zones; SIGUSR1 logs per-worker counters; SIGINT and
SIGTERM stop the server cleanly (a second one exits at once).
)";
}

}  // namespace rpdns::cli
