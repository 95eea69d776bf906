// rpdns as the secondary of a primary that misbehaves (issue 24): the fake
// primary of tests/support runs in this process, rpdns is the real binary.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "support/fake_primary.hpp"
#include "support/server_process.hpp"

namespace rpdns::test {
namespace {

using namespace std::chrono_literals;

const std::string kOrigin = "sec.example.";

// A per-zone metric of sec.example. at /metrics on 127.0.0.1:port; -1 when it is not there.
long metric(uint16_t port, const std::string& name) {
  std::string text = http_get(port, "/metrics");
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("\n" + name + "\\{zone=\"sec\\.example\\.\"\\} (\\d+)"))) return -1;
  return std::stol(m[1]);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// rpdns as the secondary of `primary` for sec.example., its copy in `dir`,
// with /metrics on a port of its own, `extra` lines for the zone and `top`
// ones for the whole config.
class Secondary {
 public:
  Secondary(const FakePrimary& primary, const std::string& dir, const std::string& extra = "",
            const std::string& top = "")
      : copy(dir + "/copy.zone"), stats_port(free_udp_port()) {
    std::string config = dir + "/rpdns.yaml";
    std::ofstream(config) << top << "workers: 1\nstats:\n  listen: 127.0.0.1:" << stats_port
                          << "\nzones:\n  - origin: sec.example\n    file: " << copy
                          << "\n    primaries: [\"127.0.0.1:" << primary.port() << "\"]\n"
                          << extra;
    server = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", config}, kOrigin);
  }

  uint16_t port() const { return server->port(); }
  std::string log() const { return server->log(); }

  // The serial served, "" when none (SERVFAIL, or no answer).
  std::string serial() const { return serial_of(port(), kOrigin); }

  int rcode(const std::string& name) const { return rcode_of(port(), name, 300ms); }

  bool serves(const std::string& serial_text, std::chrono::milliseconds within = 5s) const {
    return eventually([&] { return serial() == serial_text; }, within);
  }

  bool logged(const std::string& text, std::chrono::milliseconds within = 5s) const {
    return eventually([&] { return log().find(text) != std::string::npos; }, within);
  }

