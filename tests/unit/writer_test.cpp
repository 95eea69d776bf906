// Reply writing: RFC 1035 §4.1 (layout), §4.1.4 (compression), RFC 2181 §9
// (TC, whole RRsets), RFC 2308 §3 (TTL cap), RFC 3597 §4 / RFC 2782 (which
// names may be compressed), RFC 6891 §6.1.2-§6.1.3 (OPT). Replies are checked
// byte by byte and decoded with ldns as an independent codec.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dns/writer.hpp"
#include "support/ldns_decode.hpp"
#include "support/packet.hpp"

namespace {

using rpdns::dns::ReplyWriter;
using rpdns::dns::RRsetWire;
using rpdns::dns::Section;

using rpdns::test::rdf_text;
using rpdns::test::wire;

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<uint8_t> question(const std::string& name, uint16_t qtype) {
  std::vector<uint8_t> q = bytes(wire(name));
  q.push_back(static_cast<uint8_t>(qtype >> 8));
  q.push_back(static_cast<uint8_t>(qtype));
  q.push_back(0);
  q.push_back(1);
  return q;
}

// Records as the zone layer stores them: TTL, RDLENGTH, RDATA.
struct Records {
  std::vector<uint8_t> data;
  uint16_t count = 0;

  Records& add(uint32_t ttl, const std::vector<uint8_t>& rdata) {
    uint8_t head[6];
    rpdns::dns::write_u32(head, ttl);
    rpdns::dns::write_u16(head + 4, static_cast<uint16_t>(rdata.size()));
    data.insert(data.end(), head, head + 6);
    data.insert(data.end(), rdata.begin(), rdata.end());
    ++count;
    return *this;
  }
  RRsetWire as(uint16_t type) const { return {type, count, data}; }
};

std::vector<uint8_t> ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }

std::vector<uint8_t> cat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

rpdns::test::Packet decode(const ReplyWriter& w) { return rpdns::test::decode(w.data(), w.size()); }

uint16_t header_word(const ReplyWriter& w, std::size_t at) { return rpdns::dns::read_u16(w.data() + at); }

struct WriterTest : ::testing::Test {
  uint8_t buf[rpdns::dns::kMaxMessageSize];
  ReplyWriter w;
};

// RFC 1035 §4.1.1-§4.1.2: ID, flags, QDCOUNT=1 and the question echoed.
TEST_F(WriterTest, BeginWritesHeaderAndQuestion) {
  auto q = question("www.example.com", 1);
  w.begin(buf, 512, 0xABCD, 0x8500, q, false);
  EXPECT_EQ(w.size(), 12 + q.size());
  EXPECT_EQ(header_word(w, 0), 0xABCD);
  EXPECT_EQ(header_word(w, 2), 0x8500);
  EXPECT_EQ(header_word(w, 4), 1);
  EXPECT_EQ(header_word(w, 6), 0);
  EXPECT_EQ(header_word(w, 8), 0);
  EXPECT_EQ(header_word(w, 10), 0);
  EXPECT_EQ(std::vector<uint8_t>(w.data() + 12, w.data() + w.size()), q);
}

TEST_F(WriterTest, BeginWithoutQuestion) {
  w.begin(buf, 512, 7, 0x8001, {}, false);
  EXPECT_EQ(w.size(), 12u);
  EXPECT_EQ(header_word(w, 4), 0);
}

// RFC 1035 §4.1.1: the flag and RCODE helpers touch only their bits.
TEST_F(WriterTest, FlagsAndRcode) {
  w.begin(buf, 512, 1, 0x8100, {}, false);
  w.set_flags(rpdns::dns::flag::AA);
  EXPECT_EQ(header_word(w, 2), 0x8500);
  w.set_rcode(3);
  EXPECT_EQ(header_word(w, 2), 0x8503);
  w.clear_flags(rpdns::dns::flag::AA);
  EXPECT_EQ(header_word(w, 2), 0x8103);
  w.set_rcode(0);
  EXPECT_EQ(header_word(w, 2), 0x8100);
}

