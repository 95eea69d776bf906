// Master file loading: RFC 1035 §5.1 (format, $ORIGIN, $INCLUDE, '@',
// owner inheritance, parentheses, comments), RFC 2308 §4 ($TTL), RFC 3597 §5
// (\# unknown RDATA), RFC 2181 §5 (RRsets), RFC 1035 §5.2 / RFC 1034 §4.2.1
// (SOA and NS at the apex), RFC 2181 §10.1 (CNAME and other data).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/packet.hpp"
#include "zone/loader.hpp"

namespace {

namespace fs = std::filesystem;
using rpdns::zone::load_zone;
using rpdns::zone::LoadResult;
using rpdns::zone::RRset;

using rpdns::test::TempDir;

using rpdns::test::wire;

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

// Each record of an RRset as (TTL, RDATA).
struct Rec {
  uint32_t ttl;
  std::vector<uint8_t> rdata;
};

std::vector<Rec> records(const RRset& set) {
  std::vector<Rec> out;
  const uint8_t* p = set.records().data();
  for (unsigned i = 0; i < set.count; ++i) {
    uint16_t len = rpdns::dns::read_u16(p + 4);
    out.push_back({rpdns::dns::read_u32(p), std::vector<uint8_t>(p + 6, p + 6 + len)});
    p += 6u + len;
  }
  return out;
}

const RRset* find(const LoadResult& r, const std::string& name, uint16_t type) {
  if (!r.zone) return nullptr;
  const auto* node = r.zone->find(wire(name));
  return node ? node->find(type) : nullptr;
}

std::string errors_text(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

// A minimal valid head: SOA and NS at the apex, lines 1-3.
const char* kHead =
    "$TTL 3600\n"
    "@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n"
    "@ IN NS ns1.example.com.\n";

// RFC 1035 §5.1: $ORIGIN, '@', relative names, parentheses over several
// lines with comments, and a blank owner meaning "the previous owner".
// RRset keeps its records' size in 32 bits and its signatures as an
// offset from them; what does not fit is refused, never truncated.
TEST(ZoneLayout, RRsetRefusesWhatItsCompactFormCannotHold) {
  static const uint8_t bytes[8] = {};
  RRset r;
  ASSERT_TRUE(r.set_records(bytes, 4));
  EXPECT_FALSE(r.set_records(bytes, std::size_t{1} << 32));
  EXPECT_EQ(r.records().data(), bytes);
  EXPECT_EQ(r.records().size(), 4u);
  ASSERT_TRUE(r.set_sigs(bytes + 4, 3, 1));
  EXPECT_EQ(r.sigs().data(), bytes + 4);
  EXPECT_EQ(r.sigs().size(), 3u);
  EXPECT_EQ(r.sig_count(), 1u);
  EXPECT_FALSE(r.set_sigs(bytes + 4, std::size_t{1} << 32, 1));
  EXPECT_EQ(r.sigs().size(), 3u);
}

TEST(ZoneLoader, BasicFile) {
  TempDir dir;
  std::string file = dir.write("example.com.zone",
                               "; a comment line\n"
                               "$ORIGIN example.com.\n"
                               "$TTL 600\n"
                               "\n"
                               "@   IN SOA ns1 hostmaster ( 2024010101 ; serial\n"
                               "          7200 3600   ; refresh, retry\n"
                               "          1209600 300 )   ; expire, minimum\n"
                               "    IN NS ns1\n"
                               "ns1 IN A 192.0.2.1\n"
                               "    IN AAAA 2001:db8::1   ; owner is ns1\n"
                               "www 120 IN A 192.0.2.80\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  ASSERT_TRUE(r.zone);
  EXPECT_EQ(r.zone->origin, wire("example.com"));
  EXPECT_EQ(r.zone->serial, 2024010101u);
  EXPECT_EQ(r.zone->record_count, 5u);
  const RRset* soa = find(r, "example.com", 6);
  ASSERT_NE(soa, nullptr);
  auto soa_rdata = records(*soa)[0].rdata;
  auto mname = bytes(wire("ns1.example.com"));
  auto rname = bytes(wire("hostmaster.example.com"));
  ASSERT_EQ(soa_rdata.size(), mname.size() + rname.size() + 20);
  EXPECT_TRUE(std::equal(mname.begin(), mname.end(), soa_rdata.begin()));
  EXPECT_EQ(rpdns::dns::read_u32(soa_rdata.data() + soa_rdata.size() - 4), 300u);  // MINIMUM
  const RRset* ns = find(r, "example.com", 2);
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(records(*ns)[0].rdata, mname);
  ASSERT_NE(find(r, "ns1.example.com", 28), nullptr);  // the blank-owner line
  const RRset* a = find(r, "ns1.example.com", 1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(records(*a)[0].rdata, (std::vector<uint8_t>{192, 0, 2, 1}));
}

// RFC 2308 §4: $TTL is the default; an explicit TTL wins.
TEST(ZoneLoader, TtlDirective) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "a IN A 192.0.2.1\n"
                                        "$TTL 60\n"
                                        "b IN A 192.0.2.2\n"
                                        "c 7 IN A 192.0.2.3\n"
                                        "$TTL 1h\n"
                                        "d IN A 192.0.2.4\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_EQ(find(r, "a.example.com", 1)->ttl, 3600u);
  EXPECT_EQ(find(r, "b.example.com", 1)->ttl, 60u);
  EXPECT_EQ(find(r, "c.example.com", 1)->ttl, 7u);
  EXPECT_EQ(find(r, "d.example.com", 1)->ttl, 3600u);  // BIND-style unit: 1h
}

// RFC 2308 §4: "$TTL 0" is a TTL like any other, whichever reader takes the
// record (ldns alone would put its own default of 3600 in its place).
TEST(ZoneLoader, ZeroDefaultTtl) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "$TTL 0\n"
                                        "a IN A 192.0.2.1\n"
                                        "b IN SRV 0 0 80 a\n"
                                        "c 5 IN SRV 0 0 80 a\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_EQ(find(r, "a.example.com", 1)->ttl, 0u);
  EXPECT_EQ(find(r, "b.example.com", 33)->ttl, 0u);
  EXPECT_EQ(find(r, "c.example.com", 33)->ttl, 5u);
}

// RFC 1035 §5.1: "<TTL> <class>" and "<class> <TTL>" are both allowed, each
// optional, whichever reader takes the record (A: the fast reader; SRV and
// the TTL with units: ldns).
TEST(ZoneLoader, ClassBeforeTtl) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "host IN 600 A 192.0.2.1\n"
                                        "srv IN 700 SRV 0 0 80 host\n"
                                        "    in 1h30m TXT \"same owner as srv\"\n"
                                        "c CLASS1 800 SRV 0 0 80 host\n"
                                        "d 900 IN SRV 0 0 80 host\n"
                                        "e IN SRV 0 0 80 host\n"
                                        "f 42 A 192.0.2.2\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  ASSERT_NE(find(r, "host.example.com", 1), nullptr);
  EXPECT_EQ(find(r, "host.example.com", 1)->ttl, 600u);
  EXPECT_EQ(records(*find(r, "host.example.com", 1))[0].rdata, (std::vector<uint8_t>{192, 0, 2, 1}));
  ASSERT_NE(find(r, "srv.example.com", 33), nullptr);
  EXPECT_EQ(find(r, "srv.example.com", 33)->ttl, 700u);
  ASSERT_NE(find(r, "srv.example.com", 16), nullptr);
  EXPECT_EQ(find(r, "srv.example.com", 16)->ttl, 5400u);
  EXPECT_EQ(find(r, "c.example.com", 33)->ttl, 800u);
  EXPECT_EQ(find(r, "d.example.com", 33)->ttl, 900u);
  EXPECT_EQ(find(r, "e.example.com", 33)->ttl, 3600u);
  EXPECT_EQ(find(r, "f.example.com", 1)->ttl, 42u);
}

// A field before the type that starts with a digit is a TTL; one that is
// not a valid TTL is an error at its line rather than a silent guess (ldns
// alone reads "60x" as 60). Another class, in either position, is refused.
TEST(ZoneLoaderErrors, BadTtlOrClassField) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "a 60x IN A 192.0.2.1\n"
                                        "b IN 1h3 SRV 0 0 80 a\n"
                                        "c IN 60y SRV 0 0 80 a\n"
                                        "d CH 60 TXT \"chaos\"\n"
                                        "e CLASS99999 TXT \"x\"\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 4u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 4u);
  EXPECT_NE(r.errors[0].message.find("bad TTL '60x'"), std::string::npos) << r.errors[0].message;
  EXPECT_EQ(r.errors[1].line, 6u);
  EXPECT_EQ(r.errors[2].line, 7u);
  EXPECT_NE(r.errors[2].message.find("class IN"), std::string::npos) << r.errors[2].message;
  EXPECT_EQ(r.errors[3].line, 8u);
}

