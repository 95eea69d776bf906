// Configuration: the YAML file (config::load_file), listen addresses
// (config::parse_listen: RFC 3986 §3.2.2-§3.2.3 host and port, RFC 5952 §6
// bracketed IPv6 with a port, RFC 4291 §2.2 IPv6 text) and the command
// line (cli::parse, cli::resolve).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/packet.hpp"
#include "app/cli.hpp"
#include "config/config.hpp"
#include "reload/zones.hpp"
#include "server/udp_socket.hpp"

namespace {

namespace fs = std::filesystem;
using rpdns::config::load_file;
using rpdns::config::parse_listen;

using rpdns::test::TempDir;
using rpdns::test::wire;
using rpdns::test::wire_name;

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

// Each error must start with "<file>:<line>:" and mention the key.
void expect_error_at(const std::vector<std::string>& errors, const std::string& file, int line,
                     const std::string& key) {
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  const std::string& e = errors[0];
  std::string prefix = file + ":" + std::to_string(line) + ":";
  EXPECT_EQ(e.compare(0, prefix.size(), prefix), 0) << e;
  EXPECT_NE(e.find(key), std::string::npos) << e;
}

// ---- load_file ----

TEST(ConfigFile, GoodFile) {
  TempDir dir;
  std::string file = dir.write("rpdns.yaml",
                               "# rpdns settings\n"
                               "listen:\n"
                               "  - 127.0.0.1:5353\n"
                               "  - \"[::1]:5353\"\n"
                               "workers: 4\n"
                               "log-level: debug\n"
                               "edns-udp-size: 1400\n"
                               "zones:\n"
                               "  - origin: Example.COM.\n"
                               "    file: zones/example.com.zone\n"
                               "  - origin: example.net\n"
                               "    file: /srv/dns/example.net.zone\n");
  std::vector<std::string> errors;
  auto config = load_file(file, errors);
  ASSERT_TRUE(config) << joined(errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(config->server.listen.size(), 2u);
  EXPECT_EQ(config->server.listen[0].host, "127.0.0.1");
  EXPECT_EQ(config->server.listen[0].port, 5353);
  EXPECT_FALSE(config->server.listen[0].ipv6);
  EXPECT_EQ(config->server.listen[1].host, "::1");
  EXPECT_TRUE(config->server.listen[1].ipv6);
  EXPECT_EQ(config->server.workers, 4u);
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->server.edns_udp_size, 1400);
  ASSERT_EQ(config->reloadable.zones.size(), 2u);
  // An origin arrives in canonical wire form: lowercased, read once here.
  EXPECT_EQ(config->reloadable.zones[0].origin, wire_name("example.com"));
  // A relative zone path is taken from the config file's directory.
  EXPECT_EQ(fs::path(config->reloadable.zones[0].file), dir.path() / "zones/example.com.zone");
  EXPECT_EQ(config->reloadable.zones[1].file, "/srv/dns/example.net.zone");
  EXPECT_EQ(config->source, file);
}

// A single address may be given without a list.
TEST(ConfigFile, AnswerSettings) {
  TempDir dir;
  std::string path = dir.write("c.yaml", "minimal-responses: false\nidentity: ns1\nversion: \"1.0\"\n");
  std::vector<std::string> errors;
  auto config = load_file(path, errors);
  ASSERT_TRUE(config) << joined(errors);
  EXPECT_FALSE(config->server.minimal_responses);
  EXPECT_EQ(config->server.identity, "ns1");
  EXPECT_EQ(config->server.version, "1.0");
}

// RFC 5001: `nsid` is sent as given; "hostname" means this machine's name.
TEST(ConfigFile, NsidTextOrHostname) {
  TempDir dir;
  std::vector<std::string> errors;
  auto text = load_file(dir.write("a.yaml", "nsid: ns1.fra\n"), errors);
  ASSERT_TRUE(text) << joined(errors);
  EXPECT_EQ(text->server.nsid, "ns1.fra");
  auto host = load_file(dir.write("b.yaml", "nsid: hostname\n"), errors);
  ASSERT_TRUE(host) << joined(errors);
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  EXPECT_EQ(host->server.nsid, name);
  auto none = load_file(dir.write("c.yaml", "workers: 1\n"), errors);
  ASSERT_TRUE(none) << joined(errors);
  EXPECT_TRUE(none->server.nsid.empty());
  std::string path = dir.write("d.yaml", "workers: 1\nnsid: " + std::string(256, 'x') + "\n");
  EXPECT_FALSE(load_file(path, errors));
  expect_error_at(errors, path, 2, "nsid");
}

// RFC 9018 §5: a 16-byte secret in hex, or a list (the first makes
// cookies, the rest are still accepted); anything else names its line.
TEST(ConfigFile, CookieSecrets) {
  TempDir dir;
  std::vector<std::string> errors;
  auto one = load_file(dir.write("a.yaml", "cookie-secret: e5e973e5a6b2a43f48e7dc849e37bfcf\n"), errors);
  ASSERT_TRUE(one) << joined(errors);
  ASSERT_EQ(one->server.cookie_secrets.size(), 1u);
  EXPECT_EQ(one->server.cookie_secrets[0][0], 0xE5);
  EXPECT_EQ(one->server.cookie_secrets[0][15], 0xCF);
  auto two = load_file(dir.write("b.yaml",
                                 "cookie-secret:\n"
                                 "  - 445536BCD2513298075A5D379663C962\n"
                                 "  - dd3bdf9344b678b185a6f5cb60fca715\n"),
                       errors);
  ASSERT_TRUE(two) << joined(errors);
  ASSERT_EQ(two->server.cookie_secrets.size(), 2u);
  EXPECT_EQ(two->server.cookie_secrets[0][0], 0x44);
  EXPECT_EQ(two->server.cookie_secrets[1][0], 0xDD);
  auto none = load_file(dir.write("c.yaml", "workers: 1\n"), errors);
  ASSERT_TRUE(none) << joined(errors);
  EXPECT_TRUE(none->server.cookie_secrets.empty());
  for (const char* bad : {"e5e973e5a6b2a43f48e7dc849e37bf", "e5e973e5a6b2a43f48e7dc849e37bfcf00",
                          "x5e973e5a6b2a43f48e7dc849e37bfcf", "\"\""}) {
    errors.clear();
    std::string path = dir.write("d.yaml", std::string("workers: 1\ncookie-secret: ") + bad + "\n");
    EXPECT_FALSE(load_file(path, errors)) << bad;
    expect_error_at(errors, path, 2, "cookie-secret");
  }
  errors.clear();
  std::string path = dir.write("e.yaml",
                               "cookie-secret:\n"
                               "  - e5e973e5a6b2a43f48e7dc849e37bfcf\n"
                               "  - nothex\n");
  EXPECT_FALSE(load_file(path, errors));
  expect_error_at(errors, path, 3, "cookie-secret");
}

// How many days ahead RRSIG expirations are warned of (default 7).
TEST(ConfigFile, SignatureWarningDays) {
  TempDir dir;
  std::vector<std::string> errors;
  auto config = load_file(dir.write("c.yaml", "signature-warning-days: 14\n"), errors);
  ASSERT_TRUE(config) << joined(errors);
  EXPECT_EQ(config->reloadable.signature_warning_days, 14u);
  EXPECT_EQ(rpdns::config::Config{}.reloadable.signature_warning_days, 7u);
  std::string bad = dir.write("bad.yaml", "workers: 1\nsignature-warning-days: -1\n");
  EXPECT_FALSE(load_file(bad, errors));
  expect_error_at(errors, bad, 2, "signature-warning-days");
}

TEST(ConfigFile, BadBooleanNamesKeyAndLine) {
  TempDir dir;
  std::string path = dir.write("c.yaml", "workers: 1\nminimal-responses: maybe\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(path, errors));
  expect_error_at(errors, path, 2, "minimal-responses");
}

TEST(ConfigFile, StatsListen) {
  TempDir dir;
  std::string path = dir.write("c.yaml", "stats:\n  listen: 127.0.0.1:9153\n");
  std::vector<std::string> errors;
  auto config = load_file(path, errors);
  ASSERT_TRUE(config) << joined(errors);
  ASSERT_TRUE(config->stats_listen);
  EXPECT_EQ(config->stats_listen->port, 9153);
}

TEST(ConfigFile, StatsBadAddressNamesKeyAndLine) {
  TempDir dir;
  std::string path = dir.write("c.yaml", "workers: 1\nstats:\n  listen: nowhere:1\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(path, errors));
  expect_error_at(errors, path, 3, "stats.listen");
}

TEST(ConfigFile, WorkerModes) {
  TempDir dir;
  std::string path = dir.write("c.yaml",
                               "batch-size: 32\nreceive-buffer: 8388608\ncpu-affinity: true\n"
                               "reuseport-steering: random\nlisten-mode: shared\n");
  std::vector<std::string> errors;
  auto config = load_file(path, errors);
  ASSERT_TRUE(config) << joined(errors);
  EXPECT_EQ(config->server.batch_size, 32u);
  EXPECT_EQ(config->server.receive_buffer, 8388608);
  EXPECT_TRUE(config->server.cpu_affinity);
  EXPECT_EQ(config->server.steering, rpdns::config::Steering::random);
  EXPECT_TRUE(config->server.shared_socket);
}

TEST(ConfigFile, UnknownSteeringNamesKeyAndChoices) {
  TempDir dir;
  std::string path = dir.write("c.yaml", "workers: 2\nreuseport-steering: roundrobin\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(path, errors));
  expect_error_at(errors, path, 2, "reuseport-steering");
  EXPECT_NE(joined(errors).find("hash, cpu, random"), std::string::npos) << joined(errors);
}

TEST(ConfigFile, ListenScalar) {
  TempDir dir;
  std::string file = dir.write("c.yaml", "listen: \"[2001:db8::1]:53\"\n");
  std::vector<std::string> errors;
  auto config = load_file(file, errors);
  ASSERT_TRUE(config) << joined(errors);
  ASSERT_EQ(config->server.listen.size(), 1u);
  EXPECT_EQ(config->server.listen[0].host, "2001:db8::1");
}

// An empty file means every default.
TEST(ConfigFile, EmptyFileIsDefaults) {
  TempDir dir;
  std::string file = dir.write("empty.yaml", "");
  std::vector<std::string> errors;
  auto config = load_file(file, errors);
  ASSERT_TRUE(config) << joined(errors);
  EXPECT_TRUE(config->server.listen.empty());
  EXPECT_TRUE(config->reloadable.zones.empty());
  EXPECT_EQ(config->server.workers, 0u);
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->server.edns_udp_size, 1232);  // RFC 6891 §6.2.5 / DNS flag day 2020
}

TEST(ConfigFile, UnknownKey) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "workers: 2\n"
                               "listen: 127.0.0.1\n"
                               "colour: blue\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  expect_error_at(errors, file, 3, "colour");
}

TEST(ConfigFile, UnknownZoneKey) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "zones:\n"
                               "  - origin: example.com\n"
                               "    file: a.zone\n"
                               "    flie: b.zone\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  expect_error_at(errors, file, 4, "flie");
}

TEST(ConfigFile, WrongType) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "# settings\n"
                               "workers: [1, 2]\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  expect_error_at(errors, file, 2, "workers");
}