// RFC 1035 §4.1.4: an owner equal to the qname becomes a pointer to offset
// 12, where the question name starts.
TEST_F(WriterTest, OwnerCompressedToQuestion) {
  auto q = question("www.example.com", 1);
  w.begin(buf, 512, 1, 0x8000, q, false);
  Records a;
  a.add(300, ipv4(192, 0, 2, 1));
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("www.example.com"), 1, a.as(1)));
  std::size_t at = 12 + q.size();
  EXPECT_EQ(w.data()[at], 0xC0);
  EXPECT_EQ(w.data()[at + 1], 12);
  EXPECT_EQ(w.size(), at + 2 + 10 + 4);
  EXPECT_EQ(header_word(w, 6), 1);
  EXPECT_EQ(w.count(Section::answer), 1u);
}

// RFC 1035 §4.1.4: names in NS RDATA share suffixes with earlier names; the
// result is smaller than the uncompressed form and still decodes.
TEST_F(WriterTest, NsRdataCompressed) {
  auto q = question("example.com", 2);
  w.begin(buf, 512, 1, 0x8000, q, false);
  Records ns;
  ns.add(3600, bytes(wire("ns1.example.com"))).add(3600, bytes(wire("ns2.example.com")));
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, ns.as(2)));
  std::size_t uncompressed = 12 + q.size() + 2 * (wire("example.com").size() + 10) + 2 * wire("ns1.example.com").size();
  EXPECT_LT(w.size(), uncompressed);
  auto p = decode(w);
  ASSERT_TRUE(p);
  ldns_rr_list* answer = ldns_pkt_answer(p.get());
  ASSERT_EQ(ldns_rr_list_rr_count(answer), 2u);
  EXPECT_EQ(rdf_text(ldns_rr_owner(ldns_rr_list_rr(answer, 0))), "example.com.");
  EXPECT_EQ(rdf_text(ldns_rr_rdf(ldns_rr_list_rr(answer, 0), 0)), "ns1.example.com.");
  EXPECT_EQ(rdf_text(ldns_rr_rdf(ldns_rr_list_rr(answer, 1), 0)), "ns2.example.com.");
  EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(answer, 1)), 3600u);
}

// RFC 1035 §4.1.4 / §3.3.13: both SOA names compress; the five numbers
// after them are copied unchanged.
TEST_F(WriterTest, SoaNamesCompressedNumbersKept) {
  auto q = question("example.com", 6);
  w.begin(buf, 512, 1, 0x8000, q, false);
  std::vector<uint8_t> numbers;
  for (uint32_t v : {2024010101u, 7200u, 3600u, 1209600u, 300u}) {
    uint8_t b[4];
    rpdns::dns::write_u32(b, v);
    numbers.insert(numbers.end(), b, b + 4);
  }
  auto rdata = cat(cat(bytes(wire("ns1.example.com")), bytes(wire("hostmaster.example.com"))), numbers);
  Records soa;
  soa.add(3600, rdata);
  ASSERT_TRUE(w.put_rrset(Section::authority, wire("example.com"), 1, soa.as(6)));
  EXPECT_LT(w.size(), 12 + q.size() + wire("example.com").size() + 10 + rdata.size());
  EXPECT_EQ(header_word(w, 8), 1);  // NSCOUNT
  auto p = decode(w);
  ASSERT_TRUE(p);
  ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_authority(p.get()), 0);
  ASSERT_NE(rr, nullptr);
  EXPECT_EQ(rdf_text(ldns_rr_rdf(rr, 0)), "ns1.example.com.");
  EXPECT_EQ(rdf_text(ldns_rr_rdf(rr, 1)), "hostmaster.example.com.");
  EXPECT_EQ(ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)), 2024010101u);
  EXPECT_EQ(ldns_rdf2native_int32(ldns_rr_rdf(rr, 6)), 300u);
}