std::string warnings_text(const LoadResult& r) {
  std::string out;
  for (const auto& w : r.warnings.listed) out += w.to_string() + "\n";
  return out;
}

// RFC 2181 §8: a TTL is 0 to 2^31 - 1, and one received with the top bit set
// is "treated as if the entire value received was zero". As BIND does, such
// a TTL or $TTL loads as 0 with a warning at its line; one of 2^32 or more
// is not a 32-bit number at all and is an error (as in BIND and Knot).
TEST(ZoneLoader, TtlsOfTwoToThe31OrMoreBecomeZero) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "a 2147483647 IN A 192.0.2.1\n"
                                        "b 2147483648 IN A 192.0.2.2\n"
                                        "c 4294967295 IN SRV 0 0 80 a\n"
                                        "d IN 3000000000 TXT \"x\"\n"
                                        "$TTL 4294967295\n"
                                        "e IN A 192.0.2.5\n"
                                        "f 3551w IN A 192.0.2.6\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_EQ(find(r, "a.example.com", 1)->ttl, 2147483647u);
  EXPECT_EQ(find(r, "b.example.com", 1)->ttl, 0u);
  EXPECT_EQ(find(r, "c.example.com", 33)->ttl, 0u);
  EXPECT_EQ(find(r, "d.example.com", 16)->ttl, 0u);
  EXPECT_EQ(find(r, "e.example.com", 1)->ttl, 0u);
  EXPECT_EQ(find(r, "f.example.com", 1)->ttl, 0u);  // 3551 weeks: 2,147,644,800 s
  ASSERT_EQ(r.warnings.listed.size(), 5u) << warnings_text(r);
  EXPECT_EQ(r.warnings.listed[0].to_string(),
            file + ":5: TTL 2147483648 is more than 2^31 - 1; set to 0 (RFC 2181 §8)");
  EXPECT_EQ(r.warnings.listed[1].line, 6u);
  EXPECT_EQ(r.warnings.listed[2].line, 7u);
  EXPECT_EQ(r.warnings.listed[3].line, 8u);
  EXPECT_NE(r.warnings.listed[3].message.find("$TTL 4294967295"), std::string::npos);
  EXPECT_EQ(r.warnings.listed[4].line, 10u);
}