  std::string copy;
  uint16_t stats_port;
  std::unique_ptr<ServerProcess> server;
};

// RFC 1034 §4.3.5 with RFC 1982: a primary whose serial is not ours nor
// greater does not refresh the copy, which then expires on time (SOA
// expire 4 s) instead of being renewed by every SOA check.
void expect_expiry_with_primary_at(uint32_t primary_serial, const std::string& dir) {
  FakePrimary primary(kOrigin);
  primary.set_serial(10);
  primary.set_timers(1, 1, 4);
  Secondary secondary(primary, dir);
  ASSERT_TRUE(secondary.serves("10")) << secondary.log();
  primary.set_serial(primary_serial);
  std::string behind = "the primary's serial " + std::to_string(primary_serial) + " is behind ours (10)";
  EXPECT_TRUE(secondary.logged(behind)) << secondary.log();
  EXPECT_TRUE(eventually([&] { return secondary.rcode("www." + kOrigin) == LDNS_RCODE_SERVFAIL; }, 6s))
      << secondary.log();
  EXPECT_GE(metric(secondary.stats_port, "rpdns_secondary_refresh_failures_total"), 1);
  EXPECT_EQ(metric(secondary.stats_port, "rpdns_secondary_expired"), 1);
}

TEST(SecondaryHardening, SerialBehindOursIsAFailedRefresh) {
  std::string dir = test_dir("secondary");
  expect_expiry_with_primary_at(5, dir);
  std::filesystem::remove_all(dir);
}

// 10 + 2^31: neither greater nor smaller in RFC 1982 §3.2, so no refresh either.
TEST(SecondaryHardening, SerialHalfwayRoundIsAFailedRefresh) {
  std::string dir = test_dir("secondary");
  expect_expiry_with_primary_at(10u + (1u << 31), dir);
  std::filesystem::remove_all(dir);
}

// Issue 24: 10,000 NOTIFYs in 2 s made 628 SOA queries and a log line
// each. Now one check starts at once, the others fold into one pending
// check at most a second after the last began, and the log says how many.
TEST(SecondaryHardening, NotifyFloodFoldsIntoAboutOneCheckASecond) {
  std::string dir = test_dir("secondary");
  {
    FakePrimary primary(kOrigin);
    primary.set_serial(10);
    Secondary secondary(primary, dir);
    ASSERT_TRUE(secondary.serves("10")) << secondary.log();
    int before = primary.soa_queries();
    for (int round = 0; round < 30; ++round) {  // 3,000 NOTIFYs in 1.5 s
      primary.notify_flood(secondary.port(), 100);
      std::this_thread::sleep_for(50ms);
    }
    std::this_thread::sleep_for(1500ms);  // the pending check is done
    int checks = primary.soa_queries() - before;
    EXPECT_GE(checks, 1);
    EXPECT_LE(checks, 4);
    std::string log = secondary.log();
    EXPECT_LE(count_of(log, "NOTIFY"), 8u) << log;
    EXPECT_NE(log.find("NOTIFYs folded"), std::string::npos) << log;
  }
  std::filesystem::remove_all(dir);
}

// RFC 1996 §3.7, §3.11: a NOTIFY whose SOA is not newer than the copy
// served needs no SOA query (as Knot); a newer one is followed.
TEST(SecondaryHardening, NotifyAtOurSerialNeedsNoCheck) {
  std::string dir = test_dir("secondary");
  {
    FakePrimary primary(kOrigin);
    primary.set_serial(10);
    Secondary secondary(primary, dir);
    ASSERT_TRUE(secondary.serves("10")) << secondary.log();
    int before = primary.soa_queries();
    EXPECT_EQ(primary.notify(secondary.port(), 10u), LDNS_RCODE_NOERROR);
    EXPECT_EQ(primary.notify(secondary.port(), 9u), LDNS_RCODE_NOERROR);
    primary.notify_flood(secondary.port(), 50, 10u);
    std::this_thread::sleep_for(1200ms);
    EXPECT_EQ(primary.soa_queries(), before);
    EXPECT_EQ(count_of(secondary.log(), "up to date"), 1u) << secondary.log();
    primary.set_serial(11);
    EXPECT_EQ(primary.notify(secondary.port(), 11u), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(secondary.serves("11")) << secondary.log();
  }
  std::filesystem::remove_all(dir);
}

// RFC 1996 §3.7: a NOTIFY's QTYPE is SOA; another is FORMERR and no check.
TEST(SecondaryHardening, NotifyForAnotherTypeIsFormerr) {
  std::string dir = test_dir("secondary");
  {
    FakePrimary primary(kOrigin);
    primary.set_serial(10);
    Secondary secondary(primary, dir);
    ASSERT_TRUE(secondary.serves("10")) << secondary.log();
    int before = primary.soa_queries();
    EXPECT_EQ(primary.notify(secondary.port(), std::nullopt, LDNS_RR_TYPE_A), LDNS_RCODE_FORMERR);
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(primary.soa_queries(), before);
  }
  std::filesystem::remove_all(dir);
}

// The fake primary's SOA replies can be anything (for tests of malformed
// replies): one without AA is no refresh (RFC 1034 §4.3.5 wants the
// primary's authoritative SOA), so the copy expires.
TEST(SecondaryHardening, SoaReplyWithoutAaIsAFailedRefresh) {
  std::string dir = test_dir("secondary");
  {
    FakePrimary primary(kOrigin);
    primary.set_serial(10);
    primary.set_timers(1, 1, 4);
    Secondary secondary(primary, dir);
    ASSERT_TRUE(secondary.serves("10")) << secondary.log();
    primary.set_soa_reply([&primary](const std::vector<uint8_t>& request) {
      auto reply = FakePrimary::reply(request, {primary.soa_text()});
      reply[2] &= static_cast<uint8_t>(~0x04);  // AA clear
      return reply;
    });
    EXPECT_TRUE(eventually([&] { return secondary.rcode("www." + kOrigin) == LDNS_RCODE_SERVFAIL; }, 6s))
        << secondary.log();
    EXPECT_GE(metric(secondary.stats_port, "rpdns_secondary_refresh_failures_total"), 1);
  }
  std::filesystem::remove_all(dir);
}

// Issue 24: a transfer that never ends grew the process to 6 GB. Past the
// zone's max-zone-size it is aborted (the connection closed), logged and
// counted as a failed refresh, and the copy served stays.
TEST(SecondaryHardening, TransferPastMaxZoneSizeIsAbortedAndTheCopyKept) {
  std::string dir = test_dir("secondary");
  {
    FakePrimary primary(kOrigin);
    primary.set_serial(10);
    Secondary secondary(primary, dir, "    max-zone-size: 100000\n");
    ASSERT_TRUE(secondary.serves("10")) << secondary.log();
    primary.set_serial(11);
    primary.set_axfr_mode(FakePrimary::AxfrMode::endless);
    EXPECT_EQ(primary.notify(secondary.port(), 11u), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(secondary.logged("more than max-zone-size (100000 bytes)")) << secondary.log();
    EXPECT_TRUE(eventually([&] { return primary.transfers_cut() >= 1; }, 3s));
    EXPECT_EQ(secondary.serial(), "10");
    EXPECT_EQ(secondary.rcode("www." + kOrigin), LDNS_RCODE_NOERROR);
    EXPECT_GE(metric(secondary.stats_port, "rpdns_secondary_refresh_failures_total"), 1);
  }
  std::filesystem::remove_all(dir);
}

// A primary that trickles a message every 300 ms never trips the idle
// timeout; the global transfer-timeout (2 s here) ends the transfer.
TEST(SecondaryHardening, TransferPastTransferTimeoutIsAbortedAndTheCopyKept) {
  std::string dir = test_dir("secondary");
  {
    FakePrimary primary(kOrigin);
    primary.set_serial(10);
    Secondary secondary(primary, dir, "", "transfer-timeout: 2\n");
    ASSERT_TRUE(secondary.serves("10")) << secondary.log();
    primary.set_serial(11);
    primary.set_axfr_mode(FakePrimary::AxfrMode::trickle);
    EXPECT_EQ(primary.notify(secondary.port(), 11u), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(secondary.logged("took longer than transfer-timeout (2 s)", 6s)) << secondary.log();
    EXPECT_TRUE(eventually([&] { return primary.transfers_cut() >= 1; }, 3s));
    EXPECT_EQ(secondary.serial(), "10");
    EXPECT_GE(metric(secondary.stats_port, "rpdns_secondary_refresh_failures_total"), 1);
  }
  std::filesystem::remove_all(dir);
}

// A kept copy that does not load at start is an error in the log, with
// the file and line of the problem, counted in /metrics, and the zone is
// transferred from its primary at once.
TEST(SecondaryHardening, KeptCopyThatFailsToLoadIsLoggedCountedAndReplaced) {
  std::string dir = test_dir("secondary");
  {
    FakePrimary primary(kOrigin);
    primary.set_serial(10);
    std::ofstream(dir + "/copy.zone") << "$ORIGIN sec.example.\n@ 3600 IN SOA ns1 hostmaster 5 3600 600 604800 60\n"
                                         "this is no record\n";
    Secondary secondary(primary, dir);
    EXPECT_TRUE(secondary.serves("10", 3s)) << secondary.log();
    std::regex error_line(" error [^\n]*copy\\.zone:3:");
    std::string log = secondary.log();
    EXPECT_TRUE(std::regex_search(log, error_line)) << log;
    EXPECT_EQ(metric(secondary.stats_port, "rpdns_secondary_copy_load_failures_total"), 1);
  }
  std::filesystem::remove_all(dir);
}

// ---- IXFR from a primary that gets it wrong (RFC 1995) ----

// The primary at serial 10 goes to `to` (www moves to 192.0.2.81) and
// answers IXFR with `messages`: the secondary must refuse them with `why`
// in its log, keep serving serial 10 meanwhile, and take the new version
// by AXFR instead.
void expect_axfr_after_bad_ixfr(uint32_t to, const std::function<std::vector<std::string>(const FakePrimary&)>& records,
                                const std::string& why) {
  std::string dir = test_dir("secondary-ixfr");
  {
    FakePrimary primary(kOrigin);
    primary.set_serial(10);
    Secondary secondary(primary, dir);
    ASSERT_TRUE(secondary.serves("10")) << secondary.log();
    primary.set_serial(to);
    primary.set_records({kOrigin + " 3600 IN NS ns1." + kOrigin, "ns1." + kOrigin + " 3600 IN A 192.0.2.53",
                         "www." + kOrigin + " 3600 IN A 192.0.2.81"});
    std::vector<std::string> answer = records(primary);
    primary.set_ixfr_reply([answer](const std::vector<uint8_t>& request) {
      return std::vector<std::vector<uint8_t>>{FakePrimary::reply(request, answer)};
    });
    EXPECT_EQ(primary.notify(secondary.port(), to), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(secondary.logged(why)) << secondary.log();
    EXPECT_TRUE(secondary.serves(std::to_string(to))) << secondary.log();
    EXPECT_GE(primary.ixfr_queries(), 1);
    EXPECT_EQ(primary.axfr_queries(), 2);  // the first transfer and the one after the failed IXFR
    EXPECT_TRUE(secondary.logged("AXFR after IXFR of serial " + std::to_string(to))) << secondary.log();
    EXPECT_GE(metric(secondary.stats_port, "rpdns_secondary_axfr_fallbacks_total"), 1);
    EXPECT_EQ(metric(secondary.stats_port, "rpdns_secondary_incremental_transfers_total"), 0);
  }
  std::filesystem::remove_all(dir);
}

TEST(SecondaryHardening, IxfrRemovingARecordWeDoNotHaveEndsInAxfr) {
  expect_axfr_after_bad_ixfr(
      11,
      [](const FakePrimary& p) {
        return std::vector<std::string>{p.soa_with(11),
                                        p.soa_with(10),
                                        "nothere." + kOrigin + " 3600 IN A 192.0.2.9",
                                        p.soa_with(11),
                                        "www." + kOrigin + " 3600 IN A 192.0.2.81",
                                        p.soa_with(11)};
      },
      "removes nothere.sec.example. A, which is not there); trying AXFR");
}

TEST(SecondaryHardening, IxfrWhoseChangesDoNotFollowEachOtherEndsInAxfr) {
  expect_axfr_after_bad_ixfr(
      12,
      [](const FakePrimary& p) {
        return std::vector<std::string>{p.soa_with(12), p.soa_with(10), p.soa_with(11),
                                        p.soa_with(9),  p.soa_with(12), p.soa_with(12)};
      },
      "changes that do not follow each other");
}

TEST(SecondaryHardening, IxfrCutShortEndsInAxfr) {
  expect_axfr_after_bad_ixfr(
      11,
      [](const FakePrimary& p) {
        return std::vector<std::string>{p.soa_with(11), p.soa_with(10), "www." + kOrigin + " 3600 IN A 192.0.2.80"};
      },
      "IXFR from 127.0.0.1:");
}

// A primary that sends the changes right: the secondary applies them
// (RFC 1995 §4), counts an incremental transfer and asks for no AXFR.
TEST(SecondaryHardening, GoodIxfrIsAppliedWithoutAxfr) {
  std::string dir = test_dir("secondary-ixfr");
  {
    FakePrimary primary(kOrigin);
    primary.set_serial(10);
    Secondary secondary(primary, dir);
    ASSERT_TRUE(secondary.serves("10")) << secondary.log();
    primary.set_serial(11);
    std::vector<std::string> answer = {primary.soa_with(11),
                                       primary.soa_with(10),
                                       "www." + kOrigin + " 3600 IN A 192.0.2.80",
                                       primary.soa_with(11),
                                       "www." + kOrigin + " 3600 IN A 192.0.2.81",
                                       primary.soa_with(11)};
    primary.set_ixfr_reply([answer](const std::vector<uint8_t>& request) {
      return std::vector<std::vector<uint8_t>>{FakePrimary::reply(request, answer)};
    });
    EXPECT_EQ(primary.notify(secondary.port(), 11u), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(secondary.serves("11")) << secondary.log();
    EXPECT_TRUE(secondary.logged("IXFR of serial 11 (was 10)")) << secondary.log();
    auto reply = query(secondary.port(), "www." + kOrigin, LDNS_RR_TYPE_A);
    ASSERT_TRUE(reply);
    EXPECT_NE(section_text(ldns_pkt_answer(reply.get())).find("192.0.2.81"), std::string::npos);
    EXPECT_EQ(primary.axfr_queries(), 1);
    EXPECT_EQ(metric(secondary.stats_port, "rpdns_secondary_incremental_transfers_total"), 1);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rpdns::test
