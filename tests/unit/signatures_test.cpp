// Signature health of signed zones (zone/signatures.hpp): warnings for
// RRsets left unsigned, broken NSEC and NSEC3 chains (RFC 4034 §4.1.1, RFC
// 5155 §3.1.7), an NSEC3PARAM without its chain, and RRSIGs expired or
// expiring (RFC 4034 §3.1.5). The zones are copies of
// tests/zones/unit/signed/*.zone with lines taken out or added.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "support/files.hpp"
#include "zone/loader.hpp"
#include "zone/signatures.hpp"

namespace {

using rpdns::zone::LoadResult;
using rpdns::zone::LoadWarnings;

constexpr int64_t kExpiry = 2398377600;  // 2046-01-01T00:00:00Z, every RRSIG's expiration

std::string read(const std::string& zone) {
  std::ifstream in(std::string(RPDNS_TEST_ZONES) + "/unit/signed/" + zone + ".zone");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The zone file without the lines matching `drop`, plus `extra`.
LoadResult load_edited(const std::string& zone, const std::string& drop, const std::string& extra = "") {
  static rpdns::test::TempDir dir;
  std::istringstream in(read(zone));
  std::string edited, line;
  std::regex pattern(drop.empty() ? "$^" : drop);
  while (std::getline(in, line)) {
    if (!std::regex_search(line, pattern)) edited += line + "\n";
  }
  std::string path = dir.path() / (zone + ".edited.zone");
  std::ofstream(path) << edited << extra;
  return rpdns::zone::load_zone(zone, path);
}

std::string all(const LoadWarnings& w) {
  std::string out;
  for (const auto& e : w.listed) out += e.to_string() + "\n";
  return out;
}

TEST(Signatures, SignedZonesLoadClean) {
  for (const char* zone : {"signed.example", "nsec3.example"}) {
    LoadResult r = load_edited(zone, "");
    ASSERT_TRUE(r.zone);
    EXPECT_EQ(r.warnings.count, 0u) << all(r.warnings);
    EXPECT_EQ(r.zone->first_expiration, kExpiry) << zone;
    EXPECT_FALSE(r.zone->first_expiring.empty());
  }
  LoadResult unsigned_zone =
      rpdns::zone::load_zone("example.com", std::string(RPDNS_TEST_ZONES) + "/unit/example.com.zone");
  ASSERT_TRUE(unsigned_zone.zone);
  EXPECT_EQ(unsigned_zone.zone->first_expiration, 0);
}

TEST(Signatures, UnsignedRrsetIsNamed) {
  LoadResult r = load_edited("signed.example", R"(^www\.signed\.example\.\s.*RRSIG\s+A )");
  ASSERT_TRUE(r.zone);
  EXPECT_NE(all(r.warnings).find("www.signed.example. A: not signed"), std::string::npos) << all(r.warnings);
  EXPECT_EQ(r.warnings.count, 1u) << all(r.warnings);
}

// mail's NSEC gone: its predecessor names mail next, but the next owner
// with an NSEC is another name.
TEST(Signatures, BrokenNsecChainIsNamed) {
  LoadResult r = load_edited("signed.example", R"(^mail\.signed\.example\.\s.*NSEC)");
  ASSERT_TRUE(r.zone);
  EXPECT_NE(all(r.warnings).find("the NSEC chain is broken"), std::string::npos) << all(r.warnings);
  EXPECT_NE(all(r.warnings).find("names mail.signed.example. next"), std::string::npos) << all(r.warnings);
}

TEST(Signatures, BrokenNsec3ChainIsNamed) {
  LoadResult r = load_edited("nsec3.example", R"(^431Q067C8SAUFF880LET73ATDH0CUEPD\.)");
  ASSERT_TRUE(r.zone);
  EXPECT_NE(all(r.warnings).find("the NSEC3 chain is broken"), std::string::npos) << all(r.warnings);
}

// An NSEC3PARAM whose chain is not in the zone: warned, and NSEC (still
// there) proves denials instead.
TEST(Signatures, Nsec3paramWithoutItsChain) {
  LoadResult r = load_edited("signed.example", "", "signed.example. 0 IN NSEC3PARAM 1 0 5 abcd\n");
  ASSERT_TRUE(r.zone);
  EXPECT_NE(all(r.warnings).find("but no NSEC3 chain with its parameters"), std::string::npos) << all(r.warnings);
  EXPECT_EQ(r.zone->denial, rpdns::zone::Denial::nsec);
}

TEST(Signatures, ExpiringAndExpired) {
  LoadResult r = load_edited("signed.example", "");
  ASSERT_TRUE(r.zone);
  LoadWarnings month_before, days_before, after;
  rpdns::zone::check_expiration(*r.zone, kExpiry - 30 * 86400, 7, "f", month_before);
  rpdns::zone::check_expiration(*r.zone, kExpiry - 3 * 86400, 7, "f", days_before);
  rpdns::zone::check_expiration(*r.zone, kExpiry + 60, 7, "f", after);
  EXPECT_EQ(month_before.count, 0u) << all(month_before);
  ASSERT_GT(days_before.count, 10u);
  EXPECT_NE(all(days_before).find("RRSIG www.signed.example. A (key tag "), std::string::npos) << all(days_before);
  EXPECT_NE(all(days_before).find("expires at 2046-01-01T00:00:00Z, within 7 days"), std::string::npos);
  EXPECT_EQ(after.count, days_before.count);
  EXPECT_NE(all(after).find("expired at 2046-01-01T00:00:00Z"), std::string::npos) << all(after);
}

// RFC 4034 §3.1.5: the 32-bit field wraps; read near `now`, a field
// "before" now by serial arithmetic is in the past.
TEST(Signatures, SignatureTimesAreSerialArithmetic) {
  EXPECT_EQ(rpdns::zone::signature_time(static_cast<uint32_t>(kExpiry), 1767225600), kExpiry);
  int64_t after_wrap = (int64_t{1} << 32) + 100;  // 2106
  EXPECT_EQ(rpdns::zone::signature_time(100, after_wrap - 1000), after_wrap);
  EXPECT_EQ(rpdns::zone::utc_text(kExpiry), "2046-01-01T00:00:00Z");
}

}  // namespace