TEST(ZoneLoaderErrors, TtlsOfTwoToThe32OrMore) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "a 4294967296 IN A 192.0.2.1\n"
                                        "b IN 99999999999999999999 SRV 0 0 80 a\n"
                                        "$TTL 4294967296\n"
                                        "c 1000000w A 192.0.2.1\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 4u) << errors_text(r);
  std::vector<std::size_t> lines;
  for (const auto& e : r.errors) {
    lines.push_back(e.line);
    EXPECT_NE(e.message.find("does not fit in 32 bits"), std::string::npos) << e.message;
  }
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::size_t>{4, 5, 6, 7}));
}

// RFC 2181 §5.2: the records of an RRset share one TTL. As BIND does, the
// first record's TTL (in file order) is used for all, and each record that
// differs gets a warning at its own line.
TEST(ZoneLoader, DifferingTtlsInAnRRsetWarned) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "two 100 IN A 192.0.2.1\n"
                                        "other 5 IN A 192.0.2.9\n"
                                        "two 200 IN A 192.0.2.2\n"
                                        "two 100 IN A 192.0.2.3\n"
                                        "two 50 IN SRV 0 0 80 a\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  auto recs = records(*find(r, "two.example.com", 1));
  ASSERT_EQ(recs.size(), 3u);
  for (const auto& rec : recs) EXPECT_EQ(rec.ttl, 100u);
  EXPECT_EQ(find(r, "two.example.com", 33)->ttl, 50u);
  ASSERT_EQ(r.warnings.listed.size(), 1u) << warnings_text(r);
  EXPECT_EQ(r.warnings.listed[0].to_string(), file + ":6: two.example.com.: TTL 200 differs from TTL 100 of the " +
                                                  "RRset's first record at " + file +
                                                  ":4; 100 is used (RFC 2181 §5.2)");
}

// RFC 4034 §3: RRSIGs at one name cover different RRsets and carry their
// TTLs, so they are the exception: each keeps its own TTL, no warning.
TEST(ZoneLoader, RrsigsKeepTheirOwnTtls) {
  TempDir dir;
  std::string file =
      dir.write("z", std::string(kHead) +
                         "www 300 IN A 192.0.2.1\n"
                         "www 300 IN RRSIG A 8 3 300 20300101000000 20200101000000 1 example.com. AAAA\n"
                         "www 900 IN MX 10 www\n"
                         "www 900 IN RRSIG MX 8 3 900 20300101000000 20200101000000 1 example.com. AAAA\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_TRUE(r.warnings.listed.empty()) << warnings_text(r);
  auto recs = records(*find(r, "www.example.com", 46));
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].ttl, 300u);
  EXPECT_EQ(recs[1].ttl, 900u);
}

// RFC 2308 §3: negative TTL is min(SOA TTL, SOA MINIMUM).
TEST(ZoneLoader, NegativeTtl) {
  TempDir dir;
  std::string low_ttl = dir.write("a",
                                  "@ 60 IN SOA ns1.example.com. h.example.com. 1 2 3 4 900\n"
                                  "@ 60 IN NS ns1.example.com.\n");
  std::string low_min = dir.write("b",
                                  "@ 900 IN SOA ns1.example.com. h.example.com. 1 2 3 4 45\n"
                                  "@ 900 IN NS ns1.example.com.\n");
  LoadResult a = load_zone("example.com", low_ttl);
  LoadResult b = load_zone("example.com", low_min);
  ASSERT_TRUE(a.zone) << errors_text(a);
  ASSERT_TRUE(b.zone) << errors_text(b);
  EXPECT_EQ(a.zone->negative_ttl(), 60u);
  EXPECT_EQ(b.zone->negative_ttl(), 45u);
}

