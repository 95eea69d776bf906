// The configuration schema (config/schema.hpp): every key documented, its
// checks in the YAML reader and on the command line, --help made from it,
// and what a reload does with a restart-only key.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "config/schema.hpp"
#include "support/files.hpp"
#include "support/packet.hpp"
#include "app/cli.hpp"

namespace {

using rpdns::config::Config;
using rpdns::config::Key;
using rpdns::config::schema;
using rpdns::config::schema_key;
using rpdns::config::Type;
using rpdns::test::TempDir;

TEST(ConfigSchema, EveryKeyHasHelpAndADefault) {
  std::set<std::string_view> names;
  for (const Key& key : schema()) {
    EXPECT_TRUE(names.insert(key.name).second) << key.name << " twice";
    EXPECT_FALSE(key.help.empty()) << key.name;
    EXPECT_FALSE(rpdns::config::default_text(key).empty()) << key.name;
    if (key.type == Type::number) {
      EXPECT_LT(key.min, key.max) << key.name;
    }
    if (key.type == Type::choice) {
      EXPECT_GE(key.choices.size(), 2u) << key.name;
    }
    if (!key.flag.empty()) {
      EXPECT_FALSE(key.value.empty()) << key.name;
    }
  }
}

// A default Config's values pass the checks of their own keys.
TEST(ConfigSchema, DefaultsAreInRange) {
  for (const Key& key : schema()) {
    if (key.type != Type::number && key.type != Type::boolean && key.type != Type::choice) continue;
    if (key.slot == nullptr || !key.fallback.empty()) continue;
    rpdns::config::Scalar checked;
    std::string text = rpdns::config::value_text(key, Config{});
    EXPECT_EQ(rpdns::config::check_scalar(key, text, checked), "") << key.name;
    Config config;
    rpdns::config::store_scalar(key, checked, config);
    EXPECT_EQ(rpdns::config::value_text(key, config), text) << key.name;
  }
}

// A zone's own bounds take the range of the top-level key they override.
TEST(ConfigSchema, ZoneOverridesShareTheTopLevelRange) {
  for (const char* name : {"max-zone-size", "transfer-timeout"}) {
    const Key* global = schema_key(name);
    const Key* zone = schema_key(std::string("zones.") + name);
    ASSERT_TRUE(global && zone) << name;
    EXPECT_EQ(zone->min, global->min);
    EXPECT_EQ(zone->max, global->max);
  }
}

// Every flag --help shows is an option of the table, and every option and
// every flag of a schema key is shown.
TEST(ConfigSchema, EveryFlagInHelpComesFromTheTable) {
  std::string help = rpdns::cli::usage();
  std::set<std::string> known;
  for (const auto& option : rpdns::cli::options()) {
    known.insert(std::string(option.flag));
    EXPECT_NE(help.find("  " + std::string(option.flag)), std::string::npos) << option.flag;
    EXPECT_FALSE(option.help.empty()) << option.flag;
    if (option.key != nullptr) {
      EXPECT_EQ(option.key->flag, option.flag);
    }
  }
  for (const Key& key : schema()) {
    if (!key.flag.empty()) {
      EXPECT_EQ(known.count(std::string(key.flag)), 1u) << key.flag;
    }
  }
  std::regex flag("--[a-z][a-z-]*");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), flag); it != std::sregex_iterator(); ++it) {
    EXPECT_EQ(known.count(it->str()), 1u) << it->str() << " in --help is not in the table";
  }
}

// --print-schema, which rpdns.yaml(5)'s key reference is written from: a
// header, then one line per key with seven tab-separated fields that say
// what the table says, so a key missing there is missing from the page.
TEST(ConfigSchema, ListingHasALineForEveryKey) {
  std::istringstream listing(rpdns::cli::schema_listing());
  std::string line;
  ASSERT_TRUE(std::getline(listing, line));
  EXPECT_EQ(line, "key\ttype\trange\tdefault\tapplies\tflag\thelp");
  std::vector<std::vector<std::string>> rows;
  while (std::getline(listing, line)) {
    std::vector<std::string> fields;
    std::istringstream row(line);
    for (std::string field; std::getline(row, field, '\t');) fields.push_back(field);
    ASSERT_EQ(fields.size(), 7u) << line;
    rows.push_back(fields);
  }
  ASSERT_EQ(rows.size(), schema().size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Key& key = schema()[i];
    const auto& f = rows[i];
    EXPECT_EQ(f[0], key.name);
    EXPECT_EQ(f[4], key.apply == rpdns::config::Apply::reload ? "reload" : "restart") << key.name;
    EXPECT_EQ(f[6], key.help) << key.name;
    if (key.type != Type::section) {
      EXPECT_EQ(f[3], rpdns::config::default_text(key)) << key.name;
    }
    if (key.type == Type::number) {
      EXPECT_EQ(f[2], std::to_string(key.min) + " to " + std::to_string(key.max)) << key.name;
    }
    if (!key.flag.empty()) {
      EXPECT_EQ(f[5], std::string(key.flag) + " " + std::string(key.value)) << key.name;
    }
  }
  EXPECT_EQ(rows[1][0], "workers");
  EXPECT_EQ(rows[1][1], "number");
  EXPECT_EQ(rows[1][2], "1 to 1024");
  EXPECT_EQ(rows[1][3], "the number of CPUs");
  EXPECT_EQ(rows[1][4], "restart");
  EXPECT_EQ(rows[1][5], "--workers N");
}