TEST(ConfigFile, ZonesNotAList) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "workers: 1\n"
                               "zones: example.com\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  expect_error_at(errors, file, 2, "zones");
}

TEST(ConfigFile, ZoneWithoutFile) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "zones:\n"
                               "  - origin: example.com\n"
                               "    file: a.zone\n"
                               "  - origin: example.net\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  expect_error_at(errors, file, 4, "zones");
}

TEST(ConfigFile, BadAddress) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "listen:\n"
                               "  - 127.0.0.1:53\n"
                               "  - 300.1.2.3:53\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  expect_error_at(errors, file, 3, "listen");
  EXPECT_NE(errors[0].find("300.1.2.3:53"), std::string::npos);
}

TEST(ConfigFile, BadWorkers) {
  for (const char* value : {"0", "1025", "many", "4x", "-1"}) {
    TempDir dir;
    std::string file = dir.write("c.yaml", std::string("log-level: info\nworkers: ") + value + "\n");
    std::vector<std::string> errors;
    EXPECT_FALSE(load_file(file, errors)) << value;
    expect_error_at(errors, file, 2, "workers");
  }
}

TEST(ConfigFile, BadLogLevel) {
  TempDir dir;
  std::string file = dir.write("c.yaml", "log-level: loud\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  expect_error_at(errors, file, 1, "log-level");
}

// RFC 6891 §6.2.5: sizes below 512 make no sense.
TEST(ConfigFile, BadEdnsSize) {
  TempDir dir;
  std::string file = dir.write("c.yaml", "edns-udp-size: 100\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  expect_error_at(errors, file, 1, "edns-udp-size");
}

// Every problem is reported, each at its own line.
TEST(ConfigFile, SeveralErrors) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "workers: 0\n"
                               "listen: nowhere\n"
                               "extra: 1\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  ASSERT_EQ(errors.size(), 3u) << joined(errors);
  EXPECT_EQ(errors[0].rfind(file + ":1:", 0), 0u);
  EXPECT_EQ(errors[1].rfind(file + ":2:", 0), 0u);
  EXPECT_EQ(errors[2].rfind(file + ":3:", 0), 0u);
}

TEST(ConfigFile, YamlSyntaxError) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "workers: 2\n"
                               "listen: [127.0.0.1\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].rfind(file + ":", 0), 0u) << errors[0];
}

