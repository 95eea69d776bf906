// What a (re)load reports per zone (server/zones): warnings from the zone
// loader reach the report, for the log and --check-config, and never turn
// a load into a failure.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reload/zones.hpp"
#include "support/files.hpp"
#include "support/packet.hpp"

namespace {

using rpdns::reload::ZoneReport;
using rpdns::test::TempDir;

TEST(ZoneReports, WarningsReachTheReport) {
  TempDir dir;
  std::string file = dir.write("example.com.zone",
                               "$TTL 3600\n"
                               "@ IN SOA ns1.example.com. h.example.com. 1 7200 3600 1209600 300\n"
                               "@ IN NS ns1.example.com.\n"
                               "www.other.test. IN A 192.0.2.1\n");
  rpdns::config::Reloadable config;
  config.zones.push_back({rpdns::test::wire_name("example.com"), file, {}, {}, {}});
  std::vector<ZoneReport> reports;
  auto set = rpdns::reload::build_snapshot(config, nullptr, reports);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].outcome, ZoneReport::Outcome::loaded);
  EXPECT_TRUE(reports[0].errors.empty());
  EXPECT_EQ(reports[0].warning_count, 1u);
  ASSERT_EQ(reports[0].warnings.size(), 1u);
  EXPECT_EQ(reports[0].warnings[0], file + ":4: www.other.test. is outside the zone example.com.; ignored");
  EXPECT_EQ(set->zones.size(), 1u);
}

// Zones load on several threads; the reports still follow the
// configuration's order, a zone named twice is refused the second time
// (whichever thread loaded it first), and a broken zone fails alone.
TEST(ZoneReports, ManyZonesLoadInConfigurationOrder) {
  TempDir dir;
  rpdns::config::Reloadable config;
  constexpr int kZones = 300;
  for (int i = 0; i < kZones; ++i) {
    std::string name = "z" + std::to_string(i) + ".test";
    std::string text = "$TTL 60\n@ SOA ns h " + std::to_string(1000 + i) + " 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n";
    if (i == 7) text += "bad A not-an-address\n";
    rpdns::config::ZoneConfig zc;
    zc.origin = rpdns::test::wire_name(name);
    zc.file = dir.write(name + ".zone", text);
    config.zones.push_back(zc);
  }
  config.zones.push_back(config.zones[42]);  // z42.test again
  std::vector<ZoneReport> reports;
  auto snapshot = rpdns::reload::build_snapshot(config, nullptr, reports);
  ASSERT_EQ(reports.size(), config.zones.size());
  for (int i = 0; i < kZones; ++i) {
    EXPECT_EQ(reports[i].file, config.zones[i].file);
    if (i == 7) {
      EXPECT_EQ(reports[i].outcome, ZoneReport::Outcome::failed);
      ASSERT_FALSE(reports[i].errors.empty());
      EXPECT_EQ(reports[i].errors[0].rfind(config.zones[i].file + ":5: ", 0), 0u) << reports[i].errors[0];
    } else {
      EXPECT_EQ(reports[i].outcome, ZoneReport::Outcome::loaded) << i;
      EXPECT_EQ(reports[i].new_serial, 1000u + i);
    }
  }
  EXPECT_EQ(reports.back().outcome, ZoneReport::Outcome::failed);
  ASSERT_EQ(reports.back().errors.size(), 1u);
  EXPECT_NE(reports.back().errors[0].find("configured twice"), std::string::npos);
  EXPECT_EQ(snapshot->zones.size(), static_cast<std::size_t>(kZones - 1));
}

std::shared_ptr<rpdns::zone::Zone> bare_zone(const std::string& name, uint32_t serial) {
  auto z = std::make_shared<rpdns::zone::Zone>();
  z->origin = rpdns::test::wire(name);
  z->serial = serial;
  return z;
}

const rpdns::zone::Zone* zone_of(const rpdns::zone::ZoneSet& set, const std::string& name) {
  rpdns::dns::Name n;
  if (!n.assign(rpdns::test::wire(name))) return nullptr;
  return set.find_zone(n);
}

// A copy shares the zones of its original; changing, adding or removing a
// zone in the copy leaves the original as it was (it may be serving), and
// lookups find every zone whatever shard it fell in.
TEST(ZoneSetSharing, CopiesChangeAloneAndFindEveryZone) {
  rpdns::zone::ZoneSet original;
  for (int i = 0; i < 1000; ++i) original.add(bare_zone("z" + std::to_string(i) + ".test", 1));
  original.add(bare_zone("test", 1));
  rpdns::zone::ZoneSet copy = original;
  copy.replace(bare_zone("z7.test", 2), std::nullopt);
  copy.remove(rpdns::test::wire("z8.test"));
  copy.add(bare_zone("new.test", 1));
  EXPECT_EQ(original.size(), 1001u);
  EXPECT_EQ(copy.size(), 1001u);
  EXPECT_EQ(original.get(rpdns::test::wire("z7.test"))->serial, 1u);
  EXPECT_EQ(copy.get(rpdns::test::wire("z7.test"))->serial, 2u);
  EXPECT_NE(original.get(rpdns::test::wire("z8.test")), nullptr);
  EXPECT_EQ(copy.get(rpdns::test::wire("z8.test")), nullptr);
  EXPECT_EQ(original.get(rpdns::test::wire("new.test")), nullptr);
  // The shard copy.replace did not touch is still the original's.
  EXPECT_EQ(copy.get(rpdns::test::wire("z500.test")), original.get(rpdns::test::wire("z500.test")));
  for (int i = 0; i < 1000; i += 37) {
    std::string name = "www.z" + std::to_string(i) + ".test";
    ASSERT_NE(zone_of(original, name), nullptr) << name;
    EXPECT_EQ(zone_of(original, name)->origin, rpdns::test::wire("z" + std::to_string(i) + ".test"));
  }
  EXPECT_EQ(zone_of(copy, "www.z8.test")->origin, rpdns::test::wire("test"));  // the parent zone now
  std::size_t seen = 0;
  copy.for_each([&seen](const std::string&, const std::shared_ptr<const rpdns::zone::Zone>&) { ++seen; });
  EXPECT_EQ(seen, copy.size());
}

// RFC 1996 §3.5: after a reload, the zones whose serial grew are told to
// their secondaries. Each report finds its zone by name: here the reports
// come in another order than the zones, as a position would mislead.
TEST(ZoneReports, NotifyPairsReportAndZoneByName) {
  using rpdns::test::wire_name;
  rpdns::config::Reloadable config;
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
