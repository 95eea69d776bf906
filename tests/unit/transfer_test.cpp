// AXFR streaming (answer/transfer, RFC 5936 §2.2): the SOA first and last,
// every record once, and, for a record no message can hold, a failed
// transfer (RCODE SERVFAIL, RFC 5936 §2.2) rather than a silently
// incomplete one.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "xfr/client.hpp"
#include "xfr/transfer.hpp"
#include "support/packet.hpp"
#include "zone/builder.hpp"

namespace {

using rpdns::test::bytes;
using rpdns::test::PacketBuilder;
using rpdns::test::wire;

// example.com with its SOA and NS, plus `extra` records of TYPE65000 with
// RDATA of the given sizes under big<i>.example.com (built directly, as the
// loader itself refuses records too big for a message).
std::shared_ptr<rpdns::zone::Zone> make_zone(const std::vector<std::size_t>& extra) {
  rpdns::zone::ParsedRecords parsed;
  parsed.files = {"test"};
  std::string origin = wire("example.com");
  std::string soa = wire("ns1.example.com") + wire("h.example.com") + std::string(20, '\1');
  parsed.add(origin, rpdns::dns::type::SOA, 60, bytes(soa), 0, 1);
  parsed.add(origin, rpdns::dns::type::NS, 60, bytes(wire("ns1.example.com")), 0, 2);
  for (std::size_t i = 0; i < extra.size(); ++i) {
    parsed.add(wire("big" + std::to_string(i) + ".example.com"), 65000, 60, bytes(std::string(extra[i], 'x')), 0,
               static_cast<uint32_t>(3 + i));
  }
  auto zone = std::make_shared<rpdns::zone::Zone>();
  zone->origin = origin;
  zone->labels = 2;
  std::vector<rpdns::zone::LoadError> errors;
  rpdns::zone::LoadWarnings warnings;
  EXPECT_TRUE(rpdns::zone::build_zone(parsed, "test", *zone, errors, warnings));
  return zone;
}

struct Message {
  uint8_t rcode;
  uint16_t answers;
  uint16_t last_type;  // of the last answer record, 0 when none
};

// Runs a whole transfer; each message summed up.
std::vector<Message> transfer(const rpdns::zone::Zone& zone, bool* failed = nullptr) {
  PacketBuilder q;
  q.header(0x1234, 0, 1, 0, 0, 0).question("example.com", 252);
  std::span<const uint8_t> question{q.b.data() + 12, q.b.size() - 12};
  rpdns::xfr::TransferWriter writer(std::make_shared<rpdns::zone::ZoneSet>(), zone, 0x1234, question);
  std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
  std::vector<Message> messages;
  for (std::size_t size; (size = writer.next(out.data())) != 0 && messages.size() < 100;) {
    Message m{static_cast<uint8_t>(out[3] & 0x0f), rpdns::dns::read_u16(out.data() + 6), 0};
    // The last record's type: walk to it (names here are uncompressed or a pointer).
    std::size_t pos = 12;
    for (unsigned i = 0; i < rpdns::dns::read_u16(out.data() + 4); ++i) {
      while (out[pos] != 0 && (out[pos] & 0xc0) == 0) pos += out[pos] + 1u;
      pos += (out[pos] & 0xc0) ? 2 : 1;
      pos += 4;
    }
    for (unsigned i = 0; i < m.answers; ++i) {
      while (out[pos] != 0 && (out[pos] & 0xc0) == 0) pos += out[pos] + 1u;
      pos += (out[pos] & 0xc0) ? 2 : 1;
      m.last_type = rpdns::dns::read_u16(out.data() + pos);
      pos += 10u + rpdns::dns::read_u16(out.data() + pos + 8);
    }
    EXPECT_LE(pos, size);
    messages.push_back(m);
  }
  if (failed != nullptr) *failed = writer.failed();
  return messages;
}

TEST(Transfer, EveryRecordBetweenTwoSoas) {
  auto zone = make_zone({60000, 60000});
  bool failed = true;
  auto messages = transfer(*zone, &failed);
  EXPECT_FALSE(failed);
  ASSERT_GE(messages.size(), 2u);
  unsigned records = 0;
  for (const auto& m : messages) {
    EXPECT_EQ(m.rcode, 0u);
    records += m.answers;
  }
  EXPECT_EQ(records, 2u + 2u + 1u);  // SOA, NS, two big records, SOA
  EXPECT_EQ(messages.back().last_type, rpdns::dns::type::SOA);
}

// A record of 65,500 bytes of RDATA fits no message: the transfer ends with
// a SERVFAIL message holding no records, and never sends the closing SOA
// that would make the client take an incomplete zone as whole.
TEST(Transfer, RecordTooBigForAnyMessageFailsTheTransfer) {
  auto zone = make_zone({100, 65500, 100});
  bool failed = false;
  auto messages = transfer(*zone, &failed);
  EXPECT_TRUE(failed);
  ASSERT_GE(messages.size(), 2u);
  EXPECT_EQ(messages.back().rcode, rpdns::dns::rcode::SERVFAIL);
  EXPECT_EQ(messages.back().answers, 0u);
  for (std::size_t i = 0; i + 1 < messages.size(); ++i) {
    EXPECT_EQ(messages[i].rcode, 0u);
    EXPECT_FALSE(i > 0 && messages[i].last_type == rpdns::dns::type::SOA) << "closing SOA sent in message " << i;
  }
}

// RFC 6891 §7 and RFC 7314 §3: a transfer asked with OPT and EXPIRE has
// the OPT, with the EXPIRE seconds, as the last record of every message,
// also when the records fill the message; without OPT, none.
TEST(Transfer, EveryMessageEndsWithTheOptAndItsExpire) {
  auto zone = make_zone({30000, 30000, 30000});
  PacketBuilder q;
  q.header(0x1234, 0, 1, 0, 0, 0).question("example.com", 252);
  std::span<const uint8_t> question{q.b.data() + 12, q.b.size() - 12};
  auto run = [&](rpdns::xfr::TransferOpt opt) {
    rpdns::xfr::TransferWriter writer(std::make_shared<rpdns::zone::ZoneSet>(), *zone, 0x1234, question, 0, opt);
    std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
    std::vector<std::vector<uint8_t>> messages;
    for (std::size_t size; (size = writer.next(out.data())) != 0 && messages.size() < 100;)
      messages.emplace_back(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
    return messages;
  };
  auto with = run({true, 1232, 86400});
  ASSERT_GE(with.size(), 2u);
  for (const auto& m : with) {
    EXPECT_EQ(rpdns::dns::read_u16(m.data() + 10), 1u);  // ARCOUNT: the OPT
    // The OPT (11 bytes) with one option, EXPIRE (code 9, length 4), ends the message.
    ASSERT_GE(m.size(), 12u + 19u);
    const uint8_t* opt = m.data() + m.size() - 19;
    EXPECT_EQ(rpdns::dns::read_u16(opt + 1), rpdns::dns::type::OPT);
    EXPECT_EQ(rpdns::dns::read_u16(opt + 11), 9u);
    EXPECT_EQ(rpdns::dns::read_u32(opt + 15), 86400u);
  }
  for (const auto& m : run({})) EXPECT_EQ(rpdns::dns::read_u16(m.data() + 10), 0u);
  auto no_expire = run({true, 1232, -1});
  ASSERT_FALSE(no_expire.empty());
  const auto& last = no_expire.back();
  EXPECT_EQ(rpdns::dns::read_u16(last.data() + last.size() - 10), rpdns::dns::type::OPT);
  EXPECT_EQ(rpdns::dns::read_u16(last.data() + last.size() - 2), 0u);  // RDLENGTH: no option
}

// The secondary's side: a message is read only with at most one TSIG, as its
// last record (RFC 8945 §5.1). Two are refused before ldns sees them (ldns
// 1.8.3 leaks all but the last; found by fuzz_axfr).
TEST(Transfer, ReaderRefusesAMessageWithTwoTsigRecords) {
  auto zone = make_zone({});
  PacketBuilder q;
  q.header(0x1234, 0, 1, 0, 0, 0).question("example.com", 252);
  std::span<const uint8_t> question{q.b.data() + 12, q.b.size() - 12};
  rpdns::xfr::TransferWriter writer(std::make_shared<rpdns::zone::ZoneSet>(), *zone, 0x1234, question);
  std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
  out.resize(writer.next(out.data()));
  ASSERT_FALSE(out.empty());
  auto read = [&](const std::vector<uint8_t>& m) {
    rpdns::xfr::AxfrResult result;
    result.records.files.push_back("test");
    bool complete = false;
    return rpdns::xfr::read_axfr_message(m.data(), m.size(), 0x1234, wire("example.com"), true, result, complete);
  };
  EXPECT_EQ(read(out), "");
  // Two empty records of type TSIG (250) under the root, class ANY.
  auto doubled = out;
  for (int i = 0; i < 2; ++i) doubled.insert(doubled.end(), {0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0});
  rpdns::dns::write_u16(doubled.data() + 10, static_cast<uint16_t>(rpdns::dns::read_u16(doubled.data() + 10) + 2));
  EXPECT_EQ(read(doubled), "a TSIG record that is not the last");
}

}  // namespace