TEST(ConfigFile, TopLevelNotAMapping) {
  TempDir dir;
  std::string file = dir.write("c.yaml", "- workers\n- listen\n");
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind(file + ":1:", 0), 0u) << errors[0];
}

TEST(ConfigFile, MissingFile) {
  TempDir dir;
  std::string file = (dir.path() / "absent.yaml").string();
  std::vector<std::string> errors;
  EXPECT_FALSE(load_file(file, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find(file), std::string::npos);
}

// ---- parse_listen ----

// A socket bound to the wildcard address must learn each query's
// destination (IP_PKTINFO) to answer from it; every spelling counts.
TEST(ParseListen, WildcardInAnySpellingNeedsPktinfo) {
  for (const char* text : {"0.0.0.0:53", "[::]:53", "[::0]:53", "[0:0::0]:53", "[0:0:0:0:0:0:0:0]:53"}) {
    auto a = parse_listen(text);
    ASSERT_TRUE(a) << text;
    EXPECT_TRUE(rpdns::server::needs_pktinfo(*a)) << text;
  }
  for (const char* text : {"127.0.0.1:53", "[::1]:53", "192.0.2.1:53", "[2001:db8::]:53"}) {
    auto a = parse_listen(text);
    ASSERT_TRUE(a) << text;
    EXPECT_FALSE(rpdns::server::needs_pktinfo(*a)) << text;
  }
}

// RFC 3986 §3.2.2-§3.2.3: IPv4 host, ":" then the port.
TEST(ParseListen, Ipv4WithPort) {
  auto a = parse_listen("1.2.3.4:53");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "1.2.3.4");
  EXPECT_EQ(a->port, 53);
  EXPECT_FALSE(a->ipv6);
  EXPECT_EQ(a->to_string(), "1.2.3.4:53");
  auto b = parse_listen("192.0.2.1:65535");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 65535);
}