// RFC 1035 §3.3.9: MX PREFERENCE (2 bytes) stays, the exchange compresses.
TEST_F(WriterTest, MxPreferenceKeptExchangeCompressed) {
  auto q = question("example.com", 15);
  w.begin(buf, 512, 1, 0x8000, q, false);
  Records mx;
  mx.add(3600, cat({0, 10}, bytes(wire("mail.example.com"))));
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, mx.as(15)));
  // owner pointer (2) + fixed (10) + preference (2) + "\4mail" (5) + pointer (2)
  EXPECT_EQ(w.size(), 12 + q.size() + 2 + 10 + 2 + 5 + 2);
  auto p = decode(w);
  ASSERT_TRUE(p);
  ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(p.get()), 0);
  ASSERT_NE(rr, nullptr);
  EXPECT_EQ(ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)), 10);
  EXPECT_EQ(rdf_text(ldns_rr_rdf(rr, 1)), "mail.example.com.");
}

// RFC 2782: the SRV target MUST NOT be compressed; RFC 3597 §4: nor may
// names in RDATA of types defined after RFC 1035.
TEST_F(WriterTest, SrvTargetNotCompressed) {
  auto q = question("example.com", 33);
  w.begin(buf, 512, 1, 0x8000, q, false);
  auto rdata = cat({0, 10, 0, 60, 0x13, 0xC4}, bytes(wire("example.com")));
  Records srv;
  srv.add(3600, rdata);
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, srv.as(33)));
  ASSERT_EQ(w.size(), 12 + q.size() + 2 + 10 + rdata.size());
  std::vector<uint8_t> tail(w.data() + w.size() - rdata.size(), w.data() + w.size());
  EXPECT_EQ(tail, rdata);
}

TEST_F(WriterTest, UnknownTypeRdataVerbatim) {
  auto q = question("example.com", 65534);
  w.begin(buf, 512, 1, 0x8000, q, false);
  auto rdata = bytes(wire("example.com"));
  Records unknown;
  unknown.add(60, rdata);
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, unknown.as(65534)));
  std::vector<uint8_t> tail(w.data() + w.size() - rdata.size(), w.data() + w.size());
  EXPECT_EQ(tail, rdata);
  EXPECT_EQ(rpdns::dns::read_u16(w.data() + w.size() - rdata.size() - 2), rdata.size());
}

// RFC 2181 §9: an RRset goes in whole or not at all; a failed put leaves
// the message exactly as it was.
TEST_F(WriterTest, PutThatDoesNotFitChangesNothing) {
  auto q = question("www.example.com", 1);
  std::size_t start = 12 + q.size();
  // Room for one A record with a compressed owner (16 bytes), not two.
  w.begin(buf, start + 20, 1, 0x8000, q, false);
  std::vector<uint8_t> before(w.data(), w.data() + w.size());
  Records two;
  two.add(300, ipv4(192, 0, 2, 1)).add(300, ipv4(192, 0, 2, 2));
  EXPECT_FALSE(w.put_rrset(Section::answer, wire("www.example.com"), 1, two.as(1)));
  EXPECT_EQ(w.size(), start);
  EXPECT_EQ(w.count(Section::answer), 0u);
  EXPECT_EQ(std::vector<uint8_t>(w.data(), w.data() + w.size()), before);
  Records one;
  one.add(300, ipv4(192, 0, 2, 3));
  EXPECT_TRUE(w.put_rrset(Section::answer, wire("www.example.com"), 1, one.as(1)));
  EXPECT_EQ(w.size(), start + 16);
}

// RFC 1035 §4.1.4: a failed put must not leave compression targets behind
// that point into bytes which are no longer part of the message.
TEST_F(WriterTest, FailedPutForgetsItsNames) {
  auto q = question("example.org", 2);
  std::size_t start = 12 + q.size();
  std::size_t first_ns = 2 + 10 + wire("ns1.other.net").size();
  w.begin(buf, start + first_ns + 4, 1, 0x8000, q, false);
  Records ns;
  ns.add(60, bytes(wire("ns1.other.net"))).add(60, bytes(wire("ns2.other.net")));
  ASSERT_FALSE(w.put_rrset(Section::answer, wire("example.org"), 1, ns.as(2)));
  ASSERT_EQ(w.size(), start);
  Records a;
  a.add(60, ipv4(192, 0, 2, 1));
  // A new A record (owner 15 bytes + 10 + 4 = 29 bytes) overwrites the area
  // the failed put used; a stale pointer would now point into its RDATA.
  ASSERT_TRUE(w.put_rrset(Section::additional, wire("ns1.other.net"), 1, a.as(1)));
  EXPECT_EQ(w.size(), start + 29);
  auto p = decode(w);
  ASSERT_TRUE(p);
  ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_additional(p.get()), 0);
  ASSERT_NE(rr, nullptr);
  EXPECT_EQ(rdf_text(ldns_rr_owner(rr)), "ns1.other.net.");
}