// RFC 1035 §5.1: a relative $ORIGIN is appended to the current origin.
TEST(ZoneLoader, OriginDirective) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "$ORIGIN sub.example.com.\n"
                                        "host IN A 192.0.2.5\n"
                                        "$ORIGIN lab\n"
                                        "box IN A 192.0.2.6\n"
                                        "@ IN TXT \"lab apex\"\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_NE(find(r, "host.sub.example.com", 1), nullptr);
  EXPECT_NE(find(r, "box.lab.sub.example.com", 1), nullptr);
  EXPECT_NE(find(r, "lab.sub.example.com", 16), nullptr);
}

// RFC 1035 §5.1: $INCLUDE; a relative path is taken from the including
// file's directory (not the process's working directory).
TEST(ZoneLoader, IncludeRelativePath) {
  TempDir dir;
  dir.write("zones/hosts.inc", "www IN A 192.0.2.80\n");
  std::string file = dir.write("zones/example.com.zone", std::string(kHead) +
                                                             "$INCLUDE hosts.inc\n"
                                                             "mail IN A 192.0.2.25\n");
  ASSERT_NE(fs::current_path(), dir.path() / "zones");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_NE(find(r, "www.example.com", 1), nullptr);
  EXPECT_NE(find(r, "mail.example.com", 1), nullptr);
}

// RFC 1035 §5.1: "$INCLUDE <file> <origin>" sets the included file's
// origin, and an include never changes the origin of the including file.
TEST(ZoneLoader, IncludeOriginDoesNotLeak) {
  TempDir dir;
  dir.write("lab.inc",
            "box IN A 192.0.2.6\n"
            "$ORIGIN deeper.example.com.\n"
            "x IN A 192.0.2.7\n");
  std::string file = dir.write("z", std::string(kHead) +
                                        "$INCLUDE lab.inc lab.example.com.\n"
                                        "after IN A 192.0.2.8\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_NE(find(r, "box.lab.example.com", 1), nullptr);
  EXPECT_NE(find(r, "x.deeper.example.com", 1), nullptr);
  EXPECT_NE(find(r, "after.example.com", 1), nullptr);
}

// RFC 1035 §5.1: a relative $INCLUDE origin is relative to the current origin.
TEST(ZoneLoader, IncludeWithRelativeOrigin) {
  TempDir dir;
  dir.write("sub.inc", "www IN A 192.0.2.9\n");
  std::string file = dir.write("z", std::string(kHead) + "$INCLUDE sub.inc sub\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_NE(find(r, "www.sub.example.com", 1), nullptr);
}

// A large zone is parsed by several threads; records with a blank owner
// field still take the owner of the record before them (RFC 1035 §5.1),
// across chunk boundaries too, and $ORIGIN/$TTL changes hold where they appear.
TEST(ZoneLoader, LargeZoneKeepsOwnersAcrossParallelChunks) {
  TempDir dir;
  // 2 + 12000 entries: with two threads the split falls on entry 6001,
  // n2999's blank-owner TXT.
  std::string text = std::string(kHead);
  for (int i = 0; i < 6000; ++i) {
    if (i == 3000) text += "$ORIGIN sub.example.com.\n$TTL 77\n";
    // Appended piece by piece: GCC 12 at -O3 warns (falsely) on "literal" + std::string.
    text.append("n").append(std::to_string(i)).append(" IN A 192.0.2.").append(std::to_string(i % 250));
    text.append("\n   IN TXT \"t").append(std::to_string(i)).append("\"\n");
  }
  std::string file = dir.write("big", text);
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  for (int i : {0, 1, 2047, 2048, 2999, 3000, 4095, 4096, 5999}) {
    std::string owner =
        std::string("n").append(std::to_string(i)).append(i >= 3000 ? ".sub.example.com" : ".example.com");
    const RRset* txt = find(r, owner, 16);
    ASSERT_NE(txt, nullptr) << owner;
    EXPECT_EQ(txt->ttl, i >= 3000 ? 77u : 3600u) << owner;
    EXPECT_NE(find(r, owner, 1), nullptr) << owner;
  }
}

// Regression (found by fuzz_zone): a CERT record whose algorithm field is
// not one is an error at its line, not a crash. ldns itself leaks 2 bytes on
// this path (tests/fuzz/lsan.supp).
TEST(ZoneLoaderErrors, CertWithBadAlgorithmNamesLine) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) + "ok IN A 192.0.2.1\nbad IN CERT 0 issue \"x.org\"\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].file, file);
  EXPECT_EQ(r.errors[0].line, 5u);
  EXPECT_FALSE(r.zone);
}