// RFC 5952 §6: an IPv6 address with a port goes in brackets.
TEST(ParseListen, Ipv6InBrackets) {
  auto a = parse_listen("[::1]:5353");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 5353);
  EXPECT_TRUE(a->ipv6);
  EXPECT_EQ(a->to_string(), "[::1]:5353");
  auto b = parse_listen("[2001:db8::53]");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "2001:db8::53");
  EXPECT_EQ(b->port, 53);
}

// A bare address listens on the DNS port, 53 (RFC 1035 §4.2).
TEST(ParseListen, BareAddresses) {
  auto v4 = parse_listen("127.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->port, 53);
  EXPECT_FALSE(v4->ipv6);
  auto v6 = parse_listen("::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 53);
  EXPECT_TRUE(v6->ipv6);
  auto any6 = parse_listen("::");
  ASSERT_TRUE(any6);
  EXPECT_EQ(any6->to_string(), "[::]:53");
}

TEST(ParseListen, BadForms) {
  for (const char* text :
       {"", "localhost:53", "example.com", "1.2.3.4:65536", "1.2.3.4:99999", "1.2.3.4:abc", "1.2.3.4:-1", "1.2.3:53",
        "256.1.1.1:53", "[::1", "[::1]53", "[::1]:x", "[nope]:53", "1.2.3.4:53:53", "::1::2"}) {
    EXPECT_FALSE(parse_listen(text)) << text;
  }
}

// ---- cli::parse ----

// argv as main() sees it.
class Argv {
 public:
  Argv(std::initializer_list<std::string> args) : strings_(args) {
    strings_.insert(strings_.begin(), "rpdns");
    for (auto& s : strings_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(strings_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

TEST(CliParse, Flags) {
  Argv a{"--listen",    "127.0.0.1:5353",
         "--listen",    "[::1]:5353",
         "--zone",      "example.com=/z/example.com.zone",
         "--workers",   "3",
         "--log-level", "warn",
         "--config",    "/etc/x.yaml"};
  std::vector<std::string> errors;
  auto args = rpdns::cli::parse(a.argc(), a.argv(), errors);
  ASSERT_TRUE(args) << joined(errors);
  ASSERT_EQ(args->settings.server.listen.size(), 2u);
  EXPECT_EQ(args->settings.server.listen[0].to_string(), "127.0.0.1:5353");
  EXPECT_EQ(args->settings.server.listen[1].to_string(), "[::1]:5353");
  ASSERT_EQ(args->zones.size(), 1u);
  EXPECT_EQ(args->zones[0].origin, wire_name("example.com"));
  EXPECT_EQ(args->zones[0].file, "/z/example.com.zone");
  EXPECT_EQ(args->settings.server.workers, 3u);
  EXPECT_EQ(args->settings.log_level, "warn");
  EXPECT_EQ(args->config_file, "/etc/x.yaml");
  EXPECT_FALSE(args->check_only);
}

TEST(CliParse, HelpVersionCheck) {
  Argv a{"--help", "-V", "--check-config", "/tmp/c.yaml"};
  std::vector<std::string> errors;
  auto args = rpdns::cli::parse(a.argc(), a.argv(), errors);
  ASSERT_TRUE(args) << joined(errors);
  EXPECT_TRUE(args->show_help);
  EXPECT_TRUE(args->show_version);
  EXPECT_TRUE(args->check_only);
  EXPECT_EQ(args->config_file, "/tmp/c.yaml");
}

TEST(CliParse, UnknownFlag) {
  Argv a{"--zone", "example.com=z", "--bogus"};
  std::vector<std::string> errors;
  EXPECT_FALSE(rpdns::cli::parse(a.argc(), a.argv(), errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("--bogus"), std::string::npos);
}

TEST(CliParse, MissingValue) {
  Argv a{"--listen"};
  std::vector<std::string> errors;
  EXPECT_FALSE(rpdns::cli::parse(a.argc(), a.argv(), errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("--listen"), std::string::npos);
}

TEST(CliParse, BadListen) {
  Argv a{"--listen", "localhost:53"};
  std::vector<std::string> errors;
  EXPECT_FALSE(rpdns::cli::parse(a.argc(), a.argv(), errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("--listen"), std::string::npos);
}

TEST(CliParse, BadZone) {
  for (const char* value : {"example.com", "=file.zone", "example.com=", "bad..example=/z"}) {
    Argv a{"--zone", value};
    std::vector<std::string> errors;
    EXPECT_FALSE(rpdns::cli::parse(a.argc(), a.argv(), errors)) << value;
    ASSERT_EQ(errors.size(), 1u) << value;
    EXPECT_NE(errors[0].find("--zone"), std::string::npos);
  }
}

TEST(CliParse, BadWorkers) {
  for (const char* value : {"0", "1025", "abc", "", "-2", "99999"}) {
    Argv a{"--workers", value};
    std::vector<std::string> errors;
    EXPECT_FALSE(rpdns::cli::parse(a.argc(), a.argv(), errors)) << value;
    ASSERT_EQ(errors.size(), 1u) << value;
    EXPECT_NE(errors[0].find("--workers"), std::string::npos);
  }
}

TEST(CliParse, BadLogLevel) {
  Argv a{"--log-level", "chatty"};
  std::vector<std::string> errors;
  EXPECT_FALSE(rpdns::cli::parse(a.argc(), a.argv(), errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("--log-level"), std::string::npos);
}

// ---- cli::resolve ----

// With only --zone, defaults fill in: both wildcard addresses on port 53
// and at least one worker.
TEST(CliResolve, ZoneFlagOnly) {
  rpdns::cli::Arguments args;
  args.zones.push_back({wire_name("example.com"), "/z/example.com.zone", {}, {}, {}});
  std::vector<std::string> errors;
  auto config = rpdns::cli::resolve(args, errors);
  ASSERT_TRUE(config) << joined(errors);
  ASSERT_EQ(config->reloadable.zones.size(), 1u);
  ASSERT_EQ(config->server.listen.size(), 2u);
  EXPECT_EQ(config->server.listen[0].to_string(), "0.0.0.0:53");
  EXPECT_EQ(config->server.listen[1].to_string(), "[::]:53");
  EXPECT_GE(config->server.workers, 1u);
  EXPECT_EQ(config->log_level, "info");
}

// Flags override the file's settings; --zone adds to the file's zones.
TEST(CliResolve, FlagsOverrideFile) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "listen: 127.0.0.1:5300\n"
                               "workers: 2\n"
                               "log-level: error\n"
                               "zones:\n"
                               "  - origin: example.com\n"
                               "    file: example.com.zone\n");
  Argv a{"--config",    file,   "--listen", "[::1]:5301", "--workers", "5", "--zone", "example.net=/n.zone",
         "--log-level", "trace"};
  std::vector<std::string> errors;
  auto args = rpdns::cli::parse(a.argc(), a.argv(), errors);
  ASSERT_TRUE(args) << joined(errors);
  auto config = rpdns::cli::resolve(*args, errors);
  ASSERT_TRUE(config) << joined(errors);
  ASSERT_EQ(config->server.listen.size(), 1u);
  EXPECT_EQ(config->server.listen[0].to_string(), "[::1]:5301");
  EXPECT_EQ(config->server.workers, 5u);
  EXPECT_EQ(config->log_level, "trace");
  ASSERT_EQ(config->reloadable.zones.size(), 2u);
  EXPECT_EQ(config->reloadable.zones[0].origin, wire_name("example.com"));
  EXPECT_EQ(fs::path(config->reloadable.zones[0].file), dir.path() / "example.com.zone");
  EXPECT_EQ(config->reloadable.zones[1].origin, wire_name("example.net"));
}

// A flag sets its key whatever the value, the key's "off" too: 0 turns
// off the rate limit the file sets.
TEST(CliResolve, FlagTurnsOffTheFilesRateLimit) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "rate-limit:\n  responses-per-second: 20\n"
                               "zones:\n  - origin: example.com\n    file: /z.zone\n");
  Argv a{"--config", file, "--rate-limit", "0"};
  std::vector<std::string> errors;
  auto args = rpdns::cli::parse(a.argc(), a.argv(), errors);
  ASSERT_TRUE(args) << joined(errors);
  auto config = rpdns::cli::resolve(*args, errors);
  ASSERT_TRUE(config) << joined(errors);
  EXPECT_EQ(config->server.rrl.responses_per_second, 0u);
}

// Without flags the file's own settings stand.
TEST(CliResolve, FileSettingsKept) {
  TempDir dir;
  std::string file = dir.write("c.yaml",
                               "listen: 127.0.0.1:5300\n"
                               "workers: 2\n"
                               "zones:\n"
                               "  - origin: example.com\n"
                               "    file: /z.zone\n");
  rpdns::cli::Arguments args;
  args.config_file = file;
  std::vector<std::string> errors;
  auto config = rpdns::cli::resolve(args, errors);
  ASSERT_TRUE(config) << joined(errors);
  ASSERT_EQ(config->server.listen.size(), 1u);
  EXPECT_EQ(config->server.listen[0].to_string(), "127.0.0.1:5300");
  EXPECT_EQ(config->server.workers, 2u);
}

// A configuration file may name no zone yet (the package's does: zones
// come with a reload); a command line without a file or a zone is a mistake.
TEST(CliResolve, NoZonesIsAnErrorOnlyWithoutAConfigFile) {
  TempDir dir;
  std::string file = dir.write("c.yaml", "workers: 2\n");
  rpdns::cli::Arguments args;
  args.config_file = file;
  std::vector<std::string> errors;
  auto config = rpdns::cli::resolve(args, errors);
  ASSERT_TRUE(config) << joined(errors);
  EXPECT_TRUE(config->reloadable.zones.empty());
  if (std::filesystem::exists("/etc/rpdns/rpdns.yaml")) GTEST_SKIP() << "/etc/rpdns/rpdns.yaml would be read";
  rpdns::cli::Arguments none;
  EXPECT_FALSE(rpdns::cli::resolve(none, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("no zones to serve"), std::string::npos);
}

// A --zone naming a zone of the config file is refused, as the file
// refuses a second zone of one name.
TEST(CliResolve, ZoneGivenTwice) {
  TempDir dir;
  std::string file = dir.write("c.yaml", "zones:\n  - origin: example.com\n    file: a.zone\n");
  Argv a{"--config", file, "--zone", "Example.com.=/b.zone"};
  std::vector<std::string> errors;
  auto args = rpdns::cli::parse(a.argc(), a.argv(), errors);
  ASSERT_TRUE(args) << joined(errors);
  EXPECT_FALSE(rpdns::cli::resolve(*args, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "zone example.com. is configured twice");
}

TEST(CliResolve, BadFilePropagates) {
  TempDir dir;
  std::string file = dir.write("c.yaml", "workers: lots\n");
  rpdns::cli::Arguments args;
  args.config_file = file;
  args.zones.push_back({wire_name("example.com"), "/z.zone", {}, {}, {}});
  std::vector<std::string> errors;
  EXPECT_FALSE(rpdns::cli::resolve(args, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind(file + ":1:", 0), 0u) << errors[0];
}

// ---- TSIG keys and keyed peers (issue 16) ----

constexpr const char* kKeyed =
    "zones:\n"
    "  - origin: example.com\n"
    "    file: /z/example.com.zone\n"
    "    primaries:\n"
    "      - {address: 192.0.2.1:53, key: transfer-key}\n"
    "    allow-transfer:\n"
    "      - 192.0.2.53\n"
    "      - {address: 198.51.100.0/24, key: Transfer-Key.}\n"
    "    notify:\n"
    "      - \"192.0.2.53:53\"\n"
    "      - {address: \"198.51.100.7:53\", key: transfer-key}\n"
    "keys:\n"  // after the zones that name it: keys are read first
    "  - name: transfer-key\n"
    "    algorithm: hmac-sha256\n"
    "    secret: \"c2VjcmV0\"\n";

TEST(ConfigFile, KeysAndKeyedPeers) {
  TempDir dir;
  std::vector<std::string> errors;
  auto config = load_file(dir.write("c.yaml", kKeyed), errors);
  ASSERT_TRUE(config) << joined(errors);
  ASSERT_EQ(config->reloadable.keys.size(), 1u);
  const auto& key = config->reloadable.keys[0];
  EXPECT_EQ(key.name, wire("transfer-key"));
  EXPECT_EQ(key.algorithm, rpdns::dns::tsig::Algorithm::hmac_sha256);
  EXPECT_EQ(key.secret, (std::vector<uint8_t>{'s', 'e', 'c', 'r', 'e', 't'}));
  const auto& zone = config->reloadable.zones.at(0);
  ASSERT_EQ(zone.primaries.size(), 1u);
  EXPECT_EQ(zone.primaries[0].key, key.name);
  ASSERT_EQ(zone.allow_transfer.size(), 2u);
  EXPECT_EQ(zone.allow_transfer[0].key, "");
  EXPECT_EQ(zone.allow_transfer[1].key, key.name);  // names compare in canonical form
  EXPECT_EQ(zone.allow_transfer[1].prefix.text, "198.51.100.0/24");
  ASSERT_EQ(zone.notify.size(), 2u);
  EXPECT_EQ(zone.notify[0].key, "");
  EXPECT_EQ(zone.notify[1].key, key.name);
  EXPECT_EQ(zone.notify[1].address.to_string(), "198.51.100.7:53");
}

// Bad keys and zone names are config errors at their line. A zone's origin
// is read into wire form once, here: zones are then found by name alone
// (the reload's NOTIFYs, the secondaries), so two spellings of one name are
// one zone configured twice.
TEST(ConfigFile, BadKeysAndZoneNamesNameTheirLine) {
  TempDir dir;
  struct Case {
    std::string text;
    int line;
    std::string says;
  } cases[] = {
      {"keys:\n  - name: k\n    algorithm: hmac-md5\n    secret: c2VjcmV0\n", 2, "unknown algorithm"},
      {"keys:\n  - name: k\n    algorithm: hmac-sha1\n    secret: \"not base64!\"\n", 2, "not base64"},
      {"keys:\n  - name: k\n    algorithm: hmac-sha1\n    secret: c2VjcmV0\n"
       "  - name: K.\n    algorithm: hmac-sha1\n    secret: c2VjcmV0\n",
       5, "defined twice"},
      {"zones:\n  - origin: example.com\n    file: /z\n    primaries:\n      - {address: 192.0.2.1, key: nokey}\n", 5,
       "no key 'nokey'"},
      {"zones:\n  - origin: example.com\n    file: /z\n    allow-transfer:\n      - {address: 192.0.2.0/24, key: k}\n",
       5, "no key 'k'"},
      {"zones:\n  - origin: a.example\n    file: a\n  - file: b\n    origin: bad..example\n", 5,
       "zones.origin: bad zone name 'bad..example'"},
      {"zones:\n  - origin: a.example\n    file: a\n  - origin: A.EXAMPLE.\n    file: b\n", 4,
       "zone a.example. is configured twice"},
  };
  for (const auto& c : cases) {
    std::string file = dir.write("bad.yaml", c.text);
    std::vector<std::string> errors;
    EXPECT_FALSE(load_file(file, errors)) << c.text;
    expect_error_at(errors, file, c.line, c.says);
  }
}

// Bounds on a secondary's transfers (issue 24): global defaults, which a
// zone may override; 1 GiB and an hour when unset.
TEST(ConfigFile, TransferLimits) {
  TempDir dir;
  std::vector<std::string> errors;
  auto config = load_file(dir.write("c.yaml",
                                    "zones:\n  - origin: a.example\n    file: /z/a\n    primaries: [192.0.2.1]\n"
                                    "    max-zone-size: 100000\n    transfer-timeout: 60\n"
                                    "  - origin: b.example\n    file: /z/b\n    primaries: [192.0.2.1]\n"
                                    "max-zone-size: 2000000\ntransfer-timeout: 120\n"),
                          errors);
  ASSERT_TRUE(config) << joined(errors);
  EXPECT_EQ(config->max_zone_size, 2000000u);
  EXPECT_EQ(config->transfer_timeout, 120u);
  EXPECT_EQ(config->reloadable.zones.at(0).max_zone_size, 100000u);
  EXPECT_EQ(config->reloadable.zones.at(0).transfer_timeout, 60u);
  EXPECT_EQ(config->reloadable.zones.at(1).max_zone_size, 0u);  // the global one
  EXPECT_EQ(config->reloadable.zones.at(1).transfer_timeout, 0u);
  auto defaults = load_file(dir.write("d.yaml", "workers: 1\n"), errors);
  ASSERT_TRUE(defaults) << joined(errors);
  EXPECT_EQ(defaults->max_zone_size, uint64_t{1} << 30);
  EXPECT_EQ(defaults->transfer_timeout, 3600u);
}

// A zone's own journal bounds and serial policy; unset, the top-level
// keys' apply (reload::journal_limits).
TEST(ConfigFile, ZonesMaySetTheirOwnJournalAndSerialPolicy) {
  TempDir dir;
  std::vector<std::string> errors;
  auto config = load_file(dir.write("c.yaml",
                                    "journal-depth: 7\nserial-policy: increment\nzones:\n"
                                    "  - origin: a.example\n    file: /z/a\n    journal-depth: 0\n"
                                    "    journal-size: 70000\n    serial-policy: file\n"
                                    "  - origin: b.example\n    file: /z/b\n"),
                          errors);
  ASSERT_TRUE(config) << joined(errors);
  EXPECT_EQ(config->reloadable.serial_policy, rpdns::config::SerialPolicy::increment);
  EXPECT_EQ(config->reloadable.zones.at(0).journal_depth, std::optional<unsigned>(0));
  EXPECT_EQ(config->reloadable.zones.at(0).journal_size, std::optional<uint64_t>(70000));
  EXPECT_EQ(config->reloadable.zones.at(0).serial_policy, rpdns::config::SerialPolicy::file);
  EXPECT_FALSE(config->reloadable.zones.at(1).journal_depth);
  EXPECT_FALSE(config->reloadable.zones.at(1).serial_policy);
  auto a =
      rpdns::reload::journal_limits(rpdns::reload::journal_limits(config->reloadable), config->reloadable.zones.at(0));
  auto b =
      rpdns::reload::journal_limits(rpdns::reload::journal_limits(config->reloadable), config->reloadable.zones.at(1));
  EXPECT_EQ(a.max_depth, 0u);
  EXPECT_EQ(a.max_bytes, 70000u);
  EXPECT_EQ(b.max_depth, 7u);
  EXPECT_EQ(b.max_bytes, std::size_t{4} << 20);
  std::string bad = dir.write("bad.yaml", "zones:\n  - origin: a.example\n    file: /z\n    serial-policy: unixtime\n");
  EXPECT_FALSE(load_file(bad, errors));
  expect_error_at(errors, bad, 4, "zones.serial-policy: expected one of");
}

TEST(ConfigFile, BadTransferLimitsNameTheirLine) {
  TempDir dir;
  struct Case {
    std::string text;
    int line;
    std::string says;
  } cases[] = {
      {"max-zone-size: 1000\n", 1, "max-zone-size: expected a whole number from 65536 to 1099511627776"},
      {"workers: 1\nmax-zone-size: 1G\n", 2, "max-zone-size"},
      {"transfer-timeout: 0\n", 1, "transfer-timeout: expected a whole number from 1 to 86400"},
      {"zones:\n  - origin: a.example\n    file: /z\n    transfer-timeout: 86401\n", 4, "zones.transfer-timeout"},
      {"zones:\n  - origin: a.example\n    file: /z\n    max-zone-size: -5\n", 4, "zones.max-zone-size"},
  };
  for (const auto& c : cases) {
    std::string file = dir.write("bad.yaml", c.text);
    std::vector<std::string> errors;
    EXPECT_FALSE(load_file(file, errors)) << c.text;
    expect_error_at(errors, file, c.line, c.says);
  }
}

TEST(CliParse, KeyAndSecondary) {
  Argv a{"--key",       "transfer-key:hmac-sha512:c2VjcmV0",
         "--secondary", "example.com=/var/lib/rpdns/example.com@192.0.2.1:53:transfer-key",
         "--secondary", "example.net=/var/lib/rpdns/example.net@[2001:db8::1]:5300"};
  std::vector<std::string> errors;
  auto args = rpdns::cli::parse(a.argc(), a.argv(), errors);
  ASSERT_TRUE(args) << joined(errors);
  auto config = rpdns::cli::resolve(*args, errors);
  ASSERT_TRUE(config) << joined(errors);
  ASSERT_EQ(config->reloadable.keys.size(), 1u);
  EXPECT_EQ(config->reloadable.keys[0].algorithm, rpdns::dns::tsig::Algorithm::hmac_sha512);
  ASSERT_EQ(config->reloadable.zones.size(), 2u);
  EXPECT_EQ(config->reloadable.zones[0].origin, wire_name("example.com"));
  EXPECT_EQ(config->reloadable.zones[0].file, "/var/lib/rpdns/example.com");
  ASSERT_EQ(config->reloadable.zones[0].primaries.size(), 1u);
  EXPECT_EQ(config->reloadable.zones[0].primaries[0].address.to_string(), "192.0.2.1:53");
  EXPECT_EQ(config->reloadable.zones[0].primaries[0].key, wire("transfer-key"));
  EXPECT_EQ(config->reloadable.zones[1].primaries[0].address.to_string(), "[2001:db8::1]:5300");
  EXPECT_EQ(config->reloadable.zones[1].primaries[0].key, "");
}

TEST(CliParse, BadKeyAndSecondary) {
  for (std::vector<std::string> bad : {std::vector<std::string>{"--key", "k:hmac-sha256"},
                                       {"--key", "k:hmac-md5:c2VjcmV0"},
                                       {"--key", "k:hmac-sha256:@@@@"},
                                       {"--secondary", "example.com=/z"},
                                       {"--secondary", "example.com@192.0.2.1:53"},
                                       {"--secondary", "example.com=/z@nowhere:53"},
                                       {"--secondary", "bad..example=/z@192.0.2.1:53"}}) {
    Argv a{bad[0].c_str(), bad[1].c_str()};
    std::vector<std::string> errors;
    EXPECT_FALSE(rpdns::cli::parse(a.argc(), a.argv(), errors)) << bad[1];
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].rfind(bad[0] + ":", 0), 0u) << errors[0];
  }
  // A --secondary naming a key no --key gave.
  Argv a{"--secondary", "example.com=/z@192.0.2.1:53:missing"};
  std::vector<std::string> errors;
  auto args = rpdns::cli::parse(a.argc(), a.argv(), errors);
  ASSERT_TRUE(args);
  EXPECT_FALSE(rpdns::cli::resolve(*args, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("no key 'missing'"), std::string::npos) << errors[0];
}

}  // namespace
