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
#include "dns/name.hpp"

namespace rpdns::config {
namespace {

// A TSIG key from its three parts; "" or the problem.
std::string make_key(const std::string& name, const std::string& algorithm, const std::string& secret,
                     dns::tsig::Key& out) {
  if (name.empty() || !dns::name_from_text(name, out.name)) return "bad or missing key name '" + name + "'";
  dns::lowercase(out.name);
  auto a = dns::tsig::algorithm_from_text(algorithm);
  if (!a) {
    return "unknown algorithm '" + algorithm +
           "' (want hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512)";
  }
  out.algorithm = *a;
  auto bytes = dns::tsig::decode_base64(secret);
  if (!bytes) return "key '" + name + "': the secret is not base64";
  out.secret = std::move(*bytes);
  return "";
}

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

  // `{address: ..., key: NAME}` or a plain address: the address text and
  // the key's wire name (checked against Config::keys). `where` is set to
  // the address's node, for errors. False when nothing usable was there.
  bool keyed(const YAML::Node& item, const std::string& key, const Config& config, std::string& address,
             std::string& key_wire, YAML::Node& where) {
    where.reset(item);  // rebinds; operator= would write into the node
    if (!item.IsMap()) return scalar(item, key, address);
    bool have_address = false;
    for (const auto& field : item) {
      auto name = field.first.Scalar();
      if (name == "address") {
        have_address = scalar(field.second, key + ".address", address);
        where.reset(field.second);
      } else if (name == "key") {
        key_name(field.second, key + ".key", config, key_wire);
      } else {
        error(field.first, key + "." + name, "unknown key");
      }
    }
    if (!have_address) error(item, key, "needs an address");
    return have_address;
  }

  // A reference to a key of `keys:`, which is read before the zones.
  void key_name(const YAML::Node& node, const std::string& key, const Config& config, std::string& out) {
    std::string text;
    if (!scalar(node, key, text)) return;
    if (!dns::name_from_text(text, out)) return error(node, key, "bad key name '" + text + "'");
    dns::lowercase(out);
    if (find_key(config.keys, out) == nullptr) error(node, key, "no key '" + text + "' in keys");
  }

  // A secondary zone's primaries, or NOTIFY targets: "ADDR:PORT" or
  // `{address: ADDR:PORT, key: NAME}` each (port 53 when left out).
  void keyed_addresses(const YAML::Node& node, const std::string& key, const Config& config,
                       std::vector<KeyedAddress>& out) {
    for (const auto& item : items(node)) {
      KeyedAddress entry;
      std::string text;
      YAML::Node where;
      if (!keyed(item, key, config, text, entry.key, where)) continue;
      auto address = parse_listen(text);
      if (!address) {
        error(where, key, "bad address '" + text + "' (want ADDR, ADDR:PORT or [ADDR]:PORT)");
        continue;
      }
      entry.address = *address;
      out.push_back(entry);
    }
  }

