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
  config.zones.push_back({"example.com", file, {}, {}, {}});
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

}  // namespace
