#include "app/cli.hpp"

#include <algorithm>
#include <filesystem>

#include "config/schema.hpp"
#include "dns/name.hpp"

namespace rpdns::cli {
namespace {

constexpr const char* kDefaultConfig = "/etc/rpdns/rpdns.yaml";

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

// A zone's ORIGIN given to `flag`, read once as the config file's zones
// are; false, with the error, when it is no name.
bool zone_origin(const std::string& flag, const std::string& text, dns::WireName& out,
                 std::vector<std::string>& errors) {
  auto name = dns::WireName::from_text(text);
  if (!name) {
    errors.push_back(flag + ": bad zone name '" + text + "'");
    return false;
  }
  out = std::move(*name);
  return true;
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
  if (!zone_origin("--secondary", value.substr(0, eq), zone.origin, errors)) return;
  zone.file = value.substr(eq + 1, at - eq - 1);
  zone.primaries.push_back({*primary, ""});
  args.secondaries.emplace_back(zone, key);
}

// What one of the command line's own options does with its values.
using Handler = void (*)(const std::vector<std::string>& values, Arguments& args, std::vector<std::string>& errors);

struct Row {
  Option option;
  std::string_view alias;  // "-h"
  int values;              // how many follow the flag
  Handler handle;          // null for a schema key's flag: the schema says where its value goes
};

void zone_flag(const std::string& value, Arguments& args, std::vector<std::string>& errors) {
  auto eq = value.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
    errors.push_back("--zone: want ORIGIN=FILE, got '" + value + "'");
    return;
  }
  config::ZoneConfig zone;
  if (!zone_origin("--zone", value.substr(0, eq), zone.origin, errors)) return;
  zone.file = value.substr(eq + 1);
  args.zones.push_back(zone);
}

void key_flag(const std::string& value, Arguments& args, std::vector<std::string>& errors) {
  dns::tsig::Key key;
  std::string problem = config::parse_key(value, key);
  if (problem.empty())
    args.keys.push_back(std::move(key));
  else
    errors.push_back("--key: " + problem);
}

void probe_flag(const std::vector<std::string>& values, Arguments& args, std::vector<std::string>& errors) {
  args.probe_server = config::parse_listen(values[0]);
  args.probe_name = values[1];
  if (!args.probe_server) errors.push_back("--probe: bad address '" + values[0] + "'");
}

// The command line's own options, which no config key has.
// A table, one row per key: data, not logic, however long.
// NOLINTNEXTLINE(readability-function-size)
std::vector<Row> own_rows() {
  using V = const std::vector<std::string>&;
  using E = std::vector<std::string>&;
  return {
      {{"--config", "FILE", "read settings from a YAML file (default: /etc/rpdns/rpdns.yaml when no --zone is given)"},
       "",
       1,
       [](V v, Arguments& a, E) { a.config_file = v[0]; }},
      {{"--check-config", "FILE",
        "load FILE and every zone it names, report, and exit (0 when all is well, 1 with every error otherwise)"},
       "",
       1,
       [](V v, Arguments& a, E) {
         a.config_file = v[0];
         a.check_only = true;
       }},
      {{"--zone", "ORIGIN=FILE", "serve the master file FILE as zone ORIGIN (repeatable)"},
       "",
       1,
       [](V v, Arguments& a, E e) { zone_flag(v[0], a, e); }},
      {{"--allow-transfer", "PREFIX",
        "allow AXFR/IXFR of the --zone zones to PREFIX (repeatable; ADDR or ADDR/LEN; default nobody)"},
       "",
       1,
       [](V v, Arguments& a, E e) {
         if (auto p = policy::Prefix::parse(v[0]))
           a.allow_transfer.push_back(*p);
         else
           e.push_back("--allow-transfer: bad address prefix '" + v[0] + "'");
       }},
      {{"--notify", "ADDR:PORT",
        "send NOTIFY for the --zone zones there when their serial changes on reload (repeatable)"},
       "",
       1,
       [](V v, Arguments& a, E e) {
         if (auto address = config::parse_listen(v[0]))
           a.notify.push_back(*address);
         else
           e.push_back("--notify: bad address '" + v[0] + "'");
       }},
      {{"--key", "NAME:ALGORITHM:SECRET",
        "a TSIG key (RFC 8945; ALGORITHM hmac-sha1, -sha224, -sha256, -sha384 or -sha512; SECRET base64), "
        "repeatable"},
       "",
       1,
       [](V v, Arguments& a, E e) { key_flag(v[0], a, e); }},
      {{"--secondary", "ORIGIN=FILE@ADDR:PORT[:KEY]",
        "follow the primary ADDR:PORT for zone ORIGIN, keeping the copy in FILE; transfers signed with KEY (a "
        "--key) when given"},
       "",
       1,
       [](V v, Arguments& a, E e) { secondary_flag(v[0], a, e); }},
      {{"--probe", "ADDR:PORT NAME",
        "ask ADDR:PORT for NAME's SOA; exit 0 if an authoritative answer comes back within 2 s (a health check), "
        "else 1"},
       "",
       2,
       [](V v, Arguments& a, E e) { probe_flag(v, a, e); }},
      {{"--print-schema", "",
        "print every key of the config file (type, range, default, reload or restart, flag, help), one a line with "
        "tab-separated fields, and exit"},
       "",
       0,
       [](V, Arguments& a, E) { a.print_schema = true; }},
      {{"--version", "", "print the version and exit"}, "-V", 0, [](V, Arguments& a, E) { a.show_version = true; }},
      {{"--help", "", "print this help and exit"}, "-h", 0, [](V, Arguments& a, E) { a.show_help = true; }},
  };
}

// A flag of a schema key: its value stored as the schema says, in the
// Arguments' own Config. A list key's flags add to one list, which
// replaces the file's.
void take_setting(const config::Key& key, const std::string& text, const config::Scalar& checked, Arguments& args,
                  std::vector<std::string>& errors) {
  std::string problem = config::store_text(key, text, checked, args.settings);
  if (!problem.empty()) return errors.push_back(std::string(key.flag) + ": " + problem);
  if (std::find(args.given.begin(), args.given.end(), &key) == args.given.end()) args.given.push_back(&key);
}

const std::vector<Row>& rows() {
  static const std::vector<Row> all = [] {
    auto out = own_rows();
    for (const auto& key : config::schema()) {
      if (key.flag.empty()) continue;
      out.push_back({{key.flag, key.value, key.help, &key}, "", 1, nullptr});
    }
    return out;
  }();
  return all;
}

const Row* find_row(const std::string& flag) {
  for (const auto& row : rows())
    if (row.option.flag == flag || (!row.alias.empty() && row.alias == flag)) return &row;
  return nullptr;
}

// One option and the values after it; `i` moves past them.
void take_option(const Row& row, int& i, int argc, char** argv, Arguments& args, std::vector<std::string>& errors) {
  std::string flag(row.option.flag);
  std::vector<std::string> values;
  for (int n = 0; n < row.values; ++n) {
    std::string value;
    if (!take_value(flag, value, i, argc, argv, errors)) return;
    values.push_back(value);
  }
  if (row.option.key == nullptr) return row.handle(values, args, errors);
  config::Scalar checked;
  std::string problem = config::check_scalar(*row.option.key, values[0], checked);
  if (!problem.empty()) return errors.push_back(flag + ": " + problem);
  take_setting(*row.option.key, values[0], checked, args, errors);
}

// "; key workers, 1 to 1024, default the number of CPUs" for a setting.
std::string setting_note(const config::Key& key) {
  std::string note = "; key " + std::string(key.name);
  if (key.type == config::Type::number) note += ", " + std::to_string(key.min) + " to " + std::to_string(key.max);
  if (key.type == config::Type::choice) {
    for (auto choice : key.choices) note += (choice == key.choices.front() ? ", one of " : ", ") + std::string(choice);
  }
  return note + ", default " + config::default_text(key);
}

// `text` broken into lines of at most `width` columns, each after `indent` spaces but the first.
std::string wrapped(const std::string& text, std::size_t indent, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return out + line + "\n";
}

std::string option_lines(const Option& option) {
  constexpr std::size_t kColumn = 25;
  constexpr std::size_t kWidth = 79;
  std::string head = "  " + std::string(option.flag);
  if (!option.value.empty()) head += " " + std::string(option.value);
  head += head.size() + 1 < kColumn ? std::string(kColumn - head.size(), ' ') : "\n" + std::string(kColumn, ' ');
  std::string help(option.help);
  if (option.key != nullptr) help += setting_note(*option.key);
  return head + wrapped(help, kColumn, kWidth);
}

// A key's type as the documentation names it.
std::string_view type_name(config::Type type) {
  switch (type) {
    case config::Type::number:
      return "number";
    case config::Type::boolean:
      return "boolean";
    case config::Type::choice:
      return "choice";
    case config::Type::text:
    case config::Type::nsid:
      return "text";
    case config::Type::address:
      return "address";
    case config::Type::addresses:
      return "addresses";
    case config::Type::prefixes:
      return "prefixes";
    case config::Type::secrets:
      return "secrets";
    case config::Type::keys:
      return "keys";
    case config::Type::zones:
      return "zones";
    case config::Type::section:
      return "section";
  }
  return "";
}

// The values a key takes, where the schema bounds them: "1 to 1024",
// "hash, cpu, random"; "" otherwise.
std::string range_text(const config::Key& key) {
  if (key.type == config::Type::number) return std::to_string(key.min) + " to " + std::to_string(key.max);
  if (key.type == config::Type::boolean) return "true or false";
  std::string out;
  for (auto choice : key.choices) out += (out.empty() ? "" : ", ") + std::string(choice);
  return out;
}

// A zone from the command line joins those of the config file; a name
// given twice is refused, as the file refuses it, since each zone is found
// by its name alone.
bool add_zone(config::ZoneConfig zone, config::Config& config, std::vector<std::string>& errors) {
  if (config::find_zone(config.reloadable.zones, zone.origin) != nullptr) {
    errors.push_back("zone " + zone.origin.text() + " is configured twice");
    return false;
  }
  config.reloadable.zones.push_back(std::move(zone));
  return true;
}

}  // namespace

