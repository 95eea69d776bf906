// What a broken or hostile primary sends (issue 24): the secondary's
// readers (xfr/client) refuse what a zone file could not hold, trailing
// data and replies to other questions, and what they accept is kept in a
// copy that loads back to the same zone.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/name.hpp"
#include "support/files.hpp"
#include "support/packet.hpp"
#include "xfr/client.hpp"
#include "zone/builder.hpp"
#include "zone/loader.hpp"
#include "zone/master_writer.hpp"

namespace {

using rpdns::test::PacketBuilder;
using rpdns::test::TempDir;
using rpdns::test::wire;
namespace type = rpdns::dns::type;

constexpr uint16_t kId = 0x1234;
constexpr unsigned kReply = 0x8400;  // QR and AA

struct Rr {
  std::string owner;  // presentation, or wire when it starts with a length byte
  uint16_t type;
  uint32_t ttl;
  std::vector<uint8_t> rdata;
};

std::vector<uint8_t> rdata_of(const std::string& s) { return {s.begin(), s.end()}; }

// A wire owner whose first label is `label` as it is, under example.com.
std::string under_example(const std::string& label) {
  return std::string(1, static_cast<char>(label.size())) + label + wire("example.com");
}

std::vector<uint8_t> soa_rdata(uint32_t serial) {
  PacketBuilder p;
  p.name("ns1.example.com").name("h.example.com").u32(serial).u32(3600).u32(600).u32(86400).u32(60);
  return p.b;
}

// One AXFR reply message: our question, then `records` in the answer section.
std::vector<uint8_t> message(const std::vector<Rr>& records, const std::string& qname = "example.com",
                             unsigned qtype = type::AXFR) {
  PacketBuilder p;
  p.header(kId, kReply, 1, static_cast<unsigned>(records.size()), 0, 0).question(qname, qtype);
  for (const auto& r : records) {
    if (!r.owner.empty() && r.owner.back() == '\0') {
      for (char c : r.owner) p.u8(static_cast<uint8_t>(c));
    } else {
      p.name(r.owner);
    }
    p.u16(r.type).u16(1).u32(r.ttl).u16(static_cast<unsigned>(r.rdata.size()));
    p.b.insert(p.b.end(), r.rdata.begin(), r.rdata.end());
  }
  return p.b;
}

// A whole transfer in one message: the SOA, `middle`, the SOA again.
std::vector<uint8_t> whole(const std::vector<Rr>& middle) {
  std::vector<Rr> all{{"example.com", type::SOA, 60, soa_rdata(7)},
                      {"example.com", type::NS, 60, rdata_of(wire("ns1.example.com"))}};
  all.insert(all.end(), middle.begin(), middle.end());
  all.push_back({"example.com", type::SOA, 60, soa_rdata(7)});
  return message(all);
}

std::string read(const std::vector<uint8_t>& m, rpdns::xfr::AxfrResult& result, bool& complete) {
  result.records.files.push_back("test");
  return rpdns::xfr::read_axfr_message(m.data(), m.size(), kId, wire("example.com"), true, result, complete);
}

std::string read(const std::vector<uint8_t>& m) {
  rpdns::xfr::AxfrResult result;
  bool complete = false;
  return read(m, result, complete);
}

TEST(HostileTransfer, AWellFormedTransferIsAccepted) {
  rpdns::xfr::AxfrResult result;
  bool complete = false;
  EXPECT_EQ(read(whole({{"www.example.com", type::A, 60, {192, 0, 2, 1}}}), result, complete), "");
  EXPECT_TRUE(complete);
  EXPECT_EQ(result.serial, 7u);
  EXPECT_EQ(result.records.records.size(), 3u);
}

// Knot refuses such a transfer ("trailing data"); so do we.
TEST(HostileTransfer, TrailingDataIsRefused) {
  auto m = whole({});
  m.push_back(0);
  EXPECT_EQ(read(m), "trailing data after the last record");
}

TEST(HostileTransfer, AReplyToAnotherQuestionIsRefused) {
  std::vector<Rr> soa{{"example.com", type::SOA, 60, soa_rdata(7)}};
  EXPECT_NE(read(message(soa, "www.example.com")).find("another question"), std::string::npos);
  EXPECT_NE(read(message(soa, "example.com", type::SOA)).find("another question"), std::string::npos);
}

// Wire-valid RDATA the zone loader refuses is refused at transfer time,
// so it is never served and then lost at a restart.
TEST(HostileTransfer, RdataAZoneFileCouldNotHoldIsRefused) {
  struct Case {
    uint16_t type;
    std::vector<uint8_t> rdata;
  };
  std::vector<Case> cases = {
      {43, {}},                  // DS, empty
      {52, {}},                  // TLSA
      {44, {}},                  // SSHFP
      {53, {}},                  // SMIMEA
      {37, {}},                  // CERT
      {37, {0, 0, 0, 1, 5, 1}},  // CERT of type 0, reserved (ldns leaked refusing it)
      {61, {}},                  // OPENPGPKEY
      {49, {}},                  // DHCID
      {25, {}},                  // KEY
      {11, {192, 0, 2, 1, 6}},   // WKS without its bitmap
      {62, {0, 0, 0, 1, 0, 0}},  // CSYNC without its bitmap
      {type::A, {1, 2, 3}},
      {type::MX, {0, 10}},
      {type::TXT, {}},
  };
  for (const auto& c : cases) {
    std::string problem = read(whole({{"x.example.com", c.type, 60, c.rdata}}));
    EXPECT_NE(problem.find("x.example.com. " + rpdns::zone::type_text(c.type)), std::string::npos)
        << "type " << c.type << ": '" << problem << "'";
  }
}

TEST(HostileTransfer, ARecordNoMessageCouldCarryIsRefused) {
  std::vector<uint8_t> txt;
  for (int i = 0; i < 256; ++i) {
    txt.push_back(254);
    txt.insert(txt.end(), 254, 'x');
  }
  txt.push_back(119);
  txt.insert(txt.end(), 119, 'x');
  ASSERT_EQ(txt.size(), 65400u);
  // One record, alone in its message: it fits here, but not beside a longer question.
  std::vector<Rr> records{{"example.com", type::SOA, 60, soa_rdata(7)}, {"t.example.com", type::TXT, 60, txt}};
  rpdns::xfr::AxfrResult result;
  bool complete = false;
  std::string problem = read(message(records), result, complete);
  EXPECT_NE(problem.find("fits in no DNS message"), std::string::npos) << problem;
}

TEST(HostileTransfer, MetaTypesAreRefused) {
  for (uint16_t t : {uint16_t{0}, uint16_t{41}, uint16_t{251}, uint16_t{255}}) {
    EXPECT_NE(read(whole({{"x.example.com", t, 60, {}}})).find("never zone data"), std::string::npos) << t;
  }
}

// RFC 2181 §8, as the loader reads a zone file: served as 0, kept as 0.
TEST(HostileTransfer, ATtlWithItsTopBitSetIsZero) {
  rpdns::xfr::AxfrResult result;
  bool complete = false;
  ASSERT_EQ(read(whole({{"www.example.com", type::A, 0xFFFFFFFF, {192, 0, 2, 1}}}), result, complete), "");
  EXPECT_EQ(result.ttls_zeroed, 1u);
  EXPECT_EQ(result.records.records.back().ttl, 0u);
}

// Owners a master file gives meaning to, a compressed MX target, a type
// ldns cannot print: all accepted, built, kept and loaded back the same.
TEST(HostileTransfer, WhatIsAcceptedLoadsBackFromTheKeptCopy) {
  std::vector<Rr> middle = {
      {under_example("@"), type::A, 60, {192, 0, 2, 1}},
      {under_example("$x"), type::A, 60, {192, 0, 2, 2}},
      {under_example("\"a;"), type::TXT, 4294967295u, {0, 0, 1, '"'}},
      {"mx.example.com", type::MX, 60, {0, 10, 0xC0, 12}},
      {"k.example.com", 45 /* IPSECKEY */, 60, {10, 0, 2, 1, 2, 3}},
      {"u.example.com", 65280, 60, {1, 2, 3}},
  };
  rpdns::xfr::AxfrResult result;
  bool complete = false;
  ASSERT_EQ(read(whole(middle), result, complete), "");
  ASSERT_TRUE(complete);
  rpdns::zone::Zone z;
  z.origin = wire("example.com");
  z.labels = 2;
  std::vector<rpdns::zone::LoadError> errors;
  rpdns::zone::LoadWarnings warnings;
  ASSERT_TRUE(rpdns::zone::build_zone(result.records, "test", z, errors, warnings));
  EXPECT_EQ(z.record_count, 8u);
  TempDir dir;
  std::string path = (dir.path() / "kept.zone").string();
  std::string error;
  ASSERT_EQ(rpdns::zone::write_master_file(z, path, error), rpdns::zone::WriteStatus::written) << error;
  auto back = rpdns::zone::load_zone("example.com", path);
  ASSERT_TRUE(back.zone) << back.errors.front().to_string();
  EXPECT_EQ(rpdns::zone::first_difference(z, *back.zone), "");
  EXPECT_NE(back.zone->find(wire("mx.example.com")), nullptr);
  EXPECT_NE(back.zone->find(under_example("@")), nullptr);
}

std::string read_soa(const std::vector<uint8_t>& m, rpdns::xfr::SoaResult& out) {
  return rpdns::xfr::read_soa_reply(m.data(), m.size(), kId, wire("example.com"), out);
}

TEST(HostileSoaReply, OnlyOurQuestionWithNothingAfter) {
  std::vector<Rr> soa{{"example.com", type::SOA, 60, soa_rdata(9)}};
  rpdns::xfr::SoaResult out;
  EXPECT_EQ(read_soa(message(soa, "example.com", type::SOA), out), "");
  EXPECT_EQ(out.serial, 9u);
  rpdns::xfr::SoaResult other;
  EXPECT_NE(read_soa(message(soa, "www.example.com", type::SOA), other).find("another question"), std::string::npos);
  EXPECT_NE(read_soa(message(soa, "example.com", type::A), other).find("another question"), std::string::npos);
  auto trailing = message(soa, "example.com", type::SOA);
  trailing.push_back(1);
  EXPECT_EQ(read_soa(trailing, other), "trailing data after the last record");
  EXPECT_FALSE(other.ok);
}

// The SOA reply's record is checked as a zone file's SOA: a short one is refused.
TEST(HostileSoaReply, AMalformedSoaIsRefused) {
  std::vector<Rr> soa{{"example.com", type::SOA, 60, {0, 0, 1, 2}}};
  rpdns::xfr::SoaResult out;
  EXPECT_NE(read_soa(message(soa, "example.com", type::SOA), out).find("SOA"), std::string::npos);
  EXPECT_FALSE(out.ok);
}

}  // namespace
