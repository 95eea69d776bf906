// Request parsing: RFC 1035 §4.1 (header, question, records), §4.1.4
// (compression), RFC 9619 (QDCOUNT is one), RFC 6891 §6.1 (OPT).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/packet.hpp"
#include "dns/query.hpp"

namespace {

using rpdns::dns::parse_query;
using rpdns::dns::ParseStatus;
using rpdns::dns::Query;

// The shared builder, plus a shortcut to parse what it built.
struct Packet : rpdns::test::PacketBuilder {
  ParseStatus parse(Query& q) const { return parse_query(b.data(), b.size(), q); }
};

using rpdns::test::wire;

// RFC 1035 §4.1.1 / §4.1.2: header fields and the question.
TEST(ParseQuery, PlainQuery) {
  Packet p;
  p.header(0xBEEF, 0x0100, 1, 0, 0, 0).question("www.example.com", 28, 1);
  Query q;
  ASSERT_EQ(p.parse(q), ParseStatus::ok);
  EXPECT_EQ(q.id, 0xBEEF);
  EXPECT_EQ(q.flags, 0x0100);
  EXPECT_EQ(q.opcode, 0u);
  EXPECT_TRUE(q.has_question);
  EXPECT_EQ(q.qname.view(), wire("www.example.com"));
  EXPECT_EQ(q.qname.labels, 3u);
  EXPECT_EQ(q.qtype, 28);
  EXPECT_EQ(q.qclass, 1);
  EXPECT_FALSE(q.has_edns);
}

// RFC 4343 §3: matching is case-insensitive, so the name is folded, but the
// raw question is kept so it can be echoed unchanged (0x20 randomisation).
TEST(ParseQuery, QnameLoweredQuestionKeptRaw) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0).question("WwW.ExAmPlE.cOm", 1, 1);
  Query q;
  ASSERT_EQ(p.parse(q), ParseStatus::ok);
  EXPECT_EQ(q.qname.view(), wire("www.example.com"));
  ASSERT_EQ(q.question_len, wire("WwW.ExAmPlE.cOm").size() + 4);
  std::vector<uint8_t> raw(q.question, q.question + q.question_len);
  std::vector<uint8_t> sent(p.b.begin() + 12, p.b.end());
  EXPECT_EQ(raw, sent);
}

// RFC 1035 §4.1.1: OPCODE is bits 1-4 of the flags word.
TEST(ParseQuery, OpcodeExtracted) {
  Packet p;
  p.header(1, 2u << 11, 1, 0, 0, 0).question("example.com");
  Query q;
  ASSERT_EQ(p.parse(q), ParseStatus::ok);
  EXPECT_EQ(q.opcode, 2u);
}

// RFC 1035 §4.1.1: fewer than 12 bytes is not even a header.
TEST(ParseQuery, ShortPacketDropped) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0);
  p.b.pop_back();
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::drop);
  EXPECT_EQ(parse_query(p.b.data(), 0, q), ParseStatus::drop);
}

// RFC 1035 §4.1.1: QR=1 is a response; answering it could start a loop.
TEST(ParseQuery, ResponseDropped) {
  Packet p;
  p.header(1, 0x8000, 1, 0, 0, 0).question("example.com");
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::drop);
}

// RFC 9619 §4: a QUERY must carry exactly one question.
TEST(ParseQuery, QdcountZeroIsFormerr) {
  Packet p;
  p.header(1, 0, 0, 0, 0, 0);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
  EXPECT_FALSE(q.has_question);
}

TEST(ParseQuery, QdcountTwoIsFormerr) {
  Packet p;
  p.header(1, 0, 2, 0, 0, 0).question("a.example.com").question("b.example.com");
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 1035 §2.3.4: labels are at most 63 octets (64+ are the 0x40/0x80
// label types, not plain labels).
TEST(ParseQuery, LongLabelIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0).question(std::string(64, 'a') + ".com");
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 1035 §2.3.4: at most 255 octets for the whole name.
TEST(ParseQuery, LongNameIsFormerr) {
  std::string a63(63, 'a');
  Packet ok;
  ok.header(1, 0, 1, 0, 0, 0).question(a63 + "." + a63 + "." + a63 + "." + std::string(61, 'b'));
  Query q;
  EXPECT_EQ(ok.parse(q), ParseStatus::ok);
  EXPECT_EQ(q.qname.len, 255u);
  Packet bad;
  bad.header(1, 0, 1, 0, 0, 0).question(a63 + "." + a63 + "." + a63 + "." + std::string(62, 'b'));
  EXPECT_EQ(bad.parse(q), ParseStatus::formerr);
}

// RFC 1035 §4.1.4: a pointer in the first name could only point into the
// header, so it cannot be a valid name.
TEST(ParseQuery, PointerInQuestionIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0).u8(3).u8('w').u8('w').u8('w').u16(0xC000 | 4).u16(1).u16(1);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 1035 §4.1.2: QTYPE and QCLASS must follow the name.
TEST(ParseQuery, TruncatedQuestionIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 0).question("example.com");
  p.b.resize(p.b.size() - 1);  // QCLASS cut short
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
  Packet cut;
  cut.header(1, 0, 1, 0, 0, 0).u8(7).u8('e').u8('x');  // label runs off the end
  EXPECT_EQ(cut.parse(q), ParseStatus::formerr);
}

// RFC 6891 §6.1.2-§6.1.3: requestor's UDP size, version and DO bit.
TEST(ParseQuery, OptFields) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com").opt(4096, 0, true);
  Query q;
  ASSERT_EQ(p.parse(q), ParseStatus::ok);
  EXPECT_TRUE(q.has_edns);
  EXPECT_EQ(q.edns_udp_size, 4096);
  EXPECT_EQ(q.edns_version, 0u);
  EXPECT_TRUE(q.edns_do);
}

