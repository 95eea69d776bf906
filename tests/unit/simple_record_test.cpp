// The fast record reader must read exactly as ldns does whenever it accepts
// an entry, and decline everything it is not sure of.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../support/ldns_reference.hpp"
#include "zone/simple_record.hpp"

namespace {

using rpdns::test::fast_reader_disagreement;
using rpdns::test::read_with_ldns;
using rpdns::zone::read_simple_record;
using rpdns::zone::SimpleRecord;

const std::string kOrigin("\7Example\3com\0", 13);  // case kept, as $ORIGIN gives it
const std::string kPrevious("\3www\7example\3com\0", 17);

bool fast(const std::string& entry, SimpleRecord& out) {
  return read_simple_record(entry, kOrigin, 300, kPrevious, out);
}

TEST(SimpleRecord, ReadsTheCommonShapesAsLdnsDoes) {
  const std::vector<std::string> entries = {
      "www A 192.0.2.1",
      "WWW.Example.COM. 60 IN A 192.0.2.1",
      "@ 3600 in AAAA 2001:db8::1",
      "v6 aaaa ::ffff:192.0.2.1",
      " A 198.51.100.7",
      " 120 A 198.51.100.8",
      "@ NS ns1",
      "sub NS ns.Other.NET.",
      "alias CNAME www",
      "alias 0 CNAME @",
      "*.wild A 192.0.2.9",
      "_sip._tcp PTR host-1_x",
      "mail MX 10 mx1",
      "mail 7200 IN MX 0 MX.example.net.",
      "t TXT \"hello world\"",
      "t TXT \"a;b\" \"(c)\" \"\"",
      "t 2147483647 TXT \"v=spf1 -all\"",
      "0 A 192.0.2.3",
  };
  for (const auto& entry : entries) {
    SimpleRecord out;
    EXPECT_TRUE(fast(entry, out)) << entry;
    EXPECT_TRUE(read_with_ldns(entry, kOrigin, 300, kPrevious).ok) << entry;
    EXPECT_EQ(fast_reader_disagreement(entry, kOrigin, 300, kPrevious), "") << entry;
  }
}

TEST(SimpleRecord, KeepsDefaultsAndCase) {
  SimpleRecord out;
  ASSERT_TRUE(fast(" A 192.0.2.1", out));
  EXPECT_EQ(out.owner, kPrevious);
  EXPECT_EQ(out.ttl, 300u);
  ASSERT_TRUE(fast("Alias CNAME Target", out));
  EXPECT_EQ(out.owner, std::string("\5alias\7example\3com\0", 19));
  EXPECT_EQ(out.rdata, std::string("\6Target\7Example\3com\0", 20));  // RDATA case is kept
  ASSERT_TRUE(fast("m MX 65535 @", out));
  EXPECT_EQ(out.rdata, std::string("\xff\xff") + kOrigin);
}

TEST(SimpleRecord, DeclinesWhatItIsNotSureOf) {
  const std::vector<std::string> entries = {
      "www 1h A 192.0.2.1",          // TTL units
      "www 2147483648 A 192.0.2.1",  // TTL above 2^31 - 1
      "www CH A 192.0.2.1",          // another class
      "www CH 60 A 192.0.2.1",
      "www IN IN A 192.0.2.1",  // two classes
      "www 60 60 A 192.0.2.1",  // two TTLs
      "www IN 2147483648 A 192.0.2.1",
      "www A 192.0.2.256",          // not an address
      "www A 192.0.2.1 192.0.2.2",  // extra field
      "www AAAA 192.0.2.1",
      "w\\.x A 192.0.2.1",                    // escape in a name
      ". A 192.0.2.1",                        // the root
      "a..b A 192.0.2.1",                     // empty label
      std::string(64, 'a') + " A 192.0.2.1",  // label too long
      "www SRV 0 0 80 host",                  // a type it does not read
      "www TYPE1 \\# 4 c0000201",
      "t TXT unquoted",
      "t TXT \"a\\\"b\"",  // escape in a string
      "t TXT \"a\"\"b\"",  // strings not apart
      "t TXT \"" + std::string(256, 'x') + "\"",
      "m MX 65536 mx",
      "m MX mx",
      "ns NS",
      "www",
  };
  for (const auto& entry : entries) {
    SimpleRecord out;
    EXPECT_FALSE(fast(entry, out)) << entry;
  }
  SimpleRecord out;
  EXPECT_FALSE(read_simple_record(" A 192.0.2.1", kOrigin, 300, "", out)) << "no previous owner";
}

// The same entry with a class-before-TTL head swapped to TTL first (which
// ldns 1.8 reads); entries of any other shape are returned as they are.
std::string ttl_first(const std::string& entry) {
  std::size_t owner_end = entry.empty() || entry[0] == ' ' ? 0 : entry.find(' ');
  if (owner_end == std::string::npos) return entry;
  std::size_t class_end = entry.find(' ', owner_end + 1);
  std::size_t ttl_end = class_end == std::string::npos ? class_end : entry.find(' ', class_end + 1);
  if (ttl_end == std::string::npos) return entry;
  std::string klass = entry.substr(owner_end + 1, class_end - owner_end - 1);
  std::string ttl = entry.substr(class_end + 1, ttl_end - class_end - 1);
  bool is_class = klass == "IN" || klass == "in" || klass == "CH" || klass == "CLASS1";
  if (!is_class || ttl.empty() || ttl[0] < '0' || ttl[0] > '9') return entry;
  return entry.substr(0, owner_end + 1) + ttl + " " + klass + entry.substr(ttl_end);
}

// RFC 1035 §5.1 allows the class before the TTL. ldns 1.8 reads only TTL
// first, so the reference is ldns reading the entry with the two swapped.
void expect_same_as_ttl_first(const std::string& entry) {
  std::string reference = ttl_first(entry);
  ASSERT_NE(reference, entry);
  SimpleRecord a, b;
  bool read_a = fast(entry, a);
  ASSERT_EQ(read_a, fast(reference, b)) << entry;
  if (!read_a) return;
  EXPECT_EQ(a.owner, b.owner) << entry;
  EXPECT_EQ(a.type, b.type) << entry;
  EXPECT_EQ(a.ttl, b.ttl) << entry;
  EXPECT_EQ(a.rdata, b.rdata) << entry;
  EXPECT_EQ(fast_reader_disagreement(reference, kOrigin, 300, kPrevious), "") << entry;
}

TEST(SimpleRecord, ReadsClassBeforeTtl) {
  const std::vector<std::string> entries = {"www IN 60 A 192.0.2.1", " in 120 AAAA 2001:db8::1", "m CLASS1 0 MX 10 mx",
                                            "t IN 2147483647 TXT \"x\""};
  for (const auto& entry : entries) {
    SimpleRecord out;
    EXPECT_TRUE(fast(entry, out)) << entry;
    expect_same_as_ttl_first(entry);
  }
}

// ldns itself lets a relative name grow past 255 bytes when it appends the
// origin (the loader rejects those); the fast reader declines them.
TEST(SimpleRecord, DeclinesNamesOverTheLimit) {
  std::string label(63, 'x');
  std::string name = label + "." + label + "." + label + ".";  // 192 bytes, + kOrigin's 13
  for (std::size_t extra = 45; extra < 56; ++extra) {
    std::string entry = name + std::string(extra, 'y') + " A 192.0.2.1";
    std::size_t wire = 192 + 1 + extra + kOrigin.size();
    SimpleRecord out;
    EXPECT_EQ(fast(entry, out), wire <= 255) << wire;
    EXPECT_EQ(fast_reader_disagreement(entry, kOrigin, 300, kPrevious), "") << wire;
  }
}

// Random entries built from pieces, valid and not: wherever the fast reader
// accepts one, ldns must read the same record.
TEST(SimpleRecord, AgreesWithLdnsOnRandomEntries) {
  const std::vector<std::string> owners = {
      "www", "@", "A.B", "x.example.com.", " ", "*", "_t", "a-b", "sub.WWW", std::string(63, 'q'), "1", "a.", "-"};
  const std::vector<std::string> ttls = {"", "0", "60 ", "2147483647 ", "2147483648 ", "1h ", "007 "};
  const std::vector<std::string> classes = {"", "IN ", "in ", "CH ", "CLASS1 "};
  const std::vector<std::string> types = {"A", "a", "AAAA", "NS", "CNAME", "cname", "PTR", "MX", "TXT", "Txt"};
  const std::vector<std::string> rdatas = {
      "192.0.2.1", "0.0.0.0", "255.255.255.255",   "1.2.3", "01.2.3.4",   "2001:db8::1", "::",
      "::1.2.3.4", "host",    "host.example.net.", "@",     "Mixed.Case", "10 mx",       "0 @",
      "65535 mx.", "\"txt\"", "\"a b\" \"c\"",     "\"\"",  "x y",        "10",          ""};
  std::mt19937 random(20261122);
  auto pick = [&random](const std::vector<std::string>& v) { return v[random() % v.size()]; };
  int accepted = 0;
  int class_first = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string owner = pick(owners);
    std::string ttl = pick(ttls), klass = pick(classes);
    // Every fourth entry has the class before the TTL (RFC 1035 §5.1).
    bool swap = i % 4 == 0 && !ttl.empty() && ttl.back() == ' ' && !klass.empty();
    std::string head = swap ? klass + ttl : ttl + klass;
    std::string entry = (owner == " " ? owner : owner + " ") + head + pick(types);
    std::string rdata = pick(rdatas);
    if (!rdata.empty()) entry += " " + rdata;
    SimpleRecord out;
    bool read = read_simple_record(entry, kOrigin, 300, kPrevious, out);
    if (read) ++accepted;
    if (swap) {
      class_first += read ? 1 : 0;
      ASSERT_NO_FATAL_FAILURE(expect_same_as_ttl_first(entry));
    } else {
      ASSERT_EQ(fast_reader_disagreement(entry, kOrigin, 300, kPrevious), "") << entry;
    }
  }
  EXPECT_GT(accepted, 1000);  // the comparison above covered real cases
  EXPECT_GT(class_first, 100);
}

}  // namespace
