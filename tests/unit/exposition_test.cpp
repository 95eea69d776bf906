// Prometheus text exposition (format 0.0.4) of the per-worker counters.
#include <gtest/gtest.h>

#include "stats/exposition.hpp"

namespace {

using namespace rpdns::stats;

TEST(Exposition, PerWorkerLinesWithLabels) {
  WorkerCounters a, b;
  a.queries.add(7);
  b.queries.add(3);
  a.by_rcode[rcode_slot(3)].add(2);
  b.by_type[type_slot(28)].add(1);
  b.by_cookie[2].add(4);
  std::string text = prometheus_text({{&a, "127.0.0.1:53"}, {&b, "127.0.0.1:53"}}, {{"example.com.", 42, 5}}, {});
  EXPECT_NE(text.find("rpdns_queries_total{worker=\"0\",listen=\"127.0.0.1:53\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rpdns_queries_total{worker=\"1\",listen=\"127.0.0.1:53\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("rpdns_replies_total{worker=\"0\",rcode=\"NXDOMAIN\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("rpdns_queries_by_type_total{worker=\"1\",type=\"AAAA\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("rpdns_zone_serial{zone=\"example.com.\"} 42\n"), std::string::npos);
  EXPECT_NE(text.find("rpdns_cookies_total{worker=\"1\",result=\"valid\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE rpdns_queries_total counter\n"), std::string::npos);
}

// Signed zones get the time their first signature expires; unsigned ones
// no line at all.
TEST(Exposition, SignatureExpirationOfSignedZonesOnly) {
  std::string text = prometheus_text({}, {{"signed.example.", 1, 5, 2398377600}, {"plain.example.", 1, 5, 0}}, {});
  EXPECT_NE(text.find("rpdns_zone_signature_expiration_timestamp_seconds{zone=\"signed.example.\"} 2398377600\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("rpdns_zone_signature_expiration_timestamp_seconds{zone=\"plain.example.\"}"), std::string::npos);
}

// Every zone has one role series; a secondary with no copy yet (so not
// among the zones served) is listed too, and never also as a primary.
TEST(Exposition, EachZoneHasItsRole) {
  SecondaryFacts copy, none;
  copy.zone = "copy.example.";
  none.zone = "none.example.";
  std::string text = prometheus_text({}, {{"mine.example.", 1, 5, 0}, {"copy.example.", 2, 5, 0}}, {}, {copy, none});
  EXPECT_NE(text.find("rpdns_zone_role{zone=\"mine.example.\",role=\"primary\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rpdns_zone_role{zone=\"copy.example.\",role=\"secondary\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("rpdns_zone_role{zone=\"none.example.\",role=\"secondary\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("rpdns_zone_role{zone=\"copy.example.\",role=\"primary\"}"), std::string::npos);
}

TEST(Exposition, UnknownTypesAndRcodesGoToOther) {
  EXPECT_EQ(type_slot(65280), kCountedTypes.size());
  EXPECT_EQ(kRcodeNames[rcode_slot(9)], "other");
  EXPECT_EQ(kRcodeNames[rcode_slot(16)], "BADVERS");
  EXPECT_EQ(kRcodeNames[rcode_slot(23)], "BADCOOKIE");
  EXPECT_EQ(kRcodeNames[rcode_slot(24)], "other");
}

TEST(Exposition, BalanceLineGivesBusiestOverIdlest) {
  WorkerCounters a, b;
  a.queries.add(300);
  b.queries.add(100);
  EXPECT_NE(balance_line({{&a, ""}, {&b, ""}}).find("busiest/idlest worker = 3.00"), std::string::npos);
  WorkerCounters idle;
  EXPECT_NE(balance_line({{&a, ""}, {&idle, ""}}).find("received none"), std::string::npos);
}

}  // namespace
