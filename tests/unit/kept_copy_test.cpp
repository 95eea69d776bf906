// A secondary's kept copy (zone/master_writer): whatever the record checks
// (zone/record_check) let into a zone must be written so that the loader
// reads back exactly the same zone after a restart: owner names with every
// byte value, every type ldns knows, unknown types, TTLs. A zone that would
// not load back is never written.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dns/name.hpp"
#include "support/files.hpp"
#include "support/packet.hpp"
#include "zone/builder.hpp"
#include "zone/loader.hpp"
#include "zone/master_writer.hpp"
#include "zone/record_check.hpp"

namespace {

using rpdns::test::bytes;
using rpdns::test::TempDir;
using rpdns::test::wire;
namespace zone = rpdns::zone;

struct Records {
  zone::ParsedRecords parsed;
  Records() {
    parsed.files = {"test"};
    std::string soa = wire("ns1.example.com") + wire("h.example.com") + std::string(20, '\1');
    add(wire("example.com"), rpdns::dns::type::SOA, 60, soa);
    add(wire("example.com"), rpdns::dns::type::NS, 60, wire("ns1.example.com"));
  }
  void add(const std::string& owner, uint16_t type, uint32_t ttl, const std::string& rdata) {
    parsed.add(owner, type, ttl, bytes(rdata), 0, static_cast<uint32_t>(parsed.records.size() + 1));
  }
  std::shared_ptr<zone::Zone> build() const {
    auto z = std::make_shared<zone::Zone>();
    z->origin = wire("example.com");
    z->labels = 2;
    std::vector<zone::LoadError> errors;
    zone::LoadWarnings warnings;
    EXPECT_TRUE(zone::build_zone(parsed, "test", *z, errors, warnings)) << errors.front().to_string();
    return z;
  }
};

// Writes the zone as a kept copy, loads the file as a restart would, and
// returns the first difference ("" when none).
std::string round_trip(const zone::Zone& z) {
  TempDir dir;
  std::string path = (dir.path() / "copy.zone").string();
  std::string error;
  zone::WriteStatus status = zone::write_master_file(z, path, error);
  if (status != zone::WriteStatus::written) return "not written: " + error;
  zone::LoadResult back = zone::load_zone("example.com", path);
  if (!back.zone) return "does not load: " + back.errors.front().to_string();
  return zone::first_difference(z, *back.zone);
}

// One label of each byte value (uppercase letters aside: owner names are
// kept lowercased), and the labels that mean something in a master file.
TEST(KeptCopy, OwnersWithEveryByteValueLoadBack) {
  Records r;
  for (unsigned c = 0; c < 256; ++c) {
    if (c >= 'A' && c <= 'Z') continue;
    std::string label = "x" + std::string(1, static_cast<char>(c)) + "y";
    r.add(std::string(1, 3) + label + wire("example.com"), rpdns::dns::type::A, 60, "\1\2\3\4");
  }
  for (std::string label : {"@", "$x", "$include", "\"", "*", "a*b", ";", "(", ")", " ", "\\", ".", "#"}) {
    r.add(std::string(1, static_cast<char>(label.size())) + label + wire("example.com"), rpdns::dns::type::TXT, 60,
          "\3abc");
  }
  EXPECT_EQ(round_trip(*r.build()), "");
}

TEST(KeptCopy, RandomOwnerNamesLoadBack) {
  std::mt19937 random(24);
  Records r;
  for (int i = 0; i < 500; ++i) {
    std::string owner;
    int labels = 1 + static_cast<int>(random() % 4);
    for (int l = 0; l < labels; ++l) {
      std::size_t len = 1 + random() % 20;
      owner += static_cast<char>(len);
      for (std::size_t k = 0; k < len; ++k)
        owner += static_cast<char>(rpdns::dns::lower(static_cast<uint8_t>(random())));
    }
    r.add(owner + wire("example.com"), rpdns::dns::type::AAAA, 60, std::string(16, static_cast<char>(i)));
  }
  EXPECT_EQ(round_trip(*r.build()), "");
}

// Random RDATA for every type ldns knows: what the checks accept must come
// back the same. Most random bytes are refused; enough are accepted for
// most types (the count is checked, so the test cannot pass empty).
TEST(KeptCopy, EveryKnownTypeTheChecksAcceptLoadsBack) {
  std::mt19937 random(1995);
  Records r;
  unsigned types = 0;
  unsigned records = 0;
  for (unsigned type = 1; type < 65536; ++type) {
    auto t = static_cast<uint16_t>(type);
    if (!zone::known_type(t) || !zone::check_type(t).empty() || t == rpdns::dns::type::SOA) continue;
    // Only one CNAME or DNAME may stand at a name, and nothing beside CNAME.
    unsigned wanted = t == rpdns::dns::type::CNAME || t == rpdns::dns::type::DNAME ? 1 : 5;
    unsigned accepted = 0;
    for (int attempt = 0; attempt < 3000 && accepted < wanted; ++attempt) {
      std::string rdata(random() % 40, '\0');
      for (auto& c : rdata) c = static_cast<char>(random() % 8 == 0 ? 0 : random());
      if (!zone::check_rdata(t, bytes(rdata)).empty()) continue;
      std::string owner = wire("t" + std::to_string(t) + "-" + std::to_string(accepted) + ".example.com");
      r.add(owner, t, 60, rdata);
      ++accepted;
    }
    types += accepted > 0;
    records += accepted;
  }
  EXPECT_GE(types, 30u);
  EXPECT_EQ(round_trip(*r.build()), "") << records << " records of " << types << " types";
}

// Types with names and structure random bytes rarely hit, in their usual
// text form, read by the loader and kept.
TEST(KeptCopy, StructuredTypesLoadBack) {
  std::string text =
      "example.com. 60 IN SOA ns1.example.com. h.example.com. 1 2 3 4 5\n"
      "example.com. 60 IN NS ns1.example.com.\n"
      "a.example.com. 60 IN IPSECKEY 10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==\n"
      "b.example.com. 60 IN IPSECKEY 10 3 2 mygateway.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==\n"
      "c.example.com. 60 IN HIP 2 200100107B1A74DF365639CC39F1D578 "
      "AwEAAbdxyhNuSutc5EMzxTs9LBPCIkOFH8cIvM4p9+LrV4e19WzK00+CI6zBCQTdtWsuxKbWIy87UOoJTwkUs7lBu+Upr1gsNrut79ryra+bSRGQ"
      "b1slImA8YVJyuIDsj7kwzG7jnERNqnWxZ48AWkskmdHaVDP4BcelrTI3rMXdXF5D rvs1.example.com.\n"
      "d.example.com. 60 IN NAPTR 100 10 \"S\" \"SIP+D2U\" \"!^.*$!sip:x@example.com!\" _sip._udp.example.com.\n"
      "e.example.com. 60 IN SRV 1 2 3 target.example.com.\n"
      "f.example.com. 60 IN CAA 0 issue \"ca.example.net\"\n"
      "g.example.com. 60 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n"
      "h.example.com. 60 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
      "i.example.com. 60 IN RRSIG A 8 3 60 20300101000000 20200101000000 12345 example.com. AQID\n"
      "j.example.com. 60 IN NSEC k.example.com. A RRSIG NSEC TYPE65000\n"
      "k.example.com. 60 IN SVCB 1 svc.example.net. alpn=h2,h3 port=8443\n"
      "l.example.com. 60 IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m\n"
      "m.example.com. 60 IN RP mbox.example.com. txt.example.com.\n"
      "n.example.com. 60 IN TXT \"a \\\"quoted\\\" \\\\ string\" \"\\000\\255\" \"\"\n"
      "o.example.com. 2147483647 IN TYPE65280 \\# 3 010203\n"
      "p.example.com. 0 IN TYPE65281 \\# 0\n";
  zone::LoadResult loaded = zone::load_zone_text("example.com", "structured", text);
  ASSERT_TRUE(loaded.zone) << loaded.errors.front().to_string();
  EXPECT_EQ(round_trip(*loaded.zone), "");
}

// A TXT record made of 20,000 empty strings (what made ldns_wire2pkt take
// seconds per record) is kept and read back like any other.
TEST(KeptCopy, TxtOfManyEmptyStringsLoadsBack) {
  Records r;
  r.add(wire("empty.example.com"), rpdns::dns::type::TXT, 60, std::string(20000, '\0'));
  EXPECT_EQ(round_trip(*r.build()), "");
}

// A zone built around the checks (as a bug in them would let through):
// its text does not load back, so nothing is written and the old copy stays.
TEST(KeptCopy, NotWrittenWhenItWouldNotLoadBack) {
  Records r;
  r.add(wire("ds.example.com"), rpdns::dns::type::DS, 60, "");  // a DS is never empty
  TempDir dir;
  std::string path = (dir.path() / "copy.zone").string();
  { std::ofstream(path) << "old copy\n"; }
  std::string error;
  EXPECT_EQ(zone::write_master_file(*r.build(), path, error), zone::WriteStatus::does_not_load_back);
  EXPECT_NE(error.find("would not load back"), std::string::npos) << error;
  std::stringstream kept;
  kept << std::ifstream(path).rdbuf();
  EXPECT_EQ(kept.str(), "old copy\n");
}

TEST(KeptCopy, FirstDifferenceFindsAChangedRecord) {
  Records a;
  a.add(wire("www.example.com"), rpdns::dns::type::A, 60, "\1\2\3\4");
  Records b;
  b.add(wire("www.example.com"), rpdns::dns::type::A, 60, "\1\2\3\5");
  EXPECT_EQ(zone::first_difference(*a.build(), *a.build()), "");
  EXPECT_NE(zone::first_difference(*a.build(), *b.build()).find("www.example.com"), std::string::npos);
}

}  // namespace