// A range from the table, in the YAML file: the error names the full key
// and its line.
TEST(ConfigSchema, RangeErrorNamesKeyAndLine) {
  TempDir dir;
  std::string path = dir.write("c.yaml", "workers: 2\nrate-limit:\n  slip: 101\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(rpdns::config::load_file(path, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], path + ":3: rate-limit.slip: expected a whole number from 0 to 100, got '101'");
}

TEST(ConfigSchema, UnknownKeyInASection) {
  TempDir dir;
  std::string path = dir.write("c.yaml", "rate-limit:\n  slip: 1\n  burst: 5\nstats: 1\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(rpdns::config::load_file(path, errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], path + ":3: rate-limit.burst: unknown key");
  EXPECT_EQ(errors[1], path + ":4: stats: expected a mapping (listen)");
}

// The same range on the command line.
TEST(ConfigSchema, FlagTakesTheKeysRange) {
  std::vector<std::string> strings = {"rpdns", "--workers", "1025"};
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  std::vector<std::string> errors;
  EXPECT_FALSE(rpdns::cli::parse(static_cast<int>(argv.size()), argv.data(), errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "--workers: expected a whole number from 1 to 1024, got '1025'");
}

// A reload that changes a restart-only key keeps the running value and
// says so; a key a reload may change takes the new one.
TEST(ConfigSchema, RestartOnlyKeyIsKeptAndReported) {
  EXPECT_EQ(schema_key("workers")->apply, rpdns::config::Apply::restart);
  EXPECT_EQ(schema_key("zones")->apply, rpdns::config::Apply::reload);
  Config running;
  running.server.workers = 2;
  running.server.rrl.responses_per_second = 10;
  running.server.cookie_secrets.push_back({1});
  running.log_level = "info";
  Config next = running;
  next.server.workers = 4;
  next.server.rrl.responses_per_second = 20;
  next.server.cookie_secrets[0][0] = 2;
  next.log_level = "debug";
  next.reloadable.signature_warning_days = 30;
  next.reloadable.zones.push_back({rpdns::test::wire_name("example.com"), "/z", {}, {}, {}});
  auto warnings = rpdns::config::keep_restart_only(running, next);
  ASSERT_EQ(warnings.size(), 4u);
  EXPECT_EQ(warnings[0], "workers changes only on restart; keeping '2'");
  EXPECT_EQ(warnings[1], "log-level changes only on restart; keeping 'info'");
  EXPECT_EQ(warnings[2], "rate-limit.responses-per-second changes only on restart; keeping '10'");
  EXPECT_EQ(warnings[3], "cookie-secret changes only on restart; the running value stays in use");
  EXPECT_EQ(running.server.workers, 2u);
  EXPECT_EQ(running.server.rrl.responses_per_second, 10u);
  EXPECT_EQ(running.server.cookie_secrets[0][0], 1);
  EXPECT_EQ(running.log_level, "info");
  EXPECT_EQ(running.reloadable.signature_warning_days, 30u);
  EXPECT_EQ(running.reloadable.zones.size(), 1u);
  Config again = running;
  again.reloadable.journal_depth = 5;
  EXPECT_TRUE(rpdns::config::keep_restart_only(running, again).empty());
  EXPECT_EQ(running.reloadable.journal_depth, 5u);
}

// The schema's `apply` column and Config's parts agree: a key a reload may
// change lives in Config::reloadable, which is all a reload takes, and a
// restart-only key lives outside it.
TEST(ConfigSchema, ReloadableKeysAreTheReloadablePart) {
  Config config;
  const auto* begin = reinterpret_cast<const char*>(&config.reloadable);
  const auto* end = begin + sizeof(config.reloadable);
  for (const Key& key : schema()) {
    if (key.slot == nullptr) continue;
    const auto* at = std::visit([](auto* field) { return reinterpret_cast<const char*>(field); }, key.slot(config));
    bool inside = at >= begin && at < end;
    EXPECT_EQ(inside, key.apply == rpdns::config::Apply::reload) << key.name;
  }
}

}  // namespace
