// The command line: flags that stand alone or override the config file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "config/schema.hpp"

namespace rpdns::cli {

struct Arguments {
  std::string config_file;
  bool check_only = false;
  bool show_help = false;
  bool show_version = false;
  bool print_schema = false;
  // The values of the flags that set a schema key, in a Config of their
  // own, and those keys, each once: resolve() copies them over the file's.
  config::Config settings;
  std::vector<const config::Key*> given;
  std::vector<config::ZoneConfig> zones;
  std::vector<policy::Prefix> allow_transfer;  // for zones given with --zone
  std::vector<config::ListenAddress> notify;   // for zones given with --zone
  std::vector<dns::tsig::Key> keys;            // --key NAME:ALGORITHM:SECRET
  // --secondary ORIGIN=FILE@ADDR:PORT[:KEY]: the zone, and the key's name as given.
  std::vector<std::pair<config::ZoneConfig, std::string>> secondaries;
  std::optional<config::ListenAddress> probe_server;  // --probe ADDR:PORT NAME
  std::string probe_name;
};

// A command-line option: one of the command line's own, or the flag of a
// schema key (config/schema.hpp), which overrides the config file's value.
struct Option {
  std::string_view flag;   // "--workers"
  std::string_view value;  // what follows it, as --help shows it: "N"; empty: nothing
  std::string_view help;
  const config::Key* key = nullptr;  // the setting; null for the command line's own options
};

// Every option, in the order --help lists them.
std::vector<Option> options();

// Appends "flag: problem" errors and returns nullopt on any.
std::optional<Arguments> parse(int argc, char** argv, std::vector<std::string>& errors);

// The config file (if any) with the flags applied on top, defaults filled in.
std::optional<config::Config> resolve(const Arguments& args, std::vector<std::string>& errors);

// --help, made from options().
std::string usage();

// --print-schema: every key of config::schema(), one a line after a header
// line, its fields separated by tabs: key, type, range, default, when a
// change takes effect (reload or restart), flag, help. scripts/man.sh
// writes rpdns.yaml(5)'s key reference from it.
std::string schema_listing();

}  // namespace rpdns::cli