// RFC 1035 §5.1: ';' starts a comment, except inside a quoted string.
TEST(ZoneLoader, CommentsAndQuotes) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "; only a comment\n"
                                        "   ; an indented comment\n"
                                        "txt IN TXT \"a;b\" ; a real comment\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  const RRset* txt = find(r, "txt.example.com", 16);
  ASSERT_NE(txt, nullptr);
  ASSERT_EQ(txt->count, 1u);
  EXPECT_EQ(records(*txt)[0].rdata, (std::vector<uint8_t>{3, 'a', ';', 'b'}));
}

// RFC 3597 §5: TYPEnnn with "\# length hex" RDATA, for unknown types and
// for known ones (where it must equal the usual form).
TEST(ZoneLoader, UnknownTypeRfc3597) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "legacy IN TYPE65534 \\# 4 0a000001\n"
                                        "known IN A \\# 4 C0000201\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  const RRset* unknown = find(r, "legacy.example.com", 65534);
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(records(*unknown)[0].rdata, (std::vector<uint8_t>{0x0a, 0, 0, 1}));
  const RRset* a = find(r, "known.example.com", 1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(records(*a)[0].rdata, (std::vector<uint8_t>{192, 0, 2, 1}));
}

// RFC 3597 §5: generic RDATA of a type with known fields is read by that
// type's rules, keeping the bytes as given (names uncompressed, case kept);
// types rpdns does not know stay opaque; hex may be split and parenthesised.
TEST(ZoneLoader, GenericRdataOfKnownTypes) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "mx IN MX \\# 6 000a024D5800\n"
                                        "apl IN APL \\# 0\n"
                                        "null IN NULL \\# 3 010203\n"
                                        "h IN TYPE65001 \\# 4 ( 0a00\n"
                                        "   0001 )\n"
                                        "txt IN TYPE16 \\# 4 03616263\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_EQ(records(*find(r, "mx.example.com", 15))[0].rdata, (std::vector<uint8_t>{0, 10, 2, 'M', 'X', 0}));
  EXPECT_TRUE(records(*find(r, "apl.example.com", 42))[0].rdata.empty());
  EXPECT_EQ(records(*find(r, "null.example.com", 10))[0].rdata, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(records(*find(r, "h.example.com", 65001))[0].rdata, (std::vector<uint8_t>{0x0a, 0, 0, 1}));
  EXPECT_EQ(records(*find(r, "txt.example.com", 16))[0].rdata, (std::vector<uint8_t>{3, 'a', 'b', 'c'}));
}

// Generic RDATA that does not fit its type is an error at its line, as the
// same record written normally would be: an empty SOA or DNAME (which made
// replies that dig called malformed), short or extra fields, a compressed
// name, a name over 255 bytes; and a length that is not the hex's.
TEST(ZoneLoaderErrors, GenericRdataThatDoesNotFitItsType) {
  TempDir dir;
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += "3f" + std::string(126, '6');  // four labels of 63 'f's: 256 bytes
  long_name += "00";
  std::string file = dir.write("z", std::string(kHead) +
                                        "x IN DNAME \\# 0\n"         // 4
                                        "@ IN SOA \\# 1 00\n"        // 5
                                        "z IN MX \\# 4 000ac000\n"   // 6
                                        "w IN MX \\# 4 000a0000\n"   // 7
                                        "v IN A \\# 3 c00002\n"      // 8
                                        "u IN A \\# 5 c000020101\n"  // 9
                                        "c IN CNAME \\# 257 " +
                                        long_name +
                                        "\n"                             // 10
                                        "t IN TYPE65000 \\# 65537 01\n"  // 11
                                        "s IN TYPE65000 \\# 2 01\n"      // 12
                                        "q IN TYPE65000 \\# 1 0g\n"      // 13
                                        "p IN FOO \\# 0\n");             // 14
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 11u) << errors_text(r);
  for (std::size_t i = 0; i < r.errors.size(); ++i) EXPECT_EQ(r.errors[i].line, 4u + i) << errors_text(r);
  EXPECT_NE(r.errors[0].message.find("DNAME"), std::string::npos) << r.errors[0].message;
  EXPECT_NE(r.errors[1].message.find("SOA"), std::string::npos) << r.errors[1].message;
  EXPECT_NE(r.errors[6].message.find("CNAME"), std::string::npos) << r.errors[6].message;
  EXPECT_NE(r.errors[7].message.find("65537"), std::string::npos) << r.errors[7].message;
  EXPECT_NE(r.errors[10].message.find("unknown type 'FOO'"), std::string::npos) << r.errors[10].message;
}

// RFC 2181 §5: an RRset is a set, so identical records collapse; §5.2: one
// TTL per RRset.
TEST(ZoneLoader, DuplicatesCollapse) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "dup IN A 192.0.2.7\n"
                                        "dup IN A 192.0.2.7\n"
                                        "dup 99 IN A 192.0.2.7\n"
                                        "two 100 IN A 192.0.2.1\n"
                                        "two 200 IN A 192.0.2.2\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_EQ(find(r, "dup.example.com", 1)->count, 1u);
  const RRset* two = find(r, "two.example.com", 1);
  ASSERT_NE(two, nullptr);
  ASSERT_EQ(two->count, 2u);
  auto recs = records(*two);
  EXPECT_EQ(recs[0].ttl, recs[1].ttl);
  EXPECT_EQ(r.zone->record_count, 2u + 1u + 2u);
}

