// The configuration's schema: every key of the YAML file with its type,
// range, default and one line of help, the command-line flag that sets it
// where there is one, and whether a reload (SIGHUP) may change it. The YAML
// checks, the flags' checks, --help and the reload's restart check are all
// read from it; schema() lists it whole, for a man page or a control socket.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace rpdns::config {

// When a changed value takes effect.
enum class Apply {
  reload,   // at the next SIGHUP
  restart,  // only at a restart: a reload keeps the running value and warns
};

// What a key's value is, which decides how it is read.
enum class Type {
  number,     // a whole number from min to max
  boolean,    // true, yes, on or false, no, off
  choice,     // one of `choices`
  text,       // any single value
  nsid,       // text, or "hostname" for this machine's name (RFC 5001)
  address,    // ADDR, ADDR:PORT or [ADDR]:PORT
  addresses,  // one of those or a list
  prefixes,   // ADDR or ADDR/LEN, one or a list
  secrets,    // 32 hex digits (16 bytes), one or a list
  keys,       // TSIG keys: a list of {name, algorithm, secret}
  zones,      // a list of zones, each a mapping of the zones.* keys
  section,    // a mapping of the keys named "<this key>.<name>"
};

// Where a key's value lives in a Config; which alternative follows from
// the key's type.
using Slot =
    std::variant<unsigned*, uint16_t*, int*, uint64_t*, bool*, std::string*, Steering*, SerialPolicy*,
                 std::vector<ListenAddress>*, std::optional<ListenAddress>*, std::vector<policy::Prefix>*,
                 std::vector<std::array<uint8_t, 16>>*, std::vector<dns::tsig::Key>*, std::vector<ZoneConfig>*>;

struct Key {
  std::string_view name;  // as in the YAML file; "section.key" inside a section
  Type type;
  Apply apply;
  std::string_view help;  // one line
  // The value in a Config; null for a section and for the zones.* keys,
  // which the zone reader fills in.
  Slot (*slot)(Config&) = nullptr;
  long min = 0;  // a number's range
  long max = 0;
  std::vector<std::string_view> choices = {};
  std::string_view flag = {};      // "--workers"; empty when the command line has none
  std::string_view value = {};     // what the flag takes, in --help: "N", "ADDR:PORT"
  std::string_view fallback = {};  // the default where Config{} cannot show it ("the number of CPUs")
  bool secret = false;             // never written to a log
};

// Every key, in the order --help and the documentation list them.
const std::vector<Key>& schema();
// The table schema() holds (schema_keys.cpp), made anew at each call.
std::vector<Key> schema_table();

// The dnstap section's keys (schema_dnstap.cpp), a part of schema().
std::vector<Key> dnstap_keys();

// The key named `name` ("rate-limit.slip"); null when there is none.
const Key* schema_key(std::string_view name);

// A checked scalar: a number, a boolean (0 or 1), a choice's index; and
// the text as given.
struct Scalar {
  long number = 0;
  std::string text;
};

// Checks `text` against a number's range, a boolean or a choice (other
// types pass unchecked); "" or the problem, without the key's name.
std::string check_scalar(const Key& key, const std::string& text, Scalar& out);

// Stores a checked scalar in the key's place in `config`.
void store_scalar(const Key& key, const Scalar& value, Config& config);

// Stores one value given for the key as text (a flag's), checked by
// check_scalar into `checked`: a scalar as store_scalar does, an address
// parsed, an address added to the key's list. "" or the problem.
std::string store_text(const Key& key, const std::string& text, const Scalar& checked, Config& config);

// Copies the key's value in `from` over its value in `to`.
void copy_value(const Key& key, const Config& from, Config& to);

// The key's value in `config` as text ("" for an empty list).
std::string value_text(const Key& key, const Config& config);

// The key's default as text, for --help and the documentation.
std::string default_text(const Key& key);

// The names of a section's keys, comma-separated ("slip, whitelist").
std::string section_keys(std::string_view section);

// A reload of `running` with `next`, the configuration read again:
// `running` takes next's Reloadable part (and its file's stamp) and nothing
// else, so every restart-only setting keeps its running value. Returns one
// warning for each restart-only key whose value in `next` differs.
std::vector<std::string> keep_restart_only(Config& running, Config next);

}  // namespace rpdns::config
