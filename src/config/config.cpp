#include "config/config.hpp"

#include <sys/stat.h>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <thread>
#include <unordered_set>

#include <unistd.h>

#include "config/schema.hpp"
#include "dns/cookie.hpp"
#include "dns/name.hpp"

namespace rpdns::config {
namespace {

// The type a setting holds: T itself, or V for a zone's optional<V>.
template <typename T>
struct Unwrapped {
  using type = T;
};
template <typename V>
struct Unwrapped<std::optional<V>> {
  using type = V;
};

constexpr const char* kAddressForms = "ADDR, ADDR:PORT or [ADDR]:PORT";

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
      config.server.cookie_secrets.push_back(secret);
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
  // the key's wire name (checked against Reloadable::keys). `where` is set to
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
    if (find_key(config.reloadable.keys, out) == nullptr) error(node, key, "no key '" + text + "' in keys");
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
      if (problem.empty() && find_key(config.reloadable.keys, key.name) != nullptr)
        problem = "key '" + name + "' defined twice";
      if (!problem.empty()) {
        error(item, "keys", problem);
        continue;
      }
      config.reloadable.keys.push_back(std::move(key));
    }
  }

  // A zone's name, in the canonical wire form every other room takes it
  // in; false, with the error given, when it is no name.
  bool origin(const YAML::Node& node, dns::WireName& out) {
    std::string text;
    if (!scalar(node, "zones.origin", text)) return false;
    auto name = dns::WireName::from_text(text);
    if (!name) {
      error(node, "zones.origin", "bad zone name '" + text + "'");
      return false;
    }
    out = std::move(*name);
    return true;
  }

  void zone(const YAML::Node& node, Config& config) {
    if (!node.IsMap()) {
      error(node, "zones", "each zone needs 'origin' and 'file'");
      return;
    }
    ZoneConfig zone;
    bool named = true;  // false once a bad origin has been reported
    for (const auto& entry : node) {
      auto key = entry.first.Scalar();
      if (key == "origin")
        named = origin(entry.second, zone.origin);
      else if (key == "file")
        scalar(entry.second, "zones.file", zone.file);
      else if (key == "allow-transfer")
        transfer_clients(entry.second, config, zone.allow_transfer);
      else if (key == "notify")
        keyed_addresses(entry.second, "zones.notify", config, zone.notify);
      else if (key == "primaries")
        keyed_addresses(entry.second, "zones.primaries", config, zone.primaries);
      else if (key == "max-zone-size")
        zone_value(entry.second, "zones.max-zone-size", zone.max_zone_size);
      else if (key == "transfer-timeout")
        zone_value(entry.second, "zones.transfer-timeout", zone.transfer_timeout);
      else if (key == "journal-size")
        zone_value(entry.second, "zones.journal-size", zone.journal_size);
      else if (key == "journal-depth")
        zone_value(entry.second, "zones.journal-depth", zone.journal_depth);
      else if (key == "serial-policy")
        zone_value(entry.second, "zones.serial-policy", zone.serial_policy);
      else
        error(entry.first, "zones." + key, "unknown key");
    }
    if (!named) return;
    if (zone.origin.empty() || zone.file.empty()) {
      error(node, "zones", "each zone needs 'origin' and 'file'");
      return;
    }
    // A set, not a search of the list so far: that is quadratic, and took
    // minutes for 100,000 zones.
    if (!origins_.insert(zone.origin).second) {
      error(node, "zones.origin", "zone " + zone.origin.text() + " is configured twice");
      return;
    }
    std::filesystem::path path(zone.file);
    if (path.is_relative()) zone.file = (std::filesystem::path(file_).parent_path() / path).string();
    config.reloadable.zones.push_back(std::move(zone));
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
    section(root, "", config);
  }

  // The keys of a mapping, named `prefix` + their name.
  void section(const YAML::Node& map, const std::string& prefix, Config& config) {
    for (const auto& entry : map) {
      std::string given = entry.first.Scalar();
      const Key* key = schema_key(prefix + given);
      // A dot in a name given is no way into a section.
      if (key == nullptr || given.find('.') != std::string::npos) {
        error(entry.first, prefix + given, "unknown key");
        continue;
      }
      value(entry.second, *key, config);
    }
  }

  // Reads a key's value, by its type.
  void value(const YAML::Node& node, const Key& key, Config& config) {
    std::string name(key.name);
    switch (key.type) {
      case Type::section:
        if (!node.IsMap()) return error(node, name, "expected a mapping (" + section_keys(name) + ")");
        return section(node, name + ".", config);
      case Type::keys:
        return;  // read first
      case Type::zones:
        return zones(node, config);
      case Type::addresses:
        return addresses(node, name, kAddressForms, *std::get<std::vector<ListenAddress>*>(key.slot(config)));
      case Type::address:
        return address(node, name, *std::get<std::optional<ListenAddress>*>(key.slot(config)));
      case Type::prefixes:
        return prefixes(node, name, *std::get<std::vector<policy::Prefix>*>(key.slot(config)));
      case Type::secrets:
        return cookie_secrets(node, name, config);
      case Type::nsid:
        return nsid(node, name, config.server.nsid);
      default:
        return scalar_value(node, key, config);
    }
  }

  // A number, boolean, choice or text, checked by the schema.
  void scalar_value(const YAML::Node& node, const Key& key, Config& config) {
    std::string name(key.name), text;
    if (!scalar(node, name, text)) return;
    Scalar checked;
    std::string problem = check_scalar(key, text, checked);
    if (!problem.empty()) return error(node, name, problem);
    store_scalar(key, checked, config);
  }

  // A zone's own setting, a number or choice checked by the schema's `name`.
  template <typename T>
  void zone_value(const YAML::Node& node, const std::string& name, T& out) {
    std::string text;
    if (!scalar(node, name, text)) return;
    Scalar checked;
    std::string problem = check_scalar(*schema_key(name), text, checked);
    if (!problem.empty()) return error(node, name, problem);
    out = static_cast<typename Unwrapped<T>::type>(checked.number);
  }

  void address(const YAML::Node& node, const std::string& name, std::optional<ListenAddress>& out) {
    std::string text;
    if (!scalar(node, name, text)) return;
    out = parse_listen(text);
    if (!out) error(node, name, "bad address '" + text + "'");
  }

  void prefixes(const YAML::Node& node, const std::string& name, std::vector<policy::Prefix>& out) {
    for (const auto& item : items(node)) {
      std::string text;
      if (!scalar(item, name, text)) continue;
      if (auto p = policy::Prefix::parse(text))
        out.push_back(*p);
      else
        error(item, name, "bad address prefix '" + text + "'");
    }
  }

 private:
  std::string file_;
  std::vector<std::string>& errors_;
  std::unordered_set<dns::WireName> origins_;  // of the zones read so far
};

}  // namespace