std::vector<Option> options() {
  std::vector<Option> out;
  for (const auto& row : rows()) out.push_back(row.option);
  return out;
}

std::optional<Arguments> parse(int argc, char** argv, std::vector<std::string>& errors) {
  Arguments args;
  std::size_t before = errors.size();
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (const Row* row = find_row(flag))
      take_option(*row, i, argc, argv, args, errors);
    else
      errors.push_back(flag + ": unknown option (see --help)");
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
    config = std::move(*loaded);
  }
  for (const config::Key* key : args.given) config::copy_value(*key, args.settings, config);
  for (const auto& key : args.keys) {
    if (config::find_key(config.reloadable.keys, key.name) != nullptr) {
      errors.push_back("--key: key '" + dns::to_text(key.name) + "' defined twice");
      return std::nullopt;
    }
    config.reloadable.keys.push_back(key);
  }
  for (auto zone : args.zones) {
    for (const auto& p : args.allow_transfer) zone.allow_transfer.push_back({p, ""});
    for (const auto& a : args.notify) zone.notify.push_back({a, ""});
    if (!add_zone(std::move(zone), config, errors)) return std::nullopt;
  }
  for (auto [zone, key] : args.secondaries) {
    if (!key.empty()) {
      std::string wire;
      if (!dns::name_from_text(key, wire)) wire.clear();
      dns::lowercase(wire);
      if (config::find_key(config.reloadable.keys, wire) == nullptr) {
        errors.push_back("--secondary: no key '" + key + "' (give it with --key NAME:ALGORITHM:SECRET)");
        return std::nullopt;
      }
      zone.primaries[0].key = wire;
    }
    for (const auto& p : args.allow_transfer) zone.allow_transfer.push_back({p, ""});
    for (const auto& a : args.notify) zone.notify.push_back({a, ""});
    if (!add_zone(std::move(zone), config, errors)) return std::nullopt;
  }
  // A configuration file may name no zone yet (an installed package's
  // does): the server then refuses every query until a reload adds one.
  if (config.reloadable.zones.empty() && file.empty()) {
    errors.push_back("no zones to serve: give --config FILE, --zone ORIGIN=FILE or --secondary");
    return std::nullopt;
  }
  config::apply_defaults(config);
  return config;
}

std::string usage() {
  std::string own, settings;
  for (const auto& option : options()) (option.key == nullptr ? own : settings) += option_lines(option);
  return "Usage: rpdns [options]\n\nAn authoritative-only DNS server.\n\nOptions:\n" + own +
         "\nSettings (each overrides the config file's key; rpdns.yaml(5) lists every key):\n" + settings +
         "\nSignals: SIGHUP reloads zones; SIGUSR1 logs per-worker counters; SIGINT and\n"
         "SIGTERM stop the server cleanly (a second one exits at once).\n";
}

std::string schema_listing() {
  std::string out = "key\ttype\trange\tdefault\tapplies\tflag\thelp\n";
  for (const auto& key : config::schema()) {
    std::string flag(key.flag);
    if (!key.value.empty()) flag += " " + std::string(key.value);
    std::string fallback = key.type == config::Type::section ? "" : config::default_text(key);
    std::string apply = key.apply == config::Apply::reload ? "reload" : "restart";
    for (const std::string& field :
         {std::string(key.name), std::string(type_name(key.type)), range_text(key), fallback, apply, flag})
      out += field + "\t";
    out += std::string(key.help) + "\n";
  }
  return out;
}

}  // namespace rpdns::cli