// RFC 6891 §6.1.3: VERSION is the second octet of the TTL field; the
// first is the extended rcode, which must not leak into the version.
TEST(ParseQuery, OptVersionOctet) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com");
  p.u8(0).u16(41).u16(1232).u8(0xAB).u8(1).u16(0).u16(0);
  Query q;
  ASSERT_EQ(p.parse(q), ParseStatus::ok);
  EXPECT_EQ(q.edns_version, 1u);
  EXPECT_FALSE(q.edns_do);
}

// RFC 6891 §6.1.2: options are {code, length, data}; well-formed ones pass.
TEST(ParseQuery, OptWithOptionsOk) {
  std::vector<uint8_t> cookie = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<uint8_t> empty_option = {0, 12, 0, 0};
  std::vector<uint8_t> both = cookie;
  both.insert(both.end(), empty_option.begin(), empty_option.end());
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com").opt(1232, 0, false, both);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::ok);
  EXPECT_TRUE(q.has_edns);
}

// RFC 6891 §6.1.2: an option length running past the RDATA is malformed.
TEST(ParseQuery, OptOptionOverrunIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com").opt(1232, 0, false, {0, 10, 0, 9, 1, 2, 3, 4});
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
  EXPECT_TRUE(q.has_question);
}

// RFC 6891 §6.1.2: RDATA shorter than one option header is malformed.
TEST(ParseQuery, OptPartialOptionHeaderIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com").opt(1232, 0, false, {0, 10, 0});
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 6891 §6.1.1: one OPT at most.
TEST(ParseQuery, TwoOptsIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 2).question("example.com").opt(1232, 0, false).opt(1232, 0, false);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
  // The request did carry OPT, so the FORMERR reply carries one (RFC 6891 §7).
  EXPECT_TRUE(q.has_edns);
}

// RFC 6891 §6.1.1: OPT belongs in the additional section only.
TEST(ParseQuery, OptInAnswerIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 1, 0, 0).question("example.com").opt(1232, 0, false);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

TEST(ParseQuery, OptInAuthorityIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 1, 0).question("example.com").opt(1232, 0, false);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 6891 §6.1.2: the OPT owner MUST be the root.
TEST(ParseQuery, OptWithNonRootOwnerIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com");
  p.name("example.com").u16(41).u16(1232).u32(0).u16(0);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 1035 §4.1.4: a record's owner may point back at the question.
TEST(ParseQuery, BackwardPointerInAdditionalOk) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 2).question("example.com");
  p.u16(0xC000 | 12).u16(1).u16(1).u32(60).u16(4).u32(0xC0000201);  // example.com A
  p.opt(1232, 0, false);
  Query q;
  ASSERT_EQ(p.parse(q), ParseStatus::ok);
  EXPECT_TRUE(q.has_edns);
}

// RFC 1035 §4.1.4: a pointer to itself would loop forever.
TEST(ParseQuery, PointerLoopIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com");
  auto self = static_cast<unsigned>(p.b.size());
  p.u16(0xC000 | self).u16(1).u16(1).u32(60).u16(0);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 1035 §4.1.4: pointers refer to a *prior* occurrence; two names that
// point at each other form a loop.
TEST(ParseQuery, MutualPointerLoopIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 2).question("example.com");
  auto first = static_cast<unsigned>(p.b.size());
  // First record: label "a" then a pointer to the second record's owner.
  auto second = first + 2 + 2 + 10;
  p.u8(1).u8('a').u16(0xC000 | second).u16(1).u16(1).u32(60).u16(0);
  ASSERT_EQ(p.b.size(), second);
  p.u16(0xC000 | first).u16(1).u16(1).u32(60).u16(0);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

TEST(ParseQuery, ForwardPointerIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com");
  auto here = static_cast<unsigned>(p.b.size());
  p.u16(0xC000 | (here + 12)).u16(1).u16(1).u32(60).u16(0);
  p.name("example.com");  // a valid name sits where the pointer aims
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 1035 §4.1.3: RDLENGTH must not run past the message.
TEST(ParseQuery, RdlengthOverrunIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com");
  p.u16(0xC000 | 12).u16(1).u16(1).u32(60).u16(8).u32(0xC0000201);
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 1035 §4.1.1: the section counts must be honoured; a record promised
// by ARCOUNT but missing is malformed.
TEST(ParseQuery, MissingAdditionalRecordIsFormerr) {
  Packet p;
  p.header(1, 0, 1, 0, 0, 1).question("example.com");
  Query q;
  EXPECT_EQ(p.parse(q), ParseStatus::formerr);
}

// RFC 1035 §4.1.3: records in a request's answer section are stepped over.
TEST(ParseQuery, AnswerRecordsSkipped) {
  Packet p;
  p.header(1, 0, 1, 1, 0, 1).question("example.com", 6);
  p.u16(0xC000 | 12).u16(1).u16(1).u32(60).u16(4).u32(0xC0000201);
  p.opt(1400, 0, false);
  Query q;
  ASSERT_EQ(p.parse(q), ParseStatus::ok);
  EXPECT_EQ(q.qtype, 6);
  EXPECT_EQ(q.edns_udp_size, 1400);
}

}  // namespace
