// Interop: rpdns replicating zones with other servers on loopback, by
// their transfers and NOTIFYs (RFC 5936, RFC 1996), with and without TSIG
// (RFC 8945). Knot DNS and BIND (named) as primaries of rpdns and as its
// secondaries, chains of rpdns, and EDNS EXPIRE down a chain (RFC 7314).
// A copy is checked by asking both ends the differential cases
// (tests/differential/cases.txt) that fall within the zone.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/cases.hpp"
#include "support/other_servers.hpp"
#include "support/server_process.hpp"
#include "zone/loader.hpp"

namespace rpdns::test {
namespace {

// ---- the zone, the keys and the configurations ----

// The differential zone, which every test here transfers.
const std::string kZone = "diff.example.";
const std::string kZoneFile = RPDNS_TEST_ZONES "/diff/diff.example.zone";

constexpr const char* kTsigSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";
constexpr const char* kWrongSecret = "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmch";

// Polls until `port` serves diff.example. with serial `want`, for `seconds` at most.
bool eventually_serial(uint16_t port, const std::string& want, int seconds) {
  return eventually([&] { return serial_of(port, kZone) == want; }, std::chrono::seconds(seconds),
                    std::chrono::milliseconds(100));
}

// The rcode of `name` A at `port`, -1 when no reply came.
int rcode_at(uint16_t port, const std::string& name) { return rcode_of(port, name, std::chrono::milliseconds(300)); }

// The zone text with its serial 2026112201 raised to 2026112202.
std::string next_serial(std::string zone_text) {
  return zone_text.replace(zone_text.find("2026112201"), 10, "2026112202");
}

// The key "transfer-key" (HMAC-SHA256) as knot.conf and rpdns.yaml declare it.
std::string knot_key(const std::string& secret = kTsigSecret) {
  return "key:\n  - id: transfer-key\n    algorithm: hmac-sha256\n    secret: " + secret + "\n";
}

std::string rpdns_key(const std::string& secret = kTsigSecret) {
  return "keys:\n  - name: transfer-key\n    algorithm: hmac-sha256\n    secret: \"" + secret + "\"\n";
}

// A Knot primary serving `zone_file` as diff.example, letting 127.0.0.0/8
// transfer it, and sending NOTIFY to 127.0.0.1:`notify_port`; with a
// `secret`, its transfers and NOTIFYs need the key.
std::string knot_primary_zones(const std::string& zone_file, uint16_t notify_port, const std::string& secret = "") {
  std::string key = secret.empty() ? "" : "\n    key: transfer-key";
  return (secret.empty() ? "" : knot_key(secret)) + "remote:\n  - id: secondary\n    address: 127.0.0.1@" +
         std::to_string(notify_port) + key + "\nacl:\n  - id: transfer\n    address: 127.0.0.0/8" + key +
         "\n    action: transfer\nzone:\n  - domain: diff.example\n    file: " + zone_file +
         "\n    notify: secondary\n    acl: transfer\n";
}

// A Knot secondary of diff.example from 127.0.0.1:`primary_port`, taking
// its NOTIFY from 127.0.0.0/8; with a `secret`, both need the key.
std::string knot_secondary_zones(uint16_t primary_port, const std::string& secret = "") {
  std::string key = secret.empty() ? "" : "\n    key: transfer-key";
  return (secret.empty() ? "" : knot_key(secret)) + "remote:\n  - id: primary\n    address: 127.0.0.1@" +
         std::to_string(primary_port) + key + "\nacl:\n  - id: from_primary\n    address: 127.0.0.0/8" + key +
         "\n    action: notify\nzone:\n  - domain: diff.example\n    master: primary\n    acl: from_primary\n";
}

// rpdns as the primary of diff.example from `zone_file`, letting
// 127.0.0.0/8 transfer it, and sending NOTIFY to `notify` if given.
void write_config(const std::string& path, const std::string& zone_file, const std::string& notify) {
  std::string text =
      "workers: 2\nzones:\n  - origin: diff.example\n    file: " + zone_file + "\n    allow-transfer: [127.0.0.0/8]\n";
  if (!notify.empty()) text += "    notify: [\"" + notify + "\"]\n";
  write_atomically(path, text);
}

// The same with TSIG: transfers need the key, and NOTIFY (to 127.0.0.1:
// `notify_port`, unless 0) is signed with it.
void write_signed_primary_config(const std::string& path, const std::string& zone_file, uint16_t notify_port) {
  std::string notify = notify_port == 0 ? ""
                                        : "    notify:\n      - {address: \"127.0.0.1:" + std::to_string(notify_port) +
                                              "\", key: transfer-key}\n";
  // Two more keys, for kdig to check the algorithms ldns cannot.
  std::string more = std::string("  - {name: k224, algorithm: hmac-sha224, secret: \"") + kTsigSecret +
                     "\"}\n  - {name: k384, algorithm: hmac-sha384, secret: \"" + kTsigSecret + "\"}\n";
  write_atomically(path, rpdns_key() + more + "workers: 2\nzones:\n  - origin: diff.example\n    file: " + zone_file +
                             "\n    allow-transfer:\n      - {address: 127.0.0.0/8, key: transfer-key}\n" + notify);
}

// rpdns as a secondary of diff.example from 127.0.0.1:`primary_port`, its copy kept in `copy`.
void write_secondary_config(const std::string& path, const std::string& copy, uint16_t primary_port) {
  write_atomically(path, "workers: 2\nzones:\n  - origin: diff.example\n    file: " + copy +
                             "\n    primaries: [\"127.0.0.1:" + std::to_string(primary_port) + "\"]\n");
}

// The same with TSIG, with the key of `secret`.
void write_signed_secondary_config(const std::string& path, const std::string& copy, uint16_t primary_port,
                                   const std::string& secret = kTsigSecret) {
  write_atomically(path, rpdns_key(secret) + "workers: 2\nzones:\n  - origin: diff.example\n    file: " + copy +
                             "\n    primaries:\n      - {address: \"127.0.0.1:" + std::to_string(primary_port) +
                             "\", key: transfer-key}\n");
}

// kdig over TCP, without cookies.
RunResult kdig_tcp(uint16_t port, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"+tcp", "+nocookie"};
  all.insert(all.end(), args.begin(), args.end());
  return kdig(port, all);
}

// The differential zone without its wildcard delegations (RFC 4592 §4.2
// leaves NS at a wildcard undefined), which named refuses to load or transfer.
std::string bind_zone_text() {
  std::istringstream in(read_file(kZoneFile));
  std::string out, line;
  bool dropping = false;
  while (std::getline(in, line)) {
    if (line.rfind("*.wdeleg", 0) == 0 || line.rfind("*.wglue", 0) == 0)
      dropping = true;
    else if (!line.empty() && line[0] != ' ')
      dropping = false;
    if (!dropping) out += line + "\n";
  }
  return out;
}

// A primary and its secondary (rpdns and Knot, either way round) answer the
// differential cases within diff.example alike, those touching the child
// zone (not transferred) and transfers aside. With `bind`, only rcode,
// flags and the answer section of plain queries are compared: named adds
// authority and additional data, answers ANY whole, follows CNAME loops,
// truncates and treats odd opcodes and types by policies of its own,
// whatever its copy holds; what is left shows the copy is the zone.
void expect_same_zone_answers(uint16_t rpdns_port, uint16_t knot_port, bool bind = false) {
  int compared = 0;
  std::set<std::string> ignored;
  if (bind) ignored = {"authority", "additional"};
  for (const auto& c : load_cases(RPDNS_DIFF_CASES)) {
    if (c.name.find("diff.example.") == std::string::npos || c.name.find("child") != std::string::npos ||
        c.differences.contains("knot") || c.klass != "IN" || c.type == "AXFR" || c.type == "IXFR" ||
        (bind && (c.type == "ANY" || c.type.rfind("MAIL", 0) == 0 || c.line.find('=') != std::string::npos ||
                  c.name.find("wdeleg") != std::string::npos || c.name.find("wglue") != std::string::npos ||
                  c.name.find("loop") != std::string::npos || c.name.find("self") != std::string::npos ||
                  c.name.find("big") != std::string::npos || c.name.find("huge") != std::string::npos))) {
      continue;
    }
    auto request = build(c, static_cast<uint16_t>(compared + 1));
    auto ours = exchange_raw(rpdns_port, request);
    auto theirs = exchange_raw(knot_port, request);
    ASSERT_TRUE(ours && theirs) << c.line;
    EXPECT_EQ(summary(*ours, ignored), summary(*theirs, ignored)) << "case: " << c.line;
    ++compared;
  }
  EXPECT_GT(compared, bind ? 60 : 100);
}

// Each test's files, in a directory of its own: the primary's zone file
// (the differential zone, `zone_text`, written there), the secondary's
// kept copy and rpdns's configuration. Kept when the test failed.
class InteropTest : public ::testing::Test {
 protected:
  void SetUp() override { write_atomically(zone_file, zone_text); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir);
  }