// RFC 4343: owner names match without regard to case; stored lowercased.
// A big RRset finds its duplicates by sorting (a name with tens of thousands
// of records took seconds with pairwise comparison): the same records must
// survive, in file order, as with a small one.
TEST(ZoneLoader, DuplicatesCollapseInBigRRsets) {
  TempDir dir;
  std::string text = kHead;
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    // Every address once in a scrambled order, then twice more in another.
    int host = i < 100 ? (i * 37) % 100 : 99 - i % 100;
    std::string address = "192.0.2." + std::to_string(host);
    text += "big IN A " + address + "\n";
    if (i < 100) expected.push_back(std::string{'\xc0', '\x00', '\x02', static_cast<char>(host)});
  }
  std::string file = dir.write("z", text);
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  const RRset* big = find(r, "big.example.com", 1);
  ASSERT_NE(big, nullptr);
  ASSERT_EQ(big->count, 100u);
  auto recs = records(*big);
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(std::string(recs[i].rdata.begin(), recs[i].rdata.end()), expected[i]) << i;
  }
}

TEST(ZoneLoader, OwnerCaseFolded) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) + "WwW IN A 192.0.2.80\n");
  LoadResult r = load_zone("Example.COM", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_EQ(r.zone->origin, wire("example.com"));
  EXPECT_NE(find(r, "www.example.com", 1), nullptr);
}

// RFC 4592 §2.2.2 / RFC 8020: names between a record and the apex exist as
// empty non-terminals; RFC 1034 §4.2.1: NS below the apex is a zone cut.
TEST(ZoneLoader, EmptyNonTerminalsAndCuts) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "a.b.c IN A 192.0.2.1\n"
                                        "sub IN NS ns.sub\n"
                                        "ns.sub IN A 192.0.2.53\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  const auto* bc = r.zone->find(wire("b.c.example.com"));
  const auto* c = r.zone->find(wire("c.example.com"));
  ASSERT_NE(bc, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(bc->rrsets().empty());
  EXPECT_TRUE(c->rrsets().empty());
  EXPECT_TRUE(r.zone->find(wire("sub.example.com"))->is_delegation);
  EXPECT_FALSE(r.zone->apex->is_delegation);
  EXPECT_FALSE(r.zone->find(wire("ns.sub.example.com"))->is_delegation);
}

// RFC 1034 §4.2.1: a zone holds only names at or below its origin. As BIND
// and Knot do, a record outside it is ignored with a warning naming its
// line, whichever reader took it, and the zone still loads.
TEST(ZoneLoader, RecordOutsideOriginIgnoredWithWarning) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "www IN A 192.0.2.80\n"
                                        "www.example.net. IN A 192.0.2.81\n"
                                        "srv.example.org. IN SRV 0 0 80 www.example.com.\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  ASSERT_TRUE(r.zone);
  EXPECT_NE(find(r, "www.example.com", 1), nullptr);
  EXPECT_EQ(r.zone->find(wire("www.example.net")), nullptr);
  EXPECT_EQ(r.zone->record_count, 3u);
  ASSERT_EQ(r.warnings.count, 2u);
  ASSERT_EQ(r.warnings.listed.size(), 2u);
  EXPECT_EQ(r.warnings.listed[0].to_string(), file + ":5: www.example.net. is outside the zone example.com.; ignored");
  EXPECT_EQ(r.warnings.listed[1].line, 6u);
}

// Warnings never fail a load, and a zone that earns thousands keeps the
// first hundred to show and counts the rest.
TEST(ZoneLoader, ManyWarningsCountedAndCapped) {
  TempDir dir;
  std::string text = kHead;
  for (int i = 0; i < 5000; ++i) text += "h" + std::to_string(i) + ".example.net. IN A 192.0.2.1\n";
  std::string file = dir.write("z", text);
  LoadResult r = load_zone("example.com", file);
  ASSERT_TRUE(r.zone) << errors_text(r);
  EXPECT_EQ(r.warnings.count, 5000u);
  ASSERT_EQ(r.warnings.listed.size(), rpdns::zone::LoadWarnings::kMaxListed);
  EXPECT_EQ(r.warnings.listed[0].line, 4u);
  EXPECT_EQ(r.warnings.listed.back().line, 3u + rpdns::zone::LoadWarnings::kMaxListed);
}

// A clean zone has no warnings.
TEST(ZoneLoader, NoWarningsForACleanZone) {
  TempDir dir;
  LoadResult r = load_zone("example.com", dir.write("z", std::string(kHead) + "www IN A 192.0.2.80\n"));
  ASSERT_TRUE(r.zone) << errors_text(r);
  EXPECT_EQ(r.warnings.count, 0u);
  EXPECT_TRUE(r.warnings.listed.empty());
}