  // The TSIG keys (RFC 8945): `{name, algorithm, secret}` each.
  void keys(const YAML::Node& node, Config& config) {
    if (!node.IsSequence()) return error(node, "keys", "expected a list of {name, algorithm, secret}");
    for (const auto& item : node) {
      if (!item.IsMap()) {
        error(item, "keys", "each key needs name, algorithm and secret");
        continue;
      }
      dns::tsig::Key key;
      std::string name, algorithm, secret;
      for (const auto& field : item) {
        auto f = field.first.Scalar();
        if (f == "name")
          scalar(field.second, "keys.name", name);
        else if (f == "algorithm")
          scalar(field.second, "keys.algorithm", algorithm);
        else if (f == "secret")
          scalar(field.second, "keys.secret", secret);
        else
          error(field.first, "keys." + f, "unknown key");
      }
      std::string problem = make_key(name, algorithm, secret, key);
      if (problem.empty() && find_key(config.keys, key.name) != nullptr) problem = "key '" + name + "' defined twice";
      if (!problem.empty()) {
        error(item, "keys", problem);
        continue;
      }
      config.keys.push_back(std::move(key));
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
        transfer_clients(entry.second, config, zone.allow_transfer);
      else if (key == "notify")
        keyed_addresses(entry.second, "zones.notify", config, zone.notify);
      else if (key == "primaries")
        keyed_addresses(entry.second, "zones.primaries", config, zone.primaries);
      else if (key == "max-zone-size")
        max_zone_size(entry.second, "zones.max-zone-size", zone.max_zone_size);
      else if (key == "transfer-timeout")
        transfer_timeout(entry.second, "zones.transfer-timeout", zone.transfer_timeout);
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

  // Bytes of one transfer's messages: at least one whole message, at most 1 TiB.
  void max_zone_size(const YAML::Node& node, const std::string& key, uint64_t& out) {
    long n = 0;
    if (number(node, key, 65536, long{1} << 40, n)) out = static_cast<uint64_t>(n);
  }

  // Seconds for one whole transfer, up to a day.
  void transfer_timeout(const YAML::Node& node, const std::string& key, unsigned& out) {
    long n = 0;
    if (number(node, key, 1, 86400, n)) out = static_cast<unsigned>(n);
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
        if (number(value, full, 0, 1000000, n)) config.rrl.responses_per_second = static_cast<unsigned>(n);
      } else if (key == "slip") {
        if (number(value, full, 0, 100, n)) config.rrl.slip = static_cast<unsigned>(n);
      } else if (key == "ipv4-prefix-length") {
        if (number(value, full, 8, 32, n)) config.rrl.ipv4_prefix = static_cast<unsigned>(n);
      } else if (key == "ipv6-prefix-length") {
        if (number(value, full, 16, 128, n)) config.rrl.ipv6_prefix = static_cast<unsigned>(n);
      } else if (key == "whitelist") {
        for (const auto& item : items(value)) {
          std::string text;
          if (!scalar(item, full, text)) continue;
          if (auto p = policy::Prefix::parse(text))
            config.rrl.whitelist.push_back(*p);
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

  // allow-transfer: "ADDR[/LEN]" or `{address: ADDR[/LEN], key: NAME}`.
  void transfer_clients(const YAML::Node& node, const Config& config, std::vector<TransferClient>& out) {
    const std::string key = "zones.allow-transfer";
    for (const auto& item : items(node)) {
      TransferClient client;
      std::string text;
      YAML::Node where;
      if (!keyed(item, key, config, text, client.key, where)) continue;
      auto prefix = policy::Prefix::parse(text);
      if (!prefix) {
        error(where, key, "bad address prefix '" + text + "' (want ADDR or ADDR/LEN)");
        continue;
      }
      client.prefix = *prefix;
      out.push_back(client);
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
    // The keys first: zones refer to them wherever they stand in the file.
    for (const auto& entry : root)
      if (entry.first.Scalar() == "keys") keys(entry.second, config);
    for (const auto& entry : root) {
      auto key = entry.first.Scalar();
      const auto& value = entry.second;
      long n = 0;
      if (key == "keys") {
        // read above
      } else if (key == "listen") {
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
        if (number(value, key, 1, 3600, n)) config.tcp.idle_timeout = static_cast<unsigned>(n);
      } else if (key == "tcp-io-timeout") {
        if (number(value, key, 10, 60000, n)) config.tcp.io_timeout_ms = static_cast<unsigned>(n);
      } else if (key == "tcp-max-per-client") {
        if (number(value, key, 0, 1000000, n)) config.tcp.per_client.per_client = static_cast<unsigned>(n);
      } else if (key == "tcp-client-ipv4-prefix-length") {
        if (number(value, key, 1, 32, n)) config.tcp.per_client.ipv4_prefix = static_cast<unsigned>(n);
      } else if (key == "tcp-client-ipv6-prefix-length") {
        if (number(value, key, 1, 128, n)) config.tcp.per_client.ipv6_prefix = static_cast<unsigned>(n);
      } else if (key == "tcp-max-connections") {
        if (number(value, key, 1, 1000000, n)) config.tcp.max_connections = static_cast<unsigned>(n);
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
      } else if (key == "max-zone-size") {
        max_zone_size(value, key, config.max_zone_size);
      } else if (key == "transfer-timeout") {
        transfer_timeout(value, key, config.transfer_timeout);
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

const dns::tsig::Key* find_key(const std::vector<dns::tsig::Key>& keys, const std::string& wire_name) {
  if (wire_name.empty()) return nullptr;
  for (const auto& k : keys)
    if (k.name == wire_name) return &k;
  return nullptr;
}

std::string parse_key(const std::string& text, dns::tsig::Key& out) {
  // NAME:ALGORITHM:SECRET; the secret, base64, has no colon.
  auto first = text.find(':');
  auto second = first == std::string::npos ? first : text.find(':', first + 1);
  if (second == std::string::npos) return "want NAME:ALGORITHM:SECRET, got '" + text + "'";
  return make_key(text.substr(0, first), text.substr(first + 1, second - first - 1), text.substr(second + 1), out);
}

void apply_defaults(Config& config) {
  if (config.listen.empty()) {
    config.listen.push_back(*parse_listen("0.0.0.0:53"));
    config.listen.push_back(*parse_listen("[::]:53"));
  }
  if (config.workers == 0) config.workers = std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace rpdns::config
