// Domain names in wire form: RFC 1035 §3.1 (labels), §2.3.4 (limits),
// RFC 1034 §3.1 (subdomains), RFC 4343 (case), RFC 1035 §5.1 (escapes).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <unordered_map>

#include "support/packet.hpp"
#include "dns/name.hpp"

namespace {

std::string_view root_name() { return {"\0", 1}; }

using rpdns::dns::Name;

using rpdns::test::wire;

// RFC 1035 §3.1: a name is a sequence of length-prefixed labels ending in 0.
TEST(Name, AssignSplitsLabels) {
  Name n;
  ASSERT_TRUE(n.assign(wire("www.example.com")));
  EXPECT_EQ(n.labels, 3u);
  EXPECT_EQ(n.len, 17u);  // 1+3 + 1+7 + 1+3 + 1
  EXPECT_EQ(n.offsets[0], 0u);
  EXPECT_EQ(n.offsets[1], 4u);
  EXPECT_EQ(n.offsets[2], 12u);
  EXPECT_EQ(n.view(), wire("www.example.com"));
}

// RFC 1034 §3.1: every suffix of a name is an ancestor.
TEST(Name, SuffixGivesAncestors) {
  Name n;
  ASSERT_TRUE(n.assign(wire("www.example.com")));
  EXPECT_EQ(n.suffix(0), wire("www.example.com"));
  EXPECT_EQ(n.suffix(1), wire("example.com"));
  EXPECT_EQ(n.suffix(2), wire("com"));
  EXPECT_EQ(n.suffix(3), root_name());
  EXPECT_EQ(n.suffix(9), root_name());
}

// RFC 1035 §3.1: the root is the single zero-length label.
TEST(Name, AssignRoot) {
  Name n;
  ASSERT_TRUE(n.assign(root_name()));
  EXPECT_EQ(n.labels, 0u);
  EXPECT_EQ(n.len, 1u);
}

// RFC 1035 §2.3.4: labels are 63 octets or less.
TEST(Name, AssignRejectsLongLabel) {
  Name n;
  EXPECT_TRUE(n.assign(wire(std::string(63, 'a') + ".com")));
  EXPECT_FALSE(n.assign(wire(std::string(64, 'a') + ".com")));
}

// RFC 1035 §2.3.4: names are 255 octets or less, counted in wire form.
TEST(Name, AssignLimitsTotalLength) {
  std::string a63(63, 'a');
  std::string at255 = wire(a63 + "." + a63 + "." + a63 + "." + std::string(61, 'b'));
  ASSERT_EQ(at255.size(), 255u);
  Name n;
  EXPECT_TRUE(n.assign(at255));
  std::string at256 = wire(a63 + "." + a63 + "." + a63 + "." + std::string(62, 'b'));
  ASSERT_EQ(at256.size(), 256u);
  EXPECT_FALSE(n.assign(at256));
}

// RFC 1035 §3.1: a name must end with the root label and nothing may follow.
TEST(Name, AssignRejectsMalformedWire) {
  Name n;
  EXPECT_FALSE(n.assign(""));
  std::string no_root = wire("example.com");
  no_root.pop_back();
  EXPECT_FALSE(n.assign(no_root));
  EXPECT_FALSE(n.assign(wire("example.com") + "x"));
  EXPECT_FALSE(n.assign(std::string("\5abc", 4)));  // label runs past the end
}

TEST(Name, CountLabels) {
  EXPECT_EQ(rpdns::dns::count_labels(wire("www.example.com")), 3u);
  EXPECT_EQ(rpdns::dns::count_labels(wire("com")), 1u);
  EXPECT_EQ(rpdns::dns::count_labels(root_name()), 0u);
}

// RFC 1034 §3.1: a name is below another when it ends with its labels.
TEST(Name, IsSubdomain) {
  using rpdns::dns::is_subdomain;
  EXPECT_TRUE(is_subdomain(wire("www.example.com"), wire("example.com")));
  EXPECT_TRUE(is_subdomain(wire("example.com"), wire("example.com")));
  EXPECT_TRUE(is_subdomain(wire("a.b.example.com"), wire("example.com")));
  EXPECT_TRUE(is_subdomain(wire("example.com"), root_name()));
  EXPECT_FALSE(is_subdomain(wire("example.com"), wire("www.example.com")));
  EXPECT_FALSE(is_subdomain(wire("example.net"), wire("example.com")));
  EXPECT_FALSE(is_subdomain(wire("badexample.com"), wire("example.com")));
}

// RFC 1034 §3.1: the comparison is by whole labels. Here the last 13 bytes
// equal "\7example\3com\0", but inside a label, so it is not below it.
TEST(Name, IsSubdomainNeedsLabelBoundary) {
  std::string tricky(
      "\x09"
      "z"
      "\x07"
      "example"
      "\x03"
      "com"
      "\x00",
      15);
  std::string parent = wire("example.com");
  ASSERT_EQ(tricky.substr(tricky.size() - parent.size()), parent);
  EXPECT_FALSE(rpdns::dns::is_subdomain(tricky, parent));
}

TEST(Name, ParentName) {
  using rpdns::dns::parent_name;
  EXPECT_EQ(parent_name(wire("www.example.com")), wire("example.com"));
  EXPECT_EQ(parent_name(wire("com")), root_name());
  EXPECT_EQ(parent_name(root_name()), root_name());
}

// RFC 1035 §5.1: presentation form, absolute names end in a dot.
TEST(Name, ToTextPlain) {
  EXPECT_EQ(rpdns::dns::to_text(wire("www.example.com")), "www.example.com.");
  EXPECT_EQ(rpdns::dns::to_text(root_name()), ".");
}

// RFC 1035 §5.1 / RFC 4343 §2.1: a dot inside a label is "\.", other
// special bytes are "\X", non-printing bytes are "\DDD" in decimal.
TEST(Name, ToTextEscapes) {
  std::string dotted = std::string("\3a.b", 4) + wire("example");
  EXPECT_EQ(rpdns::dns::to_text(dotted), "a\\.b.example.");
  std::string space("\3a b\0", 5);
  EXPECT_EQ(rpdns::dns::to_text(space), "a\\032b.");
  std::string zero("\2x\0\0", 4);
  EXPECT_EQ(rpdns::dns::to_text(zero), "x\\000.");
  std::string high("\1\xC4\0", 3);
  EXPECT_EQ(rpdns::dns::to_text(high), "\\196.");
  std::string semi("\1;\0", 3);
  EXPECT_EQ(rpdns::dns::to_text(semi), "\\;.");
}

// RFC 4343 §3: only ASCII A-Z fold; other bytes and length octets stay.
TEST(Name, LowercaseFoldsAsciiOnly) {
  std::string n = wire("WwW.ExAmPlE.COM");
  rpdns::dns::lowercase(n);
  EXPECT_EQ(n, wire("www.example.com"));
  std::string high("\2\xC4Z\0", 4);
  rpdns::dns::lowercase(high);
  EXPECT_EQ(high, std::string("\2\xC4z\0", 4));
}

TEST(Name, LowerByte) {
  EXPECT_EQ(rpdns::dns::lower('A'), 'a');
  EXPECT_EQ(rpdns::dns::lower('Z'), 'z');
  EXPECT_EQ(rpdns::dns::lower('a'), 'a');
  EXPECT_EQ(rpdns::dns::lower('@'), '@');  // just below 'A'
  EXPECT_EQ(rpdns::dns::lower('['), '[');  // just above 'Z'
}

// RFC 1035 §2.3.2: integers are sent most significant octet first.
TEST(Wire, NetworkByteOrder) {
  uint8_t buf[4] = {};
  rpdns::dns::write_u16(buf, 0x1234);
  EXPECT_EQ(buf[0], 0x12);
  EXPECT_EQ(buf[1], 0x34);
  EXPECT_EQ(rpdns::dns::read_u16(buf), 0x1234);
  rpdns::dns::write_u32(buf, 0xA1B2C3D4u);
  EXPECT_EQ(buf[0], 0xA1);
  EXPECT_EQ(buf[3], 0xD4);
  EXPECT_EQ(rpdns::dns::read_u32(buf), 0xA1B2C3D4u);
}

// RFC 1035 §5.1: a name with or without the final dot, any case.
TEST(NameFromText, AbsoluteAndRelativeSame) {
  std::string a, b;
  ASSERT_TRUE(rpdns::dns::name_from_text("Example.COM", a));
  ASSERT_TRUE(rpdns::dns::name_from_text("example.com.", b));
  EXPECT_EQ(a, wire("example.com"));
  EXPECT_EQ(b, wire("example.com"));
  std::string bad;
  EXPECT_FALSE(rpdns::dns::name_from_text(std::string(64, 'a') + ".com", bad));
}

// The root, escapes, and what is not a name.
TEST(NameFromText, RootEscapesAndErrors) {
  std::string w;
  ASSERT_TRUE(rpdns::dns::name_from_text(".", w));
  EXPECT_EQ(w, std::string(1, '\0'));
  ASSERT_TRUE(rpdns::dns::name_from_text("a\\.b.c", w));
  EXPECT_EQ(w, std::string("\x03"
                           "a.b"
                           "\x01"
                           "c"
                           "\0",
                           7));
  ASSERT_TRUE(rpdns::dns::name_from_text("\\065x", w));
  EXPECT_EQ(w, wire("ax"));
  EXPECT_FALSE(rpdns::dns::name_from_text("", w));
  EXPECT_FALSE(rpdns::dns::name_from_text("a..b", w));
  EXPECT_FALSE(rpdns::dns::name_from_text(".a", w));
  EXPECT_FALSE(rpdns::dns::name_from_text("a\\2", w));
  EXPECT_FALSE(rpdns::dns::name_from_text("a\\300", w));
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  EXPECT_FALSE(rpdns::dns::name_from_text(long_name, w));
}

}  // namespace

