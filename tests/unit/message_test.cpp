// dns/message: the reader of what other servers send us (a primary's
// replies and transfers). Every bound a hostile sender could break.
#include "dns/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/packet.hpp"

namespace {

using rpdns::dns::MessageReader;
using rpdns::dns::WireQuestion;
using rpdns::dns::WireRecord;
using rpdns::test::PacketBuilder;
using rpdns::test::wire;

std::string owner_of(const WireRecord& r) { return std::string(r.owner_view()); }

TEST(MessageReader, ReadsQuestionAndRecordsBySection) {
  PacketBuilder p;
  p.header(7, 0x8400, 1, 1, 1, 1).question("Example.COM", 6);
  p.u8(0xC0).u8(12).u16(1).u16(1).u32(60).u16(4).u32(0xC0000201);         // answer, a pointer to the question
  p.name("ns.example.com").u16(2).u16(1).u32(60).u16(2).u8(0xC0).u8(12);  // authority
  p.opt(1232, 0, false);                                                  // additional
  MessageReader reader(p.b.data(), p.b.size());
  ASSERT_EQ(reader.problem(), nullptr);
  EXPECT_EQ(reader.header().id, 7);
  EXPECT_TRUE(reader.header().qr());
  EXPECT_TRUE(reader.header().aa());
  WireQuestion q;
  ASSERT_TRUE(reader.question(q));
  EXPECT_EQ(std::string(q.name_view()), wire("example.com"));  // lowercased
  EXPECT_EQ(q.type, 6);
  EXPECT_FALSE(reader.question(q));
  WireRecord r;
  ASSERT_TRUE(reader.record(r));
  EXPECT_EQ(owner_of(r), wire("example.com"));
  EXPECT_EQ(r.section, rpdns::dns::Section::answer);
  EXPECT_EQ(r.ttl, 60u);
  ASSERT_TRUE(reader.record(r));
  EXPECT_EQ(r.section, rpdns::dns::Section::authority);
  ASSERT_TRUE(reader.record(r));
  EXPECT_EQ(r.section, rpdns::dns::Section::additional);
  EXPECT_EQ(r.type, 41);
  EXPECT_TRUE(r.last);
  EXPECT_FALSE(reader.record(r));
  EXPECT_TRUE(reader.at_end());
}

TEST(MessageReader, TrailingBytesAreNotTheEnd) {
  PacketBuilder p;
  p.header(7, 0x8400, 1, 0, 0, 0).question("example.com", 6).u8(0);
  MessageReader reader(p.b.data(), p.b.size());
  WireRecord r;
  EXPECT_FALSE(reader.record(r));
  EXPECT_EQ(reader.problem(), nullptr);
  EXPECT_FALSE(reader.at_end());
}

TEST(MessageReader, CountsBeyondTheMessageAreAProblem) {
  PacketBuilder p;
  p.header(7, 0x8400, 0, 2, 0, 0).name("a.example").u16(1).u16(1).u32(1).u16(4).u32(1);
  MessageReader reader(p.b.data(), p.b.size());
  WireRecord r;
  EXPECT_TRUE(reader.record(r));
  EXPECT_FALSE(reader.record(r));
  EXPECT_NE(reader.problem(), nullptr);
  EXPECT_FALSE(reader.at_end());
}

TEST(MessageReader, RdataPastTheEndIsAProblem) {
  PacketBuilder p;
  p.header(7, 0x8400, 0, 1, 0, 0).name("a.example").u16(1).u16(1).u32(1).u16(5).u32(1);
  MessageReader reader(p.b.data(), p.b.size());
  WireRecord r;
  EXPECT_FALSE(reader.record(r));
  EXPECT_STREQ(reader.problem(), "RDATA runs past the end of the message");
}

// A pointer to itself, forwards, or into a loop; a name over 255 bytes; a
// retired label type (0x40): all refused, none loops.
TEST(ReadName, RefusesEveryBadName) {
  uint8_t out[255];
  std::size_t out_len = 0;
  auto read = [&](std::vector<uint8_t> m, std::size_t pos) {
    return rpdns::dns::read_name(m.data(), m.size(), pos, out, out_len);
  };
  EXPECT_TRUE(read({1, 'a', 0, 0xC0, 0}, 3));
  EXPECT_EQ(out_len, 3u);
  EXPECT_FALSE(read({0xC0, 0}, 0));          // itself
  EXPECT_FALSE(read({0xC0, 2, 0}, 0));       // forwards
  EXPECT_FALSE(read({1, 'a', 0xC0, 0}, 0));  // back to its own start: a loop
  EXPECT_FALSE(read({0x41, 'a', 0}, 0));     // label type 0x40
  EXPECT_FALSE(read({1, 'a'}, 0));           // no end
  std::vector<uint8_t> long_name;
  for (int i = 0; i < 5; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'x');
  }
  long_name.push_back(0);
  EXPECT_FALSE(read(long_name, 0));
}

// RFC 3597 §4: names in RFC 1035 types (and SRV, NAPTR...) may come
// compressed; they are expanded, case kept. Other types' RDATA is opaque.
TEST(ExpandRdata, UncompressesTheTypesThatMayBeCompressed) {
  PacketBuilder p;
  p.header(7, 0x8400, 1, 3, 0, 0).question("Example.com", 6);
  p.u8(0xC0).u8(12).u16(15).u16(1).u32(1).u16(7).u16(10).u8(2).u8('M').u8('x').u8(0xC0).u8(12);  // MX mx.<q>
  p.u8(0xC0).u8(12).u16(33).u16(1).u32(1).u16(8).u16(1).u16(2).u16(3).u8(0xC0).u8(12);           // SRV
  p.u8(0xC0).u8(12).u16(65000).u16(1).u32(1).u16(2).u8(0xC0).u8(12);                             // opaque
  MessageReader reader(p.b.data(), p.b.size());
  WireRecord r;
  std::vector<uint8_t> out;
  ASSERT_TRUE(reader.record(r));
  ASSERT_TRUE(rpdns::dns::expand_rdata(reader, r, out));
  std::string mx = std::string("\0\x0a", 2) +
                   "\x02Mx\x07"
                   "Example\x03"
                   "com" +
                   std::string(1, '\0');
  EXPECT_EQ(std::string(out.begin(), out.end()), mx);
  out.clear();
  ASSERT_TRUE(reader.record(r));
  ASSERT_TRUE(rpdns::dns::expand_rdata(reader, r, out));
  EXPECT_EQ(out.size(), 6u + 13u);
  out.clear();
  ASSERT_TRUE(reader.record(r));
  ASSERT_TRUE(rpdns::dns::expand_rdata(reader, r, out));
  EXPECT_EQ(out, (std::vector<uint8_t>{0xC0, 12}));
}

TEST(ExpandRdata, RefusesFieldsPastTheRdataOrLeftOver) {
  PacketBuilder p;
  p.header(7, 0x8400, 0, 2, 0, 0);
  p.name("a.example").u16(15).u16(1).u32(1).u16(1).u8(0);             // MX: one byte
  p.name("b.example").u16(2).u16(1).u32(1).u16(3).u8(0).u8(0).u8(0);  // NS: bytes after the name
  MessageReader reader(p.b.data(), p.b.size());
  WireRecord r;
  std::vector<uint8_t> out;
  ASSERT_TRUE(reader.record(r));
  EXPECT_FALSE(rpdns::dns::expand_rdata(reader, r, out));
  ASSERT_TRUE(reader.record(r));
  EXPECT_FALSE(rpdns::dns::expand_rdata(reader, r, out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
