#include "config/schema.hpp"

#include <algorithm>
#include <charconv>
#include <type_traits>

#include "dns/name.hpp"

namespace rpdns::config {
namespace {

bool whole_number(const std::string& text, long& out) {
  const char* end = text.data() + text.size();
  auto [stop, problem] = std::from_chars(text.data(), end, out);
  return problem == std::errc() && stop == end && !text.empty();
}

std::string list_text(const std::vector<std::string_view>& items) {
  std::string out;
  // Appended piece by piece: GCC 12 at -O3 (the Release build) warns falsely
  // (-Wrestrict, GCC bug 105329) on "literal" + std::string&&.
  for (auto item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string item_text(const ListenAddress& a) { return a.to_string(); }
std::string item_text(const policy::Prefix& p) { return p.text; }
std::string item_text(const dns::tsig::Key& k) { return dns::to_text(k.name); }
std::string item_text(const ZoneConfig& z) { return z.origin.text(); }
std::string item_text(const std::array<uint8_t, 16>& secret) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : secret) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

template <typename T>
std::string text_of(const Key& key, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else if constexpr (std::is_enum_v<T>) {
    return std::string(key.choices.at(static_cast<std::size_t>(value)));
  } else if constexpr (std::is_same_v<T, bool>) {
    if (key.type == Type::choice) return std::string(key.choices.at(value ? 1 : 0));
    return value ? "true" : "false";
  } else if constexpr (std::is_arithmetic_v<T>) {
    return std::to_string(value);
  } else if constexpr (std::is_same_v<T, std::optional<ListenAddress>>) {
    return value ? value->to_string() : "";
  } else {
    std::string out;
    for (const auto& item : value) {
      if (!out.empty()) out += ' ';
      out += item_text(item);
    }
    return out;
  }
}

// A key's place in a Config that is only read: slot() takes an address and
// writes nothing.
Slot read_slot(const Key& key, const Config& config) { return key.slot(const_cast<Config&>(config)); }

}  // namespace

const std::vector<Key>& schema() {
  static const std::vector<Key> keys = schema_table();
  return keys;
}

const Key* schema_key(std::string_view name) {
  for (const auto& key : schema())
    if (key.name == name) return &key;
  return nullptr;
}

std::string check_scalar(const Key& key, const std::string& text, Scalar& out) {
  out.text = text;
  if (key.type == Type::number) {
    if (whole_number(text, out.number) && out.number >= key.min && out.number <= key.max) return "";
    return "expected a whole number from " + std::to_string(key.min) + " to " + std::to_string(key.max) + ", got '" +
           text + "'";
  }
  if (key.type == Type::boolean) {
    if (text == "true" || text == "yes" || text == "on")
      out.number = 1;
    else if (text == "false" || text == "no" || text == "off")
      out.number = 0;
    else
      return "expected true or false, got '" + text + "'";
    return "";
  }
  if (key.type == Type::choice) {
    auto at = std::find(key.choices.begin(), key.choices.end(), text);
    if (at == key.choices.end()) return "expected one of " + list_text(key.choices) + ", got '" + text + "'";
    out.number = at - key.choices.begin();
  }
  return "";
}

void store_scalar(const Key& key, const Scalar& value, Config& config) {
  std::visit(
      [&](auto* field) {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, std::string>)
          *field = value.text;
        else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>)
          *field = static_cast<T>(value.number);
        // Lists and addresses are not scalars: their own readers fill them.
      },
      key.slot(config));
}

std::string store_text(const Key& key, const std::string& text, const Scalar& checked, Config& config) {
  if (key.type != Type::address && key.type != Type::addresses) {
    store_scalar(key, checked, config);
    return "";
  }
  auto address = parse_listen(text);
  if (!address) return "bad address '" + text + "' (want ADDR:PORT or [ADDR]:PORT)";
  if (key.type == Type::addresses)
    std::get<std::vector<ListenAddress>*>(key.slot(config))->push_back(*address);
  else
    *std::get<std::optional<ListenAddress>*>(key.slot(config)) = address;
  return "";
}

void copy_value(const Key& key, const Config& from, Config& to) {
  std::visit([&](auto* field) { *field = *std::get<decltype(field)>(read_slot(key, from)); }, key.slot(to));
}

std::string value_text(const Key& key, const Config& config) {
  if (key.slot == nullptr) return "";
  return std::visit([&](const auto* field) { return text_of(key, *field); }, read_slot(key, config));
}

std::string default_text(const Key& key) {
  if (!key.fallback.empty()) return std::string(key.fallback);
  std::string text = value_text(key, Config{});
  return text.empty() ? "none" : text;
}

std::string section_keys(std::string_view section) {
  std::vector<std::string_view> names;
  std::string prefix = std::string(section) + ".";
  for (const auto& key : schema())
    if (key.name.starts_with(prefix)) names.push_back(key.name.substr(prefix.size()));
  return list_text(names);
}

std::vector<std::string> keep_restart_only(Config& running, Config next) {
  std::vector<std::string> warnings;
  for (const auto& key : schema()) {
    if (key.apply != Apply::restart || key.slot == nullptr) continue;
    std::string kept = value_text(key, running);
    if (kept == value_text(key, next)) continue;
    std::string name(key.name);
    warnings.push_back(name + " changes only on restart; " +
                       (key.secret ? "the running value stays in use" : "keeping '" + kept + "'"));
  }
  running.reloadable = std::move(next.reloadable);
  running.source_stamp = next.source_stamp;
  return warnings;
}

}  // namespace rpdns::config