// ---- errors: each names the file and the line of the offending entry ----

// RFC 1035 §5.1: an RR that does not parse.
TEST(ZoneLoaderErrors, TypoInRecord) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "ok IN A 192.0.2.1\n"
                                        "bad IN A 192.0.2.999\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].file, file);
  EXPECT_EQ(r.errors[0].line, 5u);
}

// Every error is reported, not only the first.
TEST(ZoneLoaderErrors, SeveralTyposAllReported) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "a IN AA 192.0.2.1\n"
                                        "b IN A 192.0.2.2\n"
                                        "c IN MX mail.example.com.\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 2u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 4u);
  EXPECT_EQ(r.errors[1].line, 6u);
}

// RFC 1035 §5.1: the line of an entry is the one where it starts.
TEST(ZoneLoaderErrors, MultiLineEntryReportsFirstLine) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "txt IN TXT (\n"
                                        "  \"fine\"\n"
                                        "  )\n"
                                        "mx IN MX ( 10\n"
                                        "   not..a..name. )\n");
  LoadResult r = load_zone("example.com", file);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 7u);
}

// RFC 1035 §2.3.4: 255 bytes at most, also once the origin is appended to a
// relative name (by either reader), in the owner and in the RDATA.
TEST(ZoneLoaderErrors, NamesOverTheLimit) {
  TempDir dir;
  std::string label(63, 'x');
  std::string long_name = label + "." + label + "." + label + "." + std::string(50, 'y');  // + example.com: 256
  std::string file =
      dir.write("z", std::string(kHead) + long_name + " IN A 192.0.2.1\n" + long_name + " IN SRV 0 0 80 a\n" +
                         "a IN SRV 0 0 80 " + long_name + "\n" + "b IN CNAME " + long_name + "\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 4u) << errors_text(r);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.errors[i].line, 4u + i);
    EXPECT_NE(r.errors[i].message.find("longer than 255 bytes"), std::string::npos) << r.errors[i].message;
  }
}

// RFC 1035 §4.1.1: RR counts are 16 bits. An RRset of 65,536 records (after
// duplicates go) is an error at the record past the limit; 65,535 load.
TEST(ZoneLoaderErrors, RRsetOfMoreThan65535Records) {
  TempDir dir;
  auto zone_with = [](int count) {
    std::string text = kHead;
    text.reserve(text.size() + static_cast<std::size_t>(count) * 28);
    for (int i = 0; i < count; ++i) {
      text.append("big IN A 10.").append(std::to_string(i >> 16)).append(".").append(std::to_string((i >> 8) & 255));
      text.append(".").append(std::to_string(i & 255)).append("\n");
    }
    return text + "big IN A 10.0.0.0\n";  // a duplicate, not counted
  };
  LoadResult ok = load_zone("example.com", dir.write("ok", zone_with(65535)));
  ASSERT_TRUE(ok.zone) << errors_text(ok);
  EXPECT_EQ(find(ok, "big.example.com", 1)->count, 65535u);
  LoadResult r = load_zone("example.com", dir.write("over", zone_with(65536)));
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 3u + 65536u);
  EXPECT_NE(r.errors[0].message.find("more than 65535 records"), std::string::npos) << r.errors[0].message;
}

