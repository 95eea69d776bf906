#include "config/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include <unistd.h>

#include "dns/cookie.hpp"

namespace rpdns::config {
namespace {

class Checker {
 public:
  Checker(std::string file, std::vector<std::string>& errors) : file_(std::move(file)), errors_(errors) {}

  void error(const YAML::Node& node, const std::string& key, const std::string& problem) {
    errors_.push_back(file_ + ":" + std::to_string(node.Mark().line + 1) + ": " + key + ": " + problem);
  }

  bool scalar(const YAML::Node& node, const std::string& key, std::string& out) {
    if (!node.IsScalar()) {
      error(node, key, "expected a single value");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  bool number(const YAML::Node& node, const std::string& key, long min, long max, long& out) {
    std::string text;
    if (!scalar(node, key, text)) return false;
    try {
      std::size_t used = 0;
      out = std::stol(text, &used);
      if (used == text.size() && out >= min && out <= max) return true;
    } catch (const std::exception&) {
    }
    error(
        node, key,
        "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", got '" + text + "'");
    return false;
  }

  bool boolean(const YAML::Node& node, const std::string& key, bool& out) {
    std::string text;
    if (!scalar(node, key, text)) return false;
    if (text == "true" || text == "yes" || text == "on")
      out = true;
    else if (text == "false" || text == "no" || text == "off")
      out = false;
    else {
      error(node, key, "expected true or false, got '" + text + "'");
      return false;
    }
    return true;
  }

  // One of `options`; `out` is its index (0 when it is none of them).
  void choice(const YAML::Node& node, const std::string& key, const std::vector<std::string>& options, long& out) {
    out = 0;
    std::string text;
    if (!scalar(node, key, text)) return;
    for (std::size_t i = 0; i < options.size(); ++i) {
      if (text == options[i]) {
        out = static_cast<long>(i);
        return;
      }
    }
    std::string all;
    for (const auto& o : options) all += (all.empty() ? "" : ", ") + o;
    error(node, key, "expected one of " + all + ", got '" + text + "'");
  }

  // RFC 5001: any bytes; "hostname" stands for this machine's name, as an
  // operator of several servers behind one address wants each to say.
  void nsid(const YAML::Node& node, const std::string& key, std::string& out) {
    constexpr std::size_t kMaxNsid = 255;  // far more than a name needs; keeps replies small
    if (!scalar(node, key, out)) return;
    if (out == "hostname") {
      char host[256] = {};
      if (gethostname(host, sizeof host - 1) != 0) return error(node, key, "cannot read the hostname");
      out = host;
    }
    if (out.size() > kMaxNsid) error(node, key, "longer than 255 bytes");
  }

  // RFC 9018 §5: 16 bytes, the same on every server behind one address.
  // One value, or a list whose first makes cookies and whose others are
  // still accepted while a rollover goes on.
  void cookie_secrets(const YAML::Node& node, const std::string& key, Config& config) {
    constexpr std::size_t kMaxSecrets = 8;
    auto list = items(node);
    if (list.empty()) return error(node, key, "expected a secret or a list of them");
    if (list.size() > kMaxSecrets) return error(node, key, "at most 8 secrets");
    for (const auto& item : list) {
      std::string text;
      if (!scalar(item, key, text)) continue;
      dns::CookieSecret secret{};
      if (!dns::parse_cookie_secret(text, secret)) {
        error(item, key, "expected 32 hex digits (16 bytes), got '" + text + "'");
        continue;
      }
      config.cookie_secrets.push_back(secret);
    }
  }

  // Addresses under `key`: a list, or a single value.
  void addresses(const YAML::Node& node, const std::string& key, const std::string& want,
                 std::vector<ListenAddress>& out) {
    for (const auto& item : items(node)) {
      std::string text;
      if (!scalar(item, key, text)) continue;
      if (auto a = parse_listen(text))
        out.push_back(*a);
      else
        error(item, key, "bad address '" + text + "' (want " + want + ")");
    }
  }

  // A secondary zone's primaries: `{address: ADDR:PORT, key: NAME}` or
  // "ADDR:PORT" each (port 53 when left out).
  void primaries(const YAML::Node& node, std::vector<Primary>& out) {
    const std::string key = "zones.primaries";
    for (const auto& item : items(node)) {
      Primary primary;
      std::string text;
      YAML::Node where = item;  // where the address is, for errors
      if (item.IsMap()) {
        for (const auto& field : item) {
          auto name = field.first.Scalar();
          if (name == "address") {
            scalar(field.second, key + ".address", text);
            where.reset(field.second);  // rebinds; operator= would write into the node
          } else if (name == "key") {
            scalar(field.second, key + ".key", primary.key);
          } else {
            error(field.first, key + "." + name, "unknown key");
          }
        }
      } else if (!scalar(item, key, text)) {
        continue;
      }
      auto address = parse_listen(text);
      if (!address) {
        error(where, key, "bad address '" + text + "' (want ADDR, ADDR:PORT or [ADDR]:PORT)");
        continue;
      }
      primary.address = *address;
      out.push_back(primary);
    }
  }

  void zone(const YAML::Node& node, Config& config) {
    if (!node.IsMap()) {
      error(node, "zones", "each zone needs 'origin' and 'file'");
      return;
    }
    ZoneConfig zone;
    for (const auto& entry : node) {
      auto key = entry.first.Scalar();
      if (key == "origin")
        scalar(entry.second, "zones.origin", zone.origin);
      else if (key == "file")
        scalar(entry.second, "zones.file", zone.file);
      else if (key == "allow-transfer")
        prefixes(entry.second, zone.allow_transfer);
      else if (key == "notify")
        addresses(entry.second, "zones.notify", "ADDR:PORT or [ADDR]:PORT", zone.notify);
      else if (key == "primaries")
        primaries(entry.second, zone.primaries);
      else
        error(entry.first, "zones." + key, "unknown key");
    }
    if (zone.origin.empty() || zone.file.empty()) {
      error(node, "zones", "each zone needs 'origin' and 'file'");
      return;
    }
    std::filesystem::path path(zone.file);
    if (path.is_relative()) zone.file = (std::filesystem::path(file_).parent_path() / path).string();
    config.zones.push_back(zone);
  }

  void rate_limit(const YAML::Node& node, Config& config) {
    if (!node.IsMap()) {
      error(node, "rate-limit", "expected a mapping (responses-per-second, slip, ...)");
      return;
    }
    for (const auto& entry : node) {
      auto key = entry.first.Scalar();
      const auto& value = entry.second;
      std::string full = "rate-limit." + key;
      long n = 0;
      if (key == "responses-per-second") {
        if (number(value, full, 0, 1000000, n)) config.rrl_responses_per_second = static_cast<unsigned>(n);
      } else if (key == "slip") {
        if (number(value, full, 0, 100, n)) config.rrl_slip = static_cast<unsigned>(n);
      } else if (key == "ipv4-prefix-length") {
        if (number(value, full, 8, 32, n)) config.rrl_ipv4_prefix = static_cast<unsigned>(n);
      } else if (key == "ipv6-prefix-length") {
        if (number(value, full, 16, 128, n)) config.rrl_ipv6_prefix = static_cast<unsigned>(n);
      } else if (key == "whitelist") {
        for (const auto& item : items(value)) {
          std::string text;
          if (!scalar(item, full, text)) continue;
          if (auto p = policy::Prefix::parse(text))
            config.rrl_whitelist.push_back(*p);
          else
            error(item, full, "bad address prefix '" + text + "'");
        }
      } else {
        error(entry.first, full, "unknown key");
      }
    }
  }

  void stats(const YAML::Node& node, Config& config) {
    if (!node.IsMap()) {
      error(node, "stats", "expected a mapping (listen: ADDR:PORT)");
      return;
    }
    for (const auto& entry : node) {
      auto key = entry.first.Scalar();
      std::string text;
      if (key != "listen") {
        error(entry.first, "stats." + key, "unknown key");
      } else if (scalar(entry.second, "stats.listen", text)) {
        config.stats_listen = parse_listen(text);
        if (!config.stats_listen) error(entry.second, "stats.listen", "bad address '" + text + "'");
      }
    }
  }

  std::vector<YAML::Node> items(const YAML::Node& node) {
    std::vector<YAML::Node> out;
    if (node.IsSequence()) {
      for (const auto& item : node) out.push_back(item);
    } else {
      out.push_back(node);
    }
    return out;
  }

  void prefixes(const YAML::Node& node, std::vector<policy::Prefix>& out) {
    for (const auto& item : items(node)) {
      std::string text;
      if (!scalar(item, "zones.allow-transfer", text)) continue;
      if (auto p = policy::Prefix::parse(text))
        out.push_back(*p);
      else
        error(item, "zones.allow-transfer", "bad address prefix '" + text + "' (want ADDR or ADDR/LEN)");
    }
  }

  void zones(const YAML::Node& node, Config& config) {
    if (!node.IsSequence()) {
      error(node, "zones", "expected a list of zones");
      return;
    }
    for (const auto& item : node) zone(item, config);
  }

  void top_level(const YAML::Node& root, Config& config) {
    for (const auto& entry : root) {
      auto key = entry.first.Scalar();
      const auto& value = entry.second;
      long n = 0;
      if (key == "listen") {
        addresses(value, "listen", "ADDR, ADDR:PORT or [ADDR]:PORT", config.listen);
      } else if (key == "workers") {
        if (number(value, key, 1, 1024, n)) config.workers = static_cast<unsigned>(n);
      } else if (key == "zones") {
        zones(value, config);
      } else if (key == "log-level") {
        if (scalar(value, key, config.log_level) && !valid_log_level(config.log_level)) {
          error(value, key, "unknown level '" + config.log_level + "' (trace, debug, info, warn, error, off)");
        }
      } else if (key == "edns-udp-size") {
        if (number(value, key, 512, 65535, n)) config.edns_udp_size = static_cast<uint16_t>(n);
      } else if (key == "batch-size") {
        if (number(value, key, 1, 1024, n)) config.batch_size = static_cast<unsigned>(n);
      } else if (key == "receive-buffer") {
        if (number(value, key, 4096, 1 << 30, n)) config.receive_buffer = static_cast<int>(n);
      } else if (key == "cpu-affinity") {
        boolean(value, key, config.cpu_affinity);
      } else if (key == "reuseport-steering") {
        choice(value, key, {"hash", "cpu", "random"}, n);
        config.steering = static_cast<Steering>(n);
      } else if (key == "listen-mode") {
        choice(value, key, {"reuseport", "shared"}, n);
        config.shared_socket = n == 1;
      } else if (key == "tcp-idle-timeout") {
        if (number(value, key, 1, 3600, n)) config.tcp_idle_timeout = static_cast<unsigned>(n);
      } else if (key == "tcp-io-timeout") {
        if (number(value, key, 10, 60000, n)) config.tcp_io_timeout_ms = static_cast<unsigned>(n);
      } else if (key == "tcp-max-per-client") {
        if (number(value, key, 0, 1000000, n)) config.tcp_max_per_client = static_cast<unsigned>(n);
      } else if (key == "tcp-client-ipv4-prefix-length") {
        if (number(value, key, 1, 32, n)) config.tcp_client_ipv4_prefix = static_cast<unsigned>(n);
      } else if (key == "tcp-client-ipv6-prefix-length") {
        if (number(value, key, 1, 128, n)) config.tcp_client_ipv6_prefix = static_cast<unsigned>(n);
      } else if (key == "tcp-max-connections") {
        if (number(value, key, 1, 1000000, n)) config.tcp_max_connections = static_cast<unsigned>(n);
      } else if (key == "rate-limit") {
        rate_limit(value, config);
      } else if (key == "user") {
        scalar(value, key, config.user);
      } else if (key == "group") {
        scalar(value, key, config.group);
      } else if (key == "stats") {
        stats(value, config);
      } else if (key == "minimal-responses") {
        boolean(value, key, config.minimal_responses);
      } else if (key == "identity") {
        scalar(value, key, config.identity);
      } else if (key == "version") {
        scalar(value, key, config.version);
      } else if (key == "nsid") {
        nsid(value, key, config.nsid);
      } else if (key == "cookie-secret") {
        cookie_secrets(value, key, config);
      } else if (key == "signature-warning-days") {
        if (number(value, key, 0, 3650, n)) config.signature_warning_days = static_cast<unsigned>(n);
      } else {
        error(entry.first, key, "unknown key");
      }
    }
  }

 private:
  std::string file_;
  std::vector<std::string>& errors_;
};

}  // namespace

socklen_t ListenAddress::to_sockaddr(sockaddr_storage& out) const {
  std::memset(&out, 0, sizeof out);
  if (ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&out);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&out);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &a->sin_addr);
  return sizeof *a;
}

std::string ListenAddress::to_string() const {
  return ipv6 ? "[" + host + "]:" + std::to_string(port) : host + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen(const std::string& text) {
  ListenAddress addr;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    addr.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    addr.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  } else {
    addr.host = text;  // bare IPv4, or bare IPv6 without a port
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, addr.host.c_str(), buf) == 1) {
    addr.ipv6 = false;
  } else if (inet_pton(AF_INET6, addr.host.c_str(), buf) == 1) {
    addr.ipv6 = true;
  } else {
    return std::nullopt;
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    unsigned long value = std::stoul(port);
    if (value > 65535) return std::nullopt;
    addr.port = static_cast<uint16_t>(value);
  }
  return addr;
}

bool valid_log_level(const std::string& level) {
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  return levels.count(level) != 0;
}

std::optional<Config> load_file(const std::string& path, std::vector<std::string>& errors) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    errors.push_back(path + ":0: cannot open file");
    return std::nullopt;
  } catch (const YAML::ParserException& e) {
    errors.push_back(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    return std::nullopt;
  }
  Config config;
  config.source = path;
  std::size_t before = errors.size();
  Checker checker(path, errors);
  if (root.IsNull()) {
    // an empty file: all defaults
  } else if (!root.IsMap()) {
    checker.error(root, "(top level)", "expected a mapping of settings");
  } else {
    checker.top_level(root, config);
  }
  if (errors.size() != before) return std::nullopt;
  return config;
}

void apply_defaults(Config& config) {
  if (config.listen.empty()) {
    config.listen.push_back(*parse_listen("0.0.0.0:53"));
    config.listen.push_back(*parse_listen("[::]:53"));
  }
  if (config.workers == 0) config.workers = std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace rpdns::config