  std::string dir = test_dir("interop");
  std::string zone_file = dir + "/primary.zone", copy = dir + "/copy.zone", config = dir + "/rpdns.yaml";
  std::string zone_text = read_file(kZoneFile);
};

// The suites, as the tests were named before they had a fixture.
class Secondary : public InteropTest {};
class SecondaryOfKnot : public InteropTest {};
class SecondaryOfBind : public InteropTest {};

// ---- Knot DNS as a secondary of rpdns ----

// RFC 5936 / RFC 1996 interop: Knot DNS as a secondary of rpdns takes the
// zone by AXFR and serves the same answers; after a change and SIGHUP,
// rpdns's NOTIFY makes it fetch the new serial.
TEST_F(Secondary, KnotTransfersAndFollowsNotify) {
  write_config(config, zone_file, "");
  ServerProcess rpdns({"--config", config}, "diff.example.");

  Knot knot(knot_secondary_zones(rpdns.port()), "secondary", kZone);
  ASSERT_TRUE(eventually_serial(knot.port(), "2026112201", 10)) << knot.log();

  // The secondary answers as rpdns does.
  expect_same_zone_answers(rpdns.port(), knot.port());

  // A new serial, announced by NOTIFY on reload.
  write_atomically(zone_file, next_serial(zone_text) + "notified    A     192.0.2.222\n");
  write_config(config, zone_file, "127.0.0.1:" + std::to_string(knot.port()));
  kill(rpdns.pid(), SIGHUP);
  EXPECT_TRUE(eventually_serial(knot.port(), "2026112202", 10)) << knot.log();
  auto added = query(knot.port(), "notified.diff.example.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(added);
  EXPECT_NE(section_text(ldns_pkt_answer(added.get())).find("192.0.2.222"), std::string::npos);
  RunResult result = rpdns.stop();
  EXPECT_NE(result.output.find("notify diff.example. serial 2026112202"), std::string::npos) << result.output;
}

// RFC 1995: after the first AXFR, Knot follows each change of rpdns by
// IXFR, a record added and then removed, and serves what rpdns serves.
TEST_F(Secondary, KnotFollowsChangesByIxfr) {
  write_config(config, zone_file, "");
  ServerProcess rpdns({"--config", config}, "diff.example.");
  Knot knot(knot_secondary_zones(rpdns.port()), "ixfr-secondary", kZone);
  ASSERT_TRUE(eventually_serial(knot.port(), "2026112201", 10)) << knot.log();
  write_config(config, zone_file, "127.0.0.1:" + std::to_string(knot.port()));

  write_atomically(zone_file, next_serial(zone_text) + "added       A     192.0.2.224\n");
  kill(rpdns.pid(), SIGHUP);
  ASSERT_TRUE(eventually_serial(knot.port(), "2026112202", 10)) << knot.log();
  std::string third = zone_text;
  third.replace(third.find("2026112201"), 10, "2026112203");
  write_atomically(zone_file, third);
  kill(rpdns.pid(), SIGHUP);
  ASSERT_TRUE(eventually_serial(knot.port(), "2026112203", 10)) << knot.log();

  EXPECT_EQ(rcode_at(knot.port(), "added.diff.example."), LDNS_RCODE_NXDOMAIN) << knot.log();
  expect_same_zone_answers(rpdns.port(), knot.port());
  std::string log = knot.log();
  // Knot logs "IXFR, incoming, ..., finished" for a transfer taken as
  // changes, and "receiving AXFR-style IXFR" when it got the whole zone.
  std::regex finished("IXFR, incoming[^\n]*finished");
  auto incremental = std::distance(std::sregex_iterator(log.begin(), log.end(), finished), std::sregex_iterator());
  EXPECT_EQ(incremental, 2) << log;
  EXPECT_EQ(log.find("AXFR-style"), std::string::npos) << log;
}

// ---- rpdns as a secondary of Knot DNS (issue 16) ----

// RFC 5936 / RFC 1996 interop, the other way round: rpdns follows Knot. The
// first AXFR, the same answers as the primary, the copy kept in `file`, a
// change on Knot followed by its NOTIFY within seconds, and after a restart
// with the primary gone the kept copy served.
TEST_F(SecondaryOfKnot, TransfersFollowsNotifyAndKeepsItsCopy) {
  uint16_t listen = free_udp_port();  // where Knot sends NOTIFY: an extra --listen of rpdns
  Knot knot(knot_primary_zones(zone_file, listen), "primary-of-rpdns", kZone);
  ASSERT_TRUE(knot.running());
  write_secondary_config(config, copy, knot.port());
  std::vector<std::string> args = {"--config", config, "--listen", "127.0.0.1:" + std::to_string(listen)};
  {
    ServerProcess rpdns(args, "diff.example.");
    ASSERT_TRUE(eventually_serial(rpdns.port(), "2026112201", 10)) << rpdns.log();
    expect_same_zone_answers(rpdns.port(), knot.port());
    // The kept copy is a master file of the whole zone.
    auto kept = rpdns::zone::load_zone("diff.example", copy);
    ASSERT_TRUE(kept.zone) << (kept.errors.empty() ? "" : kept.errors[0].to_string());
    EXPECT_EQ(kept.zone->serial, 2026112201u);

    write_atomically(zone_file, next_serial(zone_text) + "followed    A     192.0.2.223\n");
    kill(knot.pid(), SIGHUP);  // Knot reloads the changed file and sends NOTIFY
    EXPECT_TRUE(eventually_serial(rpdns.port(), "2026112202", 10)) << rpdns.log() << knot.log();
    auto added = query(rpdns.port(), "followed.diff.example.", LDNS_RR_TYPE_A);
    ASSERT_TRUE(added);
    EXPECT_NE(section_text(ldns_pkt_answer(added.get())).find("192.0.2.223"), std::string::npos);
    EXPECT_NE(rpdns.log().find("NOTIFY from a primary"), std::string::npos) << rpdns.log();
  }
  knot.stop();
  ServerProcess restarted(args, "diff.example.");
  EXPECT_EQ(serial_of(restarted.port(), kZone), "2026112202") << restarted.log();
  EXPECT_EQ(rcode_at(restarted.port(), "followed.diff.example."), 0);
}

// Issue 24: names and records a master file must escape or cannot print
// in its usual form (an owner "$x", "@", '"' or ';', TXT with quotes and
// bytes outside ASCII, IPSECKEY, HIP, an unknown type) are transferred
// from Knot, kept, and after a restart with Knot gone served exactly as
// before; with ldns writing the copy, "$x" made the whole copy fail to load.
TEST_F(SecondaryOfKnot, KeepsEveryRecordAcrossARestart) {
  write_atomically(zone_file,
                   "$ORIGIN diff.example.\n$TTL 60\n@ SOA ns1 hostmaster 5 3600 600 86400 60\n  NS ns1\n"
                   "ns1 A 192.0.2.53\n\\$x A 192.0.2.1\n\\@ A 192.0.2.2\nsemi\\;colon A 192.0.2.3\n"
                   "a\\\"b TXT \"quote \\\" inside\" \"\\\\\" \"\\000\\255\"\n"
                   "k IPSECKEY 10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==\n"
                   "k2 IPSECKEY 10 3 2 gw.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==\n"
                   // HIP, which Knot reads only in the generic form: a 4-byte HIT, a 3-byte key, one server.
                   "h TYPE55 \\# 28 040200030102030405060703727673076578616d706c6503636f6d00\n"
                   "u TYPE65280 \\# 3 010203\nlong 2147483647 A 192.0.2.9\n");
  Knot knot(knot_primary_zones(zone_file, free_udp_port()), "primary-escapes", kZone);
  ASSERT_TRUE(knot.running());
  write_secondary_config(config, copy, knot.port());
  struct Probe {
    const char* name;
    ldns_rr_type type;
  };
  const Probe probes[] = {
      {"\\$x.diff.example.", LDNS_RR_TYPE_A},         {"\\@.diff.example.", LDNS_RR_TYPE_A},
      {"semi\\;colon.diff.example.", LDNS_RR_TYPE_A}, {"a\\\"b.diff.example.", LDNS_RR_TYPE_TXT},
      {"k.diff.example.", LDNS_RR_TYPE_IPSECKEY},     {"k2.diff.example.", LDNS_RR_TYPE_IPSECKEY},
      {"h.diff.example.", LDNS_RR_TYPE_HIP},          {"u.diff.example.", static_cast<ldns_rr_type>(65280)},
      {"long.diff.example.", LDNS_RR_TYPE_A}};
  auto answers = [&probes](uint16_t port) {
    std::vector<std::string> out;
    for (const auto& p : probes) {
      auto reply = query(port, p.name, p.type);
      out.push_back(reply ? std::to_string(ldns_pkt_get_rcode(reply.get())) + " " +
                                section_text(ldns_pkt_answer(reply.get()))
                          : "no reply");
    }
    return out;
  };
  std::vector<std::string> served;
  {
    ServerProcess rpdns({"--config", config}, "diff.example.");
    ASSERT_TRUE(eventually_serial(rpdns.port(), "5", 10)) << rpdns.log();
    served = answers(rpdns.port());
    EXPECT_EQ(served, answers(knot.port()));
  }
  knot.stop();
  ServerProcess restarted({"--config", config}, "diff.example.");
  EXPECT_EQ(serial_of(restarted.port(), kZone), "5") << restarted.log();
  EXPECT_EQ(answers(restarted.port()), served) << restarted.log();
  for (const auto& a : served) EXPECT_EQ(a.rfind("0 ", 0), 0u) << a;
}

// RFC 1034 §4.3.5: with the primary gone, the copy is served until its SOA
// expire (3 s here) has passed without a refresh, then SERVFAIL; a restart
// finds the kept copy expired too (its file's age counts).
// RFC 1995 the other way: Knot keeping a journal of its zone file's
// differences (zonefile-load: difference) sends rpdns the change alone,
// which rpdns applies to its copy; a record removed and one added.
TEST_F(SecondaryOfKnot, TakesTheChangesFromKnotsJournal) {
  uint16_t listen = free_udp_port();
  std::string zones = knot_primary_zones(zone_file, listen);
  zones += "    zonefile-load: difference\n    journal-content: changes\n";
  Knot knot(zones, "ixfr-primary", kZone);
  ASSERT_TRUE(knot.running());
  write_secondary_config(config, copy, knot.port());
  ServerProcess rpdns({"--config", config, "--listen", "127.0.0.1:" + std::to_string(listen)}, "diff.example.");
  ASSERT_TRUE(eventually_serial(rpdns.port(), "2026112201", 10)) << rpdns.log();
  ASSERT_EQ(rcode_at(rpdns.port(), "www.diff.example."), LDNS_RCODE_NOERROR);

  std::string changed = next_serial(zone_text) + "fromknot    A     192.0.2.226\n";
  changed.replace(changed.find("\nwww "), 5, "\nwwx ");  // www goes, wwx comes
  write_atomically(zone_file, changed);
  kill(knot.pid(), SIGHUP);
  ASSERT_TRUE(eventually_serial(rpdns.port(), "2026112202", 10)) << rpdns.log() << knot.log();
  EXPECT_NE(rpdns.log().find("IXFR of serial 2026112202"), std::string::npos) << rpdns.log() << knot.log();
  EXPECT_EQ(rcode_at(rpdns.port(), "www.diff.example."), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(rcode_at(rpdns.port(), "fromknot.diff.example."), LDNS_RCODE_NOERROR);
  expect_same_zone_answers(rpdns.port(), knot.port());
}

TEST_F(SecondaryOfKnot, ExpiresWithoutItsPrimary) {
  write_atomically(zone_file,
                   "$ORIGIN diff.example.\n$TTL 60\n@ SOA ns1 hostmaster 7 1 1 3 60\n  NS ns1\nns1 A 192.0.2.53\n"
                   "www A 192.0.2.80\n");
  Knot knot(knot_primary_zones(zone_file, free_udp_port()), "primary-expire", kZone);
  ASSERT_TRUE(knot.running());
  write_secondary_config(config, copy, knot.port());
  ServerProcess rpdns({"--config", config}, "diff.example.");
  ASSERT_TRUE(eventually_serial(rpdns.port(), "7", 10)) << rpdns.log();
  knot.stop();
  EXPECT_EQ(rcode_at(rpdns.port(), "www.diff.example."), 0);  // still within expire
  bool servfail = false;
  for (int i = 0; i < 80 && !servfail; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    servfail = rcode_at(rpdns.port(), "www.diff.example.") == LDNS_RCODE_SERVFAIL;
  }
  EXPECT_TRUE(servfail) << rpdns.log();
  EXPECT_NE(rpdns.log().find("expired"), std::string::npos) << rpdns.log();
  rpdns.stop();
  ServerProcess restarted({"--config", config}, "diff.example.");
  EXPECT_EQ(rcode_at(restarted.port(), "www.diff.example."), LDNS_RCODE_SERVFAIL) << restarted.log();
}

// ---- TSIG (RFC 8945) on transfers and NOTIFY, with Knot both ways (issue 16) ----

// Knot as a primary that asks for TSIG: rpdns transfers with the key,
// answers as Knot does, and follows a change announced by a signed NOTIFY.
TEST_F(SecondaryOfKnot, SignedTransfersAndNotify) {
  uint16_t listen = free_udp_port();
  Knot knot(knot_primary_zones(zone_file, listen, kTsigSecret), "signed-primary", kZone);
  ASSERT_TRUE(knot.running());
  // The primary's ACL is real: an unsigned AXFR is refused.
  RunResult unsigned_axfr = kdig_tcp(knot.port(), {"AXFR", "diff.example."});
  EXPECT_EQ(unsigned_axfr.output.find("2026112201"), std::string::npos) << unsigned_axfr.output;

  write_signed_secondary_config(config, copy, knot.port());
  ServerProcess rpdns({"--config", config, "--listen", "127.0.0.1:" + std::to_string(listen)}, "diff.example.");
  ASSERT_TRUE(eventually_serial(rpdns.port(), "2026112201", 10)) << rpdns.log() << knot.log();
  expect_same_zone_answers(rpdns.port(), knot.port());

  write_atomically(zone_file, next_serial(zone_text));
  kill(knot.pid(), SIGHUP);
  EXPECT_TRUE(eventually_serial(rpdns.port(), "2026112202", 10)) << rpdns.log() << knot.log();
  EXPECT_NE(rpdns.log().find("NOTIFY from a primary"), std::string::npos) << rpdns.log();
}

// With the wrong secret rpdns gets nothing from Knot (BADSIG), keeps
// answering SERVFAIL for the zone it has no copy of, and says why; Knot's
// signed NOTIFY does not verify at rpdns either.
TEST_F(SecondaryOfKnot, WrongKeyIsRefused) {
  uint16_t listen = free_udp_port();
  Knot knot(knot_primary_zones(zone_file, listen, kTsigSecret), "badkey-primary", kZone);
  ASSERT_TRUE(knot.running());
  write_signed_secondary_config(config, copy, knot.port(), kWrongSecret);
  ServerProcess rpdns({"--config", config, "--listen", "127.0.0.1:" + std::to_string(listen)}, "diff.example.");
  bool refused = false;
  for (int i = 0; i < 50 && !refused; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    refused = rpdns.log().find("BADSIG") != std::string::npos;
  }
  EXPECT_TRUE(refused) << rpdns.log();
  EXPECT_EQ(rcode_at(rpdns.port(), "www.diff.example."), LDNS_RCODE_SERVFAIL);
  EXPECT_FALSE(std::filesystem::exists(copy));
  kill(knot.pid(), SIGHUP);  // a NOTIFY, signed with the right key: BADSIG at rpdns
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(rpdns.log().find("NOTIFY from a primary"), std::string::npos) << rpdns.log();
}

// rpdns as a primary that asks for TSIG: Knot transfers with the key and
// follows rpdns's signed NOTIFY; a Knot with the wrong secret gets nothing;
// kdig's unsigned AXFR is refused, its signed AXFR and SOA verify.
TEST_F(Secondary, KnotTransfersWithTsig) {
  write_signed_primary_config(config, zone_file, 0);
  ServerProcess rpdns({"--config", config}, "diff.example.");

  RunResult refused = kdig_tcp(rpdns.port(), {"AXFR", "diff.example."});
  EXPECT_NE(refused.output.find("REFUSED"), std::string::npos) << refused.output;
  std::string y = std::string("hmac-sha256:transfer-key:") + kTsigSecret;
  RunResult axfr = kdig_tcp(rpdns.port(), {"-y", y, "AXFR", "diff.example."});
  EXPECT_EQ(axfr.exit_code, 0) << axfr.output;
  EXPECT_NE(axfr.output.find("2026112201"), std::string::npos) << axfr.output;
  RunResult soa = kdig_tcp(rpdns.port(), {"-y", y, "SOA", "diff.example."});
  EXPECT_EQ(soa.exit_code, 0) << soa.output;
  EXPECT_NE(soa.output.find("NOERROR"), std::string::npos) << soa.output;
  EXPECT_NE(soa.output.find("TSIG PSEUDOSECTION"), std::string::npos) << soa.output;
  for (std::string alg : {"hmac-sha224:k224:", "hmac-sha384:k384:"}) {
    RunResult other = kdig_tcp(rpdns.port(), {"-y", alg + kTsigSecret, "SOA", "diff.example."});
    EXPECT_EQ(other.exit_code, 0) << other.output;
    EXPECT_NE(other.output.find("status: NOERROR"), std::string::npos) << other.output;
    EXPECT_EQ(other.output.find("WARNING"), std::string::npos) << other.output;  // kdig verified our MAC
  }
  RunResult wrong =
      kdig_tcp(rpdns.port(), {"-y", std::string("hmac-sha256:transfer-key:") + kWrongSecret, "SOA", "diff.example."});
  EXPECT_NE(wrong.output.find("status: BADSIG"), std::string::npos) << wrong.output;  // kdig shows NOTAUTH so

  Knot knot(knot_secondary_zones(rpdns.port(), kTsigSecret), "signed-secondary", kZone);
  ASSERT_TRUE(eventually_serial(knot.port(), "2026112201", 10)) << knot.log();
  Knot stranger(knot_secondary_zones(rpdns.port(), kWrongSecret), "badkey-secondary", kZone);
  write_atomically(zone_file, next_serial(zone_text));
  write_signed_primary_config(config, zone_file, knot.port());
  kill(rpdns.pid(), SIGHUP);
  EXPECT_TRUE(eventually_serial(knot.port(), "2026112202", 10)) << knot.log();
  EXPECT_EQ(serial_of(stranger.port(), kZone), "") << stranger.log();  // never got the zone
}

// ---- BIND (named) as the primary and as a secondary, with TSIG ----

// RFC 5936 / RFC 8945 interop with BIND as the hidden primary: rpdns takes
// the zone with TSIG, answers as named does, and follows its signed NOTIFY.
TEST_F(SecondaryOfBind, SignedTransfersAndNotify) {
  zone_text = bind_zone_text();
  write_atomically(zone_file, zone_text);
  uint16_t listen = free_udp_port();
  // ixfr-from-differences: named keeps the differences of its file's
  // reloads and answers IXFR with them (RFC 1995).
  Reference named(bind_kind("zone \"diff.example\" {\n  type primary;\n  file \"" + zone_file +
                                "\";\n  ixfr-from-differences yes;\n"
                                "  allow-transfer { key transfer-key; };\n  also-notify { 127.0.0.1 port " +
                                std::to_string(listen) + " key transfer-key; };\n};\n",
                            kTsigSecret, kZone),
                  "primary");
  ASSERT_TRUE(named.running());
  write_signed_secondary_config(config, copy, named.port());
  ServerProcess rpdns({"--config", config, "--listen", "127.0.0.1:" + std::to_string(listen)}, "diff.example.");
  ASSERT_TRUE(eventually_serial(rpdns.port(), "2026112201", 10)) << rpdns.log() << named.log();
  expect_same_zone_answers(rpdns.port(), named.port(), true);

  write_atomically(zone_file, next_serial(zone_text) + "bindadded   A     192.0.2.228\n");
  kill(named.pid(), SIGHUP);
  EXPECT_TRUE(eventually_serial(rpdns.port(), "2026112202", 15)) << rpdns.log() << named.log();
  EXPECT_NE(rpdns.log().find("NOTIFY from a primary"), std::string::npos) << rpdns.log();
  EXPECT_NE(rpdns.log().find("IXFR of serial 2026112202"), std::string::npos) << rpdns.log() << named.log();
  EXPECT_EQ(rcode_at(rpdns.port(), "bindadded.diff.example."), LDNS_RCODE_NOERROR);
}

// BIND as a secondary of rpdns, with TSIG both on the transfer and on
// rpdns's NOTIFY.
TEST_F(Secondary, BindTransfersWithTsig) {
  zone_text = bind_zone_text();
  write_atomically(zone_file, zone_text);
  write_signed_primary_config(config, zone_file, 0);
  ServerProcess rpdns({"--config", config}, "diff.example.");
  Reference named(bind_kind("zone \"diff.example\" {\n  type secondary;\n  primaries { 127.0.0.1 port " +
                                std::to_string(rpdns.port()) + " key transfer-key; };\n  file \"" + dir +
                                "/bind-copy.zone\";\n};\n",
                            kTsigSecret, kZone),
                  "secondary");
  ASSERT_TRUE(eventually_serial(named.port(), "2026112201", 10)) << named.log();
  expect_same_zone_answers(rpdns.port(), named.port(), true);
  write_atomically(zone_file, next_serial(zone_text) + "frombind    A     192.0.2.227\n");
  write_signed_primary_config(config, zone_file, named.port());
  kill(rpdns.pid(), SIGHUP);
  EXPECT_TRUE(eventually_serial(named.port(), "2026112202", 10)) << named.log();
  // RFC 1995: named takes the change alone (our SOA, the old and new SOAs,
  // the record, the SOA again: 5 records), not the zone's 179 again.
  std::string log = named.log();
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(log, m, std::regex(R"(Transfer completed: \d+ messages, (\d+) records.*serial 2026112202)")))
      << log;
  EXPECT_EQ(m[1], "5") << log;
}

// ---- chains of secondaries ----

// A chain, rpdns -> rpdns -> Knot, TSIG on every hop: a change on the
// first reaches the last by NOTIFY and transfer alone.
TEST_F(Secondary, ChainOfRpdnsToKnot) {
  std::string first = dir + "/first.yaml", middle = dir + "/middle.yaml";
  uint16_t middle_port = free_udp_port();
  Knot knot(knot_secondary_zones(middle_port, kTsigSecret), "chain-end", kZone);
  write_signed_primary_config(first, zone_file, middle_port);
  ServerProcess head({"--config", first}, "diff.example.");
  write_atomically(
      middle, rpdns_key() + "workers: 1\nzones:\n  - origin: diff.example\n    file: " + dir +
                  "/middle-copy.zone\n    primaries:\n      - {address: \"127.0.0.1:" + std::to_string(head.port()) +
                  "\", key: transfer-key}\n    allow-transfer:\n      - {address: 127.0.0.0/8, key: "
                  "transfer-key}\n    notify:\n      - {address: \"127.0.0.1:" +
                  std::to_string(knot.port()) + "\", key: transfer-key}\n");
  ServerProcess link({"--config", middle, "--listen", "127.0.0.1:" + std::to_string(middle_port)}, "diff.example.");
  ASSERT_TRUE(eventually_serial(link.port(), "2026112201", 10)) << link.log();
  ASSERT_TRUE(eventually_serial(knot.port(), "2026112201", 10)) << knot.log() << link.log();

  write_atomically(zone_file, next_serial(zone_text) + "chained     A     192.0.2.225\n");
  kill(head.pid(), SIGHUP);
  EXPECT_TRUE(eventually_serial(knot.port(), "2026112202", 10)) << knot.log() << link.log() << head.log();
  // Incremental at every hop (RFC 1995), signed as the AXFRs were: the
  // middle applied the head's changes and served them on from its journal.
  EXPECT_NE(link.log().find("IXFR of serial 2026112202"), std::string::npos) << link.log();
  std::regex finished("IXFR, incoming[^\n]*finished");
  std::string log = knot.log();
  EXPECT_EQ(std::distance(std::sregex_iterator(log.begin(), log.end(), finished), std::sregex_iterator()), 1) << log;
  auto added = query(knot.port(), "chained.diff.example.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(added);
  EXPECT_NE(section_text(ldns_pkt_answer(added.get())).find("192.0.2.225"), std::string::npos);
}

// The whole fleet by IXFR (RFC 1995): Knot keeping a journal of its zone
// file's differences -> rpdns -> rpdns -> Knot. One record changed on the
// first reaches the last as changes alone at every hop: each rpdns applies
// its primary's changes and serves them on from its own journal.
TEST_F(Secondary, ChainFromKnotThroughTwoRpdnsToKnotStaysIncremental) {
  uint16_t first_port = free_udp_port(), second_port = free_udp_port();
  std::string head_zones = knot_primary_zones(zone_file, first_port);
  head_zones += "    zonefile-load: difference\n    journal-content: changes\n";
  Knot head(head_zones, "chain-head", kZone);
  ASSERT_TRUE(head.running());
  Knot tail(knot_secondary_zones(second_port), "chain-tail", kZone);
  auto link_config = [&](const std::string& name, uint16_t primary, uint16_t notify) {
    std::string path = dir + "/" + name + ".yaml";
    write_atomically(path, "workers: 1\nzones:\n  - origin: diff.example\n    file: " + dir + "/" + name +
                               "-copy.zone\n    primaries: [\"127.0.0.1:" + std::to_string(primary) +
                               "\"]\n    allow-transfer: [127.0.0.0/8]\n    notify: [\"127.0.0.1:" +
                               std::to_string(notify) + "\"]\n");
    return path;
  };
  ServerProcess first({"--config", link_config("first", head.port(), second_port), "--listen",
                       "127.0.0.1:" + std::to_string(first_port)},
                      "diff.example.");
  ServerProcess second({"--config", link_config("second", first_port, tail.port()), "--listen",
                        "127.0.0.1:" + std::to_string(second_port)},
                       "diff.example.");
  ASSERT_TRUE(eventually_serial(tail.port(), "2026112201", 10)) << tail.log() << second.log() << first.log();

  write_atomically(zone_file, next_serial(zone_text) + "fleet       A     192.0.2.227\n");
  kill(head.pid(), SIGHUP);
  ASSERT_TRUE(eventually_serial(tail.port(), "2026112202", 15)) << tail.log() << second.log() << first.log();
  EXPECT_NE(first.log().find("IXFR of serial 2026112202"), std::string::npos) << first.log();
  EXPECT_NE(second.log().find("IXFR of serial 2026112202"), std::string::npos) << second.log();
  std::regex finished("IXFR, incoming[^\n]*finished");
  std::string log = tail.log();
  EXPECT_EQ(std::distance(std::sregex_iterator(log.begin(), log.end(), finished), std::sregex_iterator()), 1) << log;
  EXPECT_EQ(log.find("AXFR-style"), std::string::npos) << log;
  expect_same_zone_answers(second.port(), tail.port());
  expect_same_zone_answers(first.port(), head.port());
}

// RFC 7314 §4: a secondary of a secondary takes the time its primary's copy
// has left (EDNS EXPIRE in the AXFR), not the SOA expire, so no copy down a
// chain outlives the first one; the kept file's time says so after a
// restart. The middle serves a kept copy 1,000 s from its expire, with its
// own primary gone; the SOA expire is 1,209,600 s.
TEST_F(Secondary, TakesItsPrimarysExpire) {
  std::string middle_copy = dir + "/middle-copy.zone", end_copy = dir + "/end-copy.zone";
  std::string middle = dir + "/middle.yaml", end = dir + "/end.yaml";
  write_atomically(middle_copy, zone_text);
  constexpr int64_t kSoaExpire = 1209600, kLeft = 1000;
  auto now = std::filesystem::file_time_type::clock::now();
  std::filesystem::last_write_time(middle_copy, now - std::chrono::seconds(kSoaExpire - kLeft));
  write_atomically(middle, "workers: 1\nzones:\n  - origin: diff.example\n    file: " + middle_copy +
                               "\n    primaries: [\"127.0.0.1:" + std::to_string(free_udp_port()) +
                               "\"]\n    allow-transfer: [127.0.0.0/8]\n");
  ServerProcess link({"--config", middle}, "diff.example.");
  ASSERT_EQ(serial_of(link.port(), kZone), "2026112201") << link.log();
  write_secondary_config(end, end_copy, link.port());
  ServerProcess last({"--config", end}, "diff.example.");
  ASSERT_TRUE(eventually_serial(last.port(), "2026112201", 10)) << last.log() << link.log();

  auto expire_of = [](uint16_t port) {
    RunResult r = kdig_tcp(port, {"+expire", "diff.example.", "SOA"});
    auto at = r.output.find("EXPIRE: ");
    return at == std::string::npos ? int64_t{-1} : std::stoll(r.output.substr(at + 8));
  };
  int64_t left = expire_of(last.port());
  EXPECT_GT(left, kLeft - 30) << last.log();
  EXPECT_LE(left, kLeft) << last.log();
  EXPECT_LE(expire_of(link.port()), kLeft);
  // The end's copy is dated so that its time plus the SOA expire is when it
  // expires. It is written, then dated, just after the copy is published:
  // wait for both.
  auto age_of = [&] {
    std::error_code ec;
    auto written = std::filesystem::last_write_time(end_copy, ec);
    if (ec) return int64_t{-1};
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::filesystem::file_time_type::clock::now() - written)
            .count());
  };
  int64_t age = age_of();
  for (int i = 0; i < 50 && age < kSoaExpire - kLeft - 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    age = age_of();
  }
  EXPECT_GT(age, kSoaExpire - kLeft - 30);
  EXPECT_LE(age, kSoaExpire - kLeft + 30);
}

}  // namespace
}  // namespace rpdns::test