// RFC 2308 §3: the cap lowers a TTL above it and leaves one below it.
TEST_F(WriterTest, TtlCap) {
  auto q = question("example.com", 1);
  w.begin(buf, 512, 1, 0x8000, q, false);
  Records high;
  high.add(3600, ipv4(192, 0, 2, 1));
  Records low;
  low.add(60, ipv4(192, 0, 2, 2));
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, high.as(1), 300));
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, low.as(1), 300));
  auto p = decode(w);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p.get()), 0)), 300u);
  EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p.get()), 1)), 60u);
}

// RFC 1035 §4.1.1: each section's count goes in its own header word.
TEST_F(WriterTest, SectionCountsInHeader) {
  auto q = question("example.com", 1);
  w.begin(buf, 512, 1, 0x8000, q, false);
  Records a;
  a.add(60, ipv4(192, 0, 2, 1)).add(60, ipv4(192, 0, 2, 2));
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, a.as(1)));
  ASSERT_TRUE(w.put_rrset(Section::authority, wire("example.com"), 1, a.as(1)));
  ASSERT_TRUE(w.put_rrset(Section::additional, wire("example.com"), 1, a.as(1)));
  ASSERT_TRUE(w.put_rrset(Section::additional, wire("example.com"), 1, a.as(1)));
  EXPECT_EQ(header_word(w, 6), 2);
  EXPECT_EQ(header_word(w, 8), 2);
  EXPECT_EQ(header_word(w, 10), 4);
}

// RFC 2181 §9 / RFC 6891 §7: a truncated reply keeps header and question,
// drops every record and sets TC.
TEST_F(WriterTest, TruncateKeepsHeaderAndQuestion) {
  auto q = question("example.com", 1);
  w.begin(buf, 512, 0x4242, 0x8500, q, false);
  Records a;
  a.add(60, ipv4(192, 0, 2, 1));
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, a.as(1)));
  ASSERT_TRUE(w.put_rrset(Section::authority, wire("example.com"), 1, a.as(1)));
  ASSERT_TRUE(w.put_rrset(Section::additional, wire("example.com"), 1, a.as(1)));
  w.truncate();
  EXPECT_EQ(w.size(), 12 + q.size());
  EXPECT_EQ(header_word(w, 0), 0x4242);
  EXPECT_EQ(header_word(w, 2), 0x8500 | rpdns::dns::flag::TC);
  EXPECT_EQ(header_word(w, 4), 1);
  EXPECT_EQ(header_word(w, 6), 0);
  EXPECT_EQ(header_word(w, 8), 0);
  EXPECT_EQ(header_word(w, 10), 0);
  EXPECT_EQ(std::vector<uint8_t>(w.data() + 12, w.data() + w.size()), q);
  auto p = decode(w);
  ASSERT_TRUE(p);
  EXPECT_TRUE(ldns_pkt_tc(p.get()));
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 0);
}

// RFC 1035 §4.1.4: after truncation, compression may only refer to the
// question, which is all that is left.
TEST_F(WriterTest, WritesAfterTruncateDecode) {
  auto q = question("example.com", 15);
  w.begin(buf, 512, 1, 0x8000, q, false);
  Records mx;
  mx.add(60, cat({0, 5}, bytes(wire("mx.example.com"))));
  ASSERT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, mx.as(15)));
  w.truncate();
  Records a;
  a.add(60, ipv4(192, 0, 2, 9));
  ASSERT_TRUE(w.put_rrset(Section::additional, wire("mx.example.com"), 1, a.as(1)));
  auto p = decode(w);
  ASSERT_TRUE(p);
  ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_additional(p.get()), 0);
  ASSERT_NE(rr, nullptr);
  EXPECT_EQ(rdf_text(ldns_rr_owner(rr)), "mx.example.com.");
}

