// The walker of names inside messages (dns/compression.hpp): RFC 1035
// §4.1.4 pointers, §2.3.4 limits, RFC 6891 §5 retired label types, RFC
// 4343 case. Hostile input must end the walk as malformed, never loop or
// read past the message.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dns/compression.hpp"
#include "support/packet.hpp"

namespace {

using rpdns::dns::LabelWalker;
using rpdns::dns::name_equals;
using rpdns::test::wire;

using Bytes = std::vector<uint8_t>;

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// The labels the walker finds from `start`, dotted; "!" when malformed.
std::string walk(const Bytes& m, std::size_t start) {
  LabelWalker walker(m.data(), m.size(), start);
  std::string out;
  while (walker.next()) {
    const uint8_t* label = walker.label();
    out.append(reinterpret_cast<const char*>(label + 1), label[0]).append(".");
  }
  return walker.ok() ? out : "!";
}

TEST(LabelWalker, PlainName) {
  Bytes m = bytes(wire("www.example.com"));
  EXPECT_EQ(walk(m, 0), "www.example.com.");
  LabelWalker walker(m.data(), m.size(), 0);
  EXPECT_TRUE(walker.skip());
  EXPECT_EQ(walker.end(), m.size());
  EXPECT_EQ(walker.length(), m.size());
  EXPECT_EQ(walk(Bytes{0}, 0), "");  // the root
}

// The name ends where its first pointer is; its labels go on over there.
TEST(LabelWalker, FollowsPointersBackwards) {
  Bytes m = bytes(wire("example.com"));  // 0..12
  std::size_t www = m.size();
  m.insert(m.end(), {3, 'w', 'w', 'w', 0xC0, 0});
  std::size_t ftp = m.size();
  m.insert(m.end(), {3, 'f', 't', 'p', 0xC0, static_cast<uint8_t>(www)});
  EXPECT_EQ(walk(m, www), "www.example.com.");
  EXPECT_EQ(walk(m, ftp), "ftp.www.example.com.");
  LabelWalker walker(m.data(), m.size(), ftp);
  ASSERT_TRUE(walker.skip());
  EXPECT_EQ(walker.end(), ftp + 6);
  EXPECT_EQ(walker.length(), wire("ftp.www.example.com").size());
}

// A pointer to itself, to the name's own start, forwards, or back and then
// forwards again (a loop of two): each must point before the last.
TEST(LabelWalker, RefusesLoopsAndForwardPointers) {
  EXPECT_EQ(walk(Bytes{0xC0, 0}, 0), "!");                 // itself
  EXPECT_EQ(walk(Bytes{1, 'a', 0xC0, 0}, 0), "!");         // its own start
  EXPECT_EQ(walk(Bytes{0xC0, 2, 0}, 0), "!");              // forwards
  EXPECT_EQ(walk(Bytes{0xC0, 4, 0, 0, 0xC0, 0}, 4), "!");  // 4 -> 0 -> 4
  Bytes chain{1, 'a', 0xC0, 0, 0xC0, 2};
  EXPECT_EQ(walk(chain, 4), "!");  // 4 -> 2 -> 0 -> label, then back to 0
}

// A label or a pointer cut off by the end of the message; no root label.
TEST(LabelWalker, RefusesTruncatedNames) {
  EXPECT_EQ(walk(Bytes{}, 0), "!");
  EXPECT_EQ(walk(Bytes{3, 'w', 'w'}, 0), "!");
  EXPECT_EQ(walk(Bytes{3, 'w', 'w', 'w'}, 0), "!");
  EXPECT_EQ(walk(Bytes{0, 0xC0}, 1), "!");
  EXPECT_EQ(walk(Bytes{1, 'a'}, 5), "!");  // starts past the end
  // A label cut off is never handed out, so nobody reads past the end.
  Bytes cut{3, 'w', 'w'};
  LabelWalker walker(cut.data(), cut.size(), 0);
  EXPECT_FALSE(walker.next());
  EXPECT_FALSE(walker.ok());
}

// RFC 6891 §5: 0x40 and 0x80 are no longer label types.
TEST(LabelWalker, RefusesRetiredLabelTypes) {
  EXPECT_EQ(walk(Bytes{0x40, 0}, 0), "!");
  EXPECT_EQ(walk(Bytes{0x80, 0}, 0), "!");
}

// RFC 1035 §2.3.4: 255 octets at most, counted as if uncompressed, so
// pointers cannot stitch a longer name together.
TEST(LabelWalker, LimitsNamesTo255Octets) {
  std::string label63(63, 'a');
  std::string longest = wire(label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b'));
  ASSERT_EQ(longest.size(), 255u);
  EXPECT_NE(walk(bytes(longest), 0), "!");
  std::string over = wire(label63 + "." + label63 + "." + label63 + "." + std::string(62, 'b'));
  EXPECT_EQ(walk(bytes(over), 0), "!");
  // 200 octets of labels, then a pointer to 60 more: 260 in all.
  Bytes m = bytes(wire(std::string(58, 'c')));  // 0..59
  std::size_t start = m.size();
  for (int i = 0; i < 4; ++i) {
    m.push_back(49);
    m.insert(m.end(), 49, 'd');
  }
  m.push_back(0xC0);
  m.push_back(0);
  EXPECT_EQ(walk(m, start), "!");
}

// RFC 4343 §3: case aside; compressed or not; a malformed name is no name.
TEST(NameEquals, ComparesAcrossPointersAndCase) {
  Bytes m = bytes(wire("Example.COM"));
  std::size_t www = m.size();
  m.insert(m.end(), {3, 'W', 'w', 'W', 0xC0, 0});
  EXPECT_TRUE(name_equals(m.data(), m.size(), 0, wire("example.com")));
  EXPECT_TRUE(name_equals(m.data(), m.size(), www, wire("www.example.com")));
  EXPECT_FALSE(name_equals(m.data(), m.size(), www, wire("example.com")));
  EXPECT_FALSE(name_equals(m.data(), m.size(), 0, wire("www.example.com")));
  EXPECT_FALSE(name_equals(m.data(), m.size(), 0, wire("example.co")));
  Bytes loop{0xC0, 0};
  EXPECT_FALSE(name_equals(loop.data(), loop.size(), 0, std::string(1, '\0')));
}

}  // namespace
