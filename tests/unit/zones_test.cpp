// What a (re)load reports per zone (server/zones): warnings from the zone
// loader reach the report, for the log and --check-config, and never turn
// a load into a failure.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reload/zones.hpp"
#include "test_support.hpp"

namespace {

using rpdns::reload::ZoneReport;
using rpdns::testing::TempDir;

TEST(ZoneReports, WarningsReachTheReport) {
  TempDir dir;
  std::string file = dir.write("example.com.zone",
                               "$TTL 3600\n"
                               "@ IN SOA ns1.example.com. h.example.com. 1 7200 3600 1209600 300\n"
                               "@ IN NS ns1.example.com.\n"
                               "www.other.test. IN A 192.0.2.1\n");
  rpdns::config::Config config;
  config.zones.push_back({rpdns::testing::wire_name("example.com"), file, {}, {}, {}});
  std::vector<ZoneReport> reports;
  auto set = rpdns::reload::build_snapshot(config, nullptr, reports);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].outcome, ZoneReport::Outcome::loaded);
  EXPECT_TRUE(reports[0].errors.empty());
  EXPECT_EQ(reports[0].warning_count, 1u);
  ASSERT_EQ(reports[0].warnings.size(), 1u);
  EXPECT_EQ(reports[0].warnings[0], file + ":4: www.other.test. is outside the zone example.com.; ignored");
  EXPECT_EQ(set->zones.zones().size(), 1u);
}

// RFC 1996 §3.5: after a reload, the zones whose serial grew are told to
// their secondaries. Each report finds its zone by name: here the reports
// come in another order than the zones, as a position would mislead.
TEST(ZoneReports, NotifyPairsReportAndZoneByName) {
  using rpdns::testing::wire_name;
  rpdns::config::Config config;
  auto secondary = *rpdns::config::parse_listen("192.0.2.53");
  config.zones.push_back({wire_name("a.example"), "/z/a", {}, {{secondary, ""}}, {}});
  config.zones.push_back({wire_name("b.example"), "/z/b", {}, {{secondary, ""}}, {}});
  config.zones.push_back({wire_name("c.example"), "/z/c", {}, {}, {}});  // no secondaries to tell
  std::vector<ZoneReport> reports(4);
  reports[0].origin = wire_name("b.example");  // grew: 4 -> 5
  reports[0].had_old = true;
  reports[0].old_serial = 4;
  reports[0].new_serial = 5;
  reports[1].origin = wire_name("a.example");  // the same serial again
  reports[1].outcome = ZoneReport::Outcome::unchanged;
  reports[1].had_old = true;
  reports[1].old_serial = reports[1].new_serial = 7;
  reports[2].origin = wire_name("c.example");  // new, but nobody to tell
  reports[2].new_serial = 1;
  reports[3].origin = wire_name("gone.example");
  reports[3].outcome = ZoneReport::Outcome::removed;
  auto due = rpdns::reload::zones_to_notify(config, reports);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].zone, &config.zones[1]);
  EXPECT_EQ(due[0].serial, 5u);
}

}  // namespace