// RFC 6891 §6.1.2-§6.1.3: OPT = root owner, TYPE 41, CLASS = UDP size, TTL =
// extended-rcode high bits, version 0, DO|Z, RDLENGTH 0. An extended rcode
// of 16 (BADVERS) is 1 in the OPT and 0 in the header.
TEST_F(WriterTest, OptLayout) {
  auto q = question("example.com", 1);
  w.begin(buf, 512, 1, 0x8000, q, true);
  std::size_t at = w.size();
  w.put_opt(1232, 16, true);
  ASSERT_EQ(w.size(), at + 11);
  std::vector<uint8_t> expected = {0, 0, 41, 0x04, 0xD0, 1, 0, 0x80, 0, 0, 0};
  EXPECT_EQ(std::vector<uint8_t>(w.data() + at, w.data() + w.size()), expected);
  EXPECT_EQ(header_word(w, 10), 1);
  EXPECT_EQ(w.data()[3] & 0x0F, 0);
  auto p = decode(w);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_edns_udp_size(p.get()), 1232);
  EXPECT_EQ(ldns_pkt_edns_extended_rcode(p.get()), 1);
  EXPECT_TRUE(ldns_pkt_edns_do(p.get()));
}

// RFC 6891 §6.1.3: a plain rcode goes only in the header's low 4 bits.
TEST_F(WriterTest, OptWithSmallRcode) {
  auto q = question("example.com", 1);
  w.begin(buf, 512, 1, 0x8000, q, true);
  std::size_t at = w.size();
  w.put_opt(4096, 3, false);
  EXPECT_EQ(w.data()[at + 5], 0);                         // extended rcode octet
  EXPECT_EQ(rpdns::dns::read_u16(w.data() + at + 7), 0);  // DO clear
  EXPECT_EQ(w.data()[3] & 0x0F, 3);
}

// RFC 6891 §7: the OPT must fit even when records filled the message.
TEST_F(WriterTest, ReservedOptAlwaysFits) {
  auto q = question("example.com", 1);
  std::size_t limit = 12 + q.size() + 16 + 11;  // one A record + OPT
  w.begin(buf, limit, 1, 0x8000, q, true);
  Records a;
  a.add(60, ipv4(192, 0, 2, 1));
  EXPECT_TRUE(w.put_rrset(Section::answer, wire("example.com"), 1, a.as(1)));
  EXPECT_FALSE(w.put_rrset(Section::answer, wire("example.com"), 1, a.as(1)));
  w.put_opt(1232, 0, false);
  EXPECT_EQ(w.size(), limit);
  auto p = decode(w);
  ASSERT_TRUE(p);
  EXPECT_EQ(ldns_pkt_edns_udp_size(p.get()), 1232);
}

// RFC 6891 §7: no OPT unless the request had one (nothing was reserved).
TEST_F(WriterTest, OptWithoutReservationWritesNothing) {
  auto q = question("example.com", 1);
  w.begin(buf, 512, 1, 0x8000, q, false);
  std::size_t before = w.size();
  w.put_opt(1232, 0, false);
  EXPECT_EQ(w.size(), before);
  EXPECT_EQ(header_word(w, 10), 0);
}

// RFC 1035 §3.3.11 (NS), §3.3.9 (MX), RFC 2782 (SRV): where the name whose
// addresses go in the additional section starts.
TEST(AdditionalNameOffset, Types) {
  EXPECT_EQ(rpdns::dns::additional_name_offset(rpdns::dns::type::NS), 0);
  EXPECT_EQ(rpdns::dns::additional_name_offset(rpdns::dns::type::MX), 2);
  EXPECT_EQ(rpdns::dns::additional_name_offset(rpdns::dns::type::SRV), 6);
  EXPECT_EQ(rpdns::dns::additional_name_offset(rpdns::dns::type::A), -1);
  EXPECT_EQ(rpdns::dns::additional_name_offset(rpdns::dns::type::CNAME), -1);
}

}  // namespace