namespace {

using rpdns::dns::WireName;

// A name as it crosses rooms: read once from text (RFC 1035 §5.1), held in
// canonical wire form (RFC 4343: case folded), shown as text again.
TEST(WireName, FromTextHoldsCanonicalWireForm) {
  auto name = WireName::from_text("WWW.Example.com");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->wire(), wire("www.example.com"));
  EXPECT_EQ(name->text(), "www.example.com.");
  EXPECT_FALSE(name->empty());
  EXPECT_EQ(WireName::from_text(".")->wire(), root_name());
  EXPECT_FALSE(WireName::from_text("a..b"));
  EXPECT_FALSE(WireName::from_text(""));
  EXPECT_TRUE(WireName().empty());  // no name, not the root
}

// Wire bytes from elsewhere (a zone, a message) are lowercased on the way
// in, so two spellings are one key.
TEST(WireName, KeysMapsWhateverTheCase) {
  WireName upper(wire("EXAMPLE.com"));
  EXPECT_EQ(upper, WireName(wire("example.com")));
  EXPECT_EQ(upper, *WireName::from_text("example.COM."));
  std::unordered_map<WireName, int> by_name{{upper, 1}};
  EXPECT_EQ(by_name.count(*WireName::from_text("Example.Com")), 1u);
  std::map<WireName, int> ordered{{WireName(wire("b.example")), 2}, {upper, 1}};
  EXPECT_EQ(ordered.size(), 2u);
  EXPECT_NE(WireName(wire("a.example")), WireName(wire("b.example")));
}

}  // namespace
