#include "app/cli.hpp"

#include <filesystem>

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
               flag == "--notify" || flag == "--rate-limit" || flag == "--user") {
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
  if (file.empty() && args.zones.empty() && std::filesystem::exists(kDefaultConfig)) file = kDefaultConfig;
  config::Config config;
  if (!file.empty()) {
    auto loaded = config::load_file(file, errors);
    if (!loaded) return std::nullopt;
    config = *loaded;
  }
  if (!args.listen.empty()) config.listen = args.listen;
  for (auto zone : args.zones) {
    zone.allow_transfer = args.allow_transfer;
    zone.notify = args.notify;
    config.zones.push_back(zone);
  }
  if (args.workers != 0) config.workers = args.workers;
  if (args.stats_listen) config.stats_listen = args.stats_listen;
  if (args.rate_limit != 0) config.rrl_responses_per_second = args.rate_limit;
  if (!args.user.empty()) config.user = args.user;
  if (!args.log_level.empty()) config.log_level = args.log_level;
  if (config.zones.empty()) {
    errors.push_back("no zones to serve: give --config FILE or --zone ORIGIN=FILE");
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