// A record must fit in a message beside the header and any question
// (65535 - 12 - 259 bytes): a bigger one could never be answered or
// transferred, so it is an error at load rather than a silent gap later.
TEST(ZoneLoaderErrors, RecordTooBigForAnyMessage) {
  TempDir dir;
  // Owner "big.example.com." is 17 bytes: 17 + 10 + 65237 = 65264, the most that fits.
  std::string file = dir.write("z", std::string(kHead) + "big IN TYPE65000 \\# 65237 " + std::string(2 * 65237, 'a') +
                                        "\n" + "bag IN TYPE65000 \\# 65238 " + std::string(2 * 65238, 'a') + "\n" +
                                        "bog IN TYPE65000 \\# 65500 " + std::string(2 * 65500, 'a') + "\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 2u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 5u);
  EXPECT_EQ(r.errors[1].line, 6u);
  EXPECT_NE(r.errors[0].message.find("fits in no DNS message"), std::string::npos) << r.errors[0].message;
}

// RFC 1035 §5.2: exactly one SOA at the top of the zone. With none, the
// error points at the start of the zone data (its first record).
TEST(ZoneLoaderErrors, MissingSoa) {
  TempDir dir;
  std::string file = dir.write("z",
                               "$TTL 3600\n"
                               "; no SOA here\n"
                               "@ IN NS ns1.example.com.\n"
                               "ns1 IN A 192.0.2.1\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].file, file);
  EXPECT_EQ(r.errors[0].line, 3u);
  EXPECT_NE(r.errors[0].message.find("SOA"), std::string::npos);
}

// RFC 1035 §5.2: one SOA only; the second is the one reported.
TEST(ZoneLoaderErrors, TwoSoas) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "www IN A 192.0.2.80\n"
                                        "@ IN SOA ns1.example.com. other.example.com. 2 7200 3600 1209600 300\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].file, file);
  EXPECT_EQ(r.errors[0].line, 5u);
  EXPECT_NE(r.errors[0].message.find("SOA"), std::string::npos);
}

// RFC 1035 §5.2: the SOA belongs at the apex only.
TEST(ZoneLoaderErrors, SoaBelowApex) {
  TempDir dir;
  std::string file =
      dir.write("z", std::string(kHead) + "sub IN SOA ns1.example.com. h.example.com. 2 7200 3600 1209600 300\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 4u);
}

// RFC 1034 §4.2.1: the apex must carry NS records. The error points at the
// start of the zone data.
TEST(ZoneLoaderErrors, NoApexNs) {
  TempDir dir;
  std::string file = dir.write("z",
                               "$TTL 3600\n"
                               "@ IN SOA ns1.example.com. h.example.com. 1 7200 3600 1209600 300\n"
                               "sub IN NS ns1.example.com.\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].file, file);
  EXPECT_EQ(r.errors[0].line, 2u);
  EXPECT_NE(r.errors[0].message.find("NS"), std::string::npos);
}

// RFC 2181 §10.1 / RFC 1034 §3.6.2: a CNAME may not share its name with
// other data. The error names the CNAME record's line.
TEST(ZoneLoaderErrors, CnameThenOtherData) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "www IN CNAME web\n"
                                        "www IN A 192.0.2.80\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].file, file);
  EXPECT_EQ(r.errors[0].line, 4u);
  EXPECT_NE(r.errors[0].message.find("CNAME"), std::string::npos);
}

// RFC 2181 §10.1: the same conflict with the CNAME written second. The
// error should still point at the CNAME (line 5), the record that breaks
// the rule, not at the unrelated first record of the name.
TEST(ZoneLoaderErrors, OtherDataThenCname) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "www IN A 192.0.2.80\n"
                                        "www IN CNAME web\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].file, file);
  EXPECT_EQ(r.errors[0].line, 5u);
}

// RFC 2181 §10.1: a CNAME RRset holds one record.
TEST(ZoneLoaderErrors, TwoCnames) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "www IN CNAME a\n"
                                        "www IN CNAME b\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 5u);
}

// RFC 6672 §2.3: no records below a DNAME (Knot DNS and NSD refuse it too).
TEST(ZoneLoaderErrors, DataBelowDname) {
  TempDir dir;
  std::string path = dir.write("z.zone", std::string(kHead) + "dn DNAME elsewhere.test.\nhost.dn A 192.0.2.1\n");
  auto r = load_zone("example.com", path);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 5u);  // kHead is lines 1-3
  EXPECT_NE(r.errors[0].message.find("below the DNAME"), std::string::npos) << errors_text(r);
}

TEST(ZoneLoaderErrors, UnreadableFile) {
  TempDir dir;
  std::string missing = (dir.path() / "does-not-exist.zone").string();
  LoadResult r = load_zone("example.com", missing);
  EXPECT_FALSE(r.zone);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].file, missing);
  EXPECT_EQ(r.errors[0].line, 0u);
}

// An error inside an included file names that file and its own line.
TEST(ZoneLoaderErrors, ErrorInIncludedFile) {
  TempDir dir;
  std::string inc = dir.write("hosts.inc",
                              "ok IN A 192.0.2.1\n"
                              "bad IN A not-an-address\n");
  std::string file = dir.write("z", std::string(kHead) + "$INCLUDE hosts.inc\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(fs::path(r.errors[0].file), fs::path(inc));
  EXPECT_EQ(r.errors[0].line, 2u);
}

// RFC 1035 §5.1: parentheses must balance; the entry's first line is named.
TEST(ZoneLoaderErrors, UnbalancedParenthesis) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) +
                                        "txt IN TXT ( \"open\"\n"
                                        "  \"never closed\"\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 4u);
}

// RFC 2308 §4: $TTL takes a number.
TEST(ZoneLoaderErrors, BadTtlDirective) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) + "$TTL soon\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 4u);
}

// Only class IN is served (RFC 1035 §3.2.4 classes).
TEST(ZoneLoaderErrors, OtherClassRejected) {
  TempDir dir;
  std::string file = dir.write("z", std::string(kHead) + "txt CH TXT \"chaos\"\n");
  LoadResult r = load_zone("example.com", file);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
  EXPECT_EQ(r.errors[0].line, 4u);
}

TEST(ZoneLoaderErrors, ToStringFormat) {
  rpdns::zone::LoadError e{"zones/x.zone", 12, "bad thing"};
  EXPECT_EQ(e.to_string(), "zones/x.zone:12: bad thing");
}

}  // namespace