bool valid_log_level(const std::string& level) {
  Scalar checked;
  return check_scalar(*schema_key("log-level"), level, checked).empty();
}

std::optional<Config> load_file(const std::string& path, std::vector<std::string>& errors) {
  YAML::Node root;
  auto stamp = file_stamp(path);  // before reading: a change after it is seen next time
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
  config.source_stamp = stamp;
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
  // Like zone files, a relative socket path is the config file's neighbour.
  std::filesystem::path socket(config.control_socket);
  if (!config.control_socket.empty() && socket.is_relative()) {
    config.control_socket = (std::filesystem::path(path).parent_path() / socket).string();
  }
  return config;
}

std::optional<FileStamp> file_stamp(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{static_cast<int64_t>(st.st_size), st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                   st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec, static_cast<int64_t>(st.st_ino)};
}

const ZoneConfig* find_zone(const std::vector<ZoneConfig>& zones, const dns::WireName& origin) {
  for (const auto& z : zones)
    if (z.origin == origin) return &z;
  return nullptr;
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
  if (config.server.listen.empty()) {
    config.server.listen.push_back(*parse_listen("0.0.0.0:53"));
    config.server.listen.push_back(*parse_listen("[::]:53"));
  }
  if (config.server.workers == 0) config.server.workers = std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace rpdns::config
