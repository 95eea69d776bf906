// Differences between zone versions and the journal that keeps them
// (zone/diff, zone/journal), and IXFR answered from it (RFC 1995).
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "answer/answer.hpp"
#include "support/files.hpp"
#include "support/ldns_decode.hpp"
#include "support/net.hpp"
#include "xfr/transfer.hpp"
#include "zone/apply.hpp"
#include "zone/builder.hpp"
#include "zone/diff.hpp"
#include "zone/journal_file.hpp"
#include "zone/loader.hpp"

namespace {

using rpdns::zone::Change;
using rpdns::zone::ChangePtr;
using rpdns::zone::Journal;
using rpdns::zone::JournalLimits;
using rpdns::zone::RecordList;

std::string apex(uint32_t serial, unsigned ttl = 300) {
  return "$ORIGIN ix.test.\n$TTL " + std::to_string(ttl) + "\n@ SOA ns1 host " + std::to_string(serial) +
         " 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n";
}

std::shared_ptr<rpdns::zone::Zone> load(const std::string& text) {
  auto loaded = rpdns::zone::load_zone_text("ix.test", "test.zone", text);
  EXPECT_TRUE(loaded.errors.empty()) << loaded.errors.front().to_string();
  return loaded.zone;
}

// "www.ix.test. A 300 192.0.2.10"; other types end in their RDATA's length.
std::string describe(const rpdns::zone::ChangedRecord& r) {
  std::string out = rpdns::dns::to_text(r.owner) + " " + rpdns::zone::type_text(r.type) + " " +
                    std::to_string(rpdns::dns::read_u32(r.record.data()));
  auto rdata = r.record.subspan(6);
  if (r.type == rpdns::dns::type::A && rdata.size() == 4) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, rdata.data(), text, sizeof text);
    return out + " " + text;
  }
  return out + " (" + std::to_string(rdata.size()) + " octets)";
}

std::vector<std::string> listed(const RecordList& list) {
  std::vector<std::string> out;
  list.for_each([&out](const rpdns::zone::ChangedRecord& r) { out.push_back(describe(r)); });
  return out;
}

// The records after the SOA, in any order.
std::set<std::string> after_soa(const RecordList& list) {
  auto all = listed(list);
  return {all.begin() + 1, all.end()};
}

TEST(ZoneDiff, ListsRemovedAndAddedRecordsAfterTheirSoas) {
  auto v1 = load(apex(1) + "www A 192.0.2.10\nwww A 192.0.2.11\nold TXT \"going\"\n");
  auto v2 = load(apex(2) + "www A 192.0.2.12\nwww A 192.0.2.10\nnew A 192.0.2.20\n");
  ChangePtr change = rpdns::zone::diff(*v1, *v2);
  EXPECT_EQ(change->from, 1u);
  EXPECT_EQ(change->to, 2u);
  auto removed = listed(change->removed);
  auto added = listed(change->added);
  ASSERT_FALSE(removed.empty());
  ASSERT_FALSE(added.empty());
  EXPECT_EQ(removed.front(), "ix.test. SOA 300 (47 octets)");
  EXPECT_EQ(added.front(), "ix.test. SOA 300 (47 octets)");
  EXPECT_EQ(change->removed.count(), 3u);
  EXPECT_EQ(after_soa(change->removed),
            (std::set<std::string>{"www.ix.test. A 300 192.0.2.11", "old.ix.test. TXT 300 (6 octets)"}));
  EXPECT_EQ(after_soa(change->added),
            (std::set<std::string>{"www.ix.test. A 300 192.0.2.12", "new.ix.test. A 300 192.0.2.20"}));
}

// RFC 1995 §4 sends records with their TTLs: a new TTL is the old record
// removed and the new one added.
TEST(ZoneDiff, ANewTtlRemovesAndAddsTheRecord) {
  auto v1 = load(apex(1) + "www 300 A 192.0.2.10\n");
  auto v2 = load(apex(2) + "www 900 A 192.0.2.10\n");
  ChangePtr change = rpdns::zone::diff(*v1, *v2);
  EXPECT_EQ(after_soa(change->removed), (std::set<std::string>{"www.ix.test. A 300 192.0.2.10"}));
  EXPECT_EQ(after_soa(change->added), (std::set<std::string>{"www.ix.test. A 900 192.0.2.10"}));
}

// Names holding only NSEC3 records are outside the zone's index (RFC 5155
// §7.2.9) yet part of the zone: their changes are changes too.
TEST(ZoneDiff, NamesHoldingOnlyNsec3AreCompared) {
  std::string nsec3 = "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom NSEC3 1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr A\n";
  auto v1 = load(apex(1) + nsec3);
  auto v2 = load(apex(2));
  ChangePtr change = rpdns::zone::diff(*v1, *v2);
  ASSERT_EQ(change->removed.count(), 2u);
  EXPECT_EQ(listed(change->removed)[1].substr(0, 45), "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.ix.test. NSE");
  auto back = rpdns::zone::diff(*v2, *v1);
  EXPECT_EQ(back->added.count(), 2u);
  // Found in both versions, such a name is no change at all.
  auto v3 = load(apex(3) + nsec3 + "www A 192.0.2.1\n");
  auto same = rpdns::zone::diff(*v1, *v3);
  EXPECT_EQ(same->removed.count(), 1u);
  EXPECT_EQ(same->added.count(), 2u);
}

TEST(ZoneDiff, SameRecordsUnderTheSameSerialAreNoDifference) {
  auto v1 = load(apex(7) + "www A 192.0.2.10\nwww A 192.0.2.11\n");
  auto v2 = load(apex(7) + "www A 192.0.2.11\nwww A 192.0.2.10\n");
  EXPECT_TRUE(rpdns::zone::no_difference(*rpdns::zone::diff(*v1, *v2)));
  auto v3 = load(apex(7) + "www A 192.0.2.11\n");
  EXPECT_FALSE(rpdns::zone::no_difference(*rpdns::zone::diff(*v1, *v3)));
}

// A greater serial extends the journal; the same zone written again keeps
// it; a change under a serial that did not grow is refused (RFC 1982: no
// secondary would take it).
TEST(ZoneDiff, FollowKeepsTheJournalOnlyAlongGrowingSerials) {
  JournalLimits limits;
  auto v1 = load(apex(1) + "www A 192.0.2.10\n");
  auto v2 = load(apex(2) + "www A 192.0.2.11\n");
  ASSERT_TRUE(rpdns::zone::follow(v1.get(), *v2, limits));
  ASSERT_NE(v2->journal, nullptr);
  EXPECT_EQ(v2->journal->depth(), 1u);
  auto again = load(apex(2) + "www A 192.0.2.11\n");
  ASSERT_TRUE(rpdns::zone::follow(v2.get(), *again, limits));
  EXPECT_EQ(again->journal, v2->journal);
  auto lower = load(apex(1) + "www A 192.0.2.99\n");
  EXPECT_FALSE(rpdns::zone::follow(v2.get(), *lower, limits));
  EXPECT_EQ(lower->journal, nullptr);
  auto same_serial = load(apex(2) + "www A 192.0.2.99\n");
  EXPECT_FALSE(rpdns::zone::follow(v2.get(), *same_serial, limits));
  auto first = load(apex(9));
  EXPECT_TRUE(rpdns::zone::follow(nullptr, *first, limits));
  EXPECT_EQ(first->journal, nullptr);
}

// RFC 1982: 4294967295 -> 1 is an increase.
TEST(ZoneDiff, FollowsASerialThatWrapsRound) {
  auto v1 = load(apex(4294967295u) + "www A 192.0.2.10\n");
  auto v2 = load(apex(1) + "www A 192.0.2.11\n");
  ASSERT_TRUE(rpdns::zone::follow(v1.get(), *v2, {}));
  ASSERT_NE(v2->journal, nullptr);
  EXPECT_EQ(v2->journal->since(4294967295u).size(), 1u);
}

// A change of `bytes` (about) from serial `from` to `to`.
ChangePtr step(uint32_t from, uint32_t to, std::size_t bytes = 0) {
  auto change = std::make_shared<Change>();
  change->from = from;
  change->to = to;
  std::vector<uint8_t> record(6 + bytes, 0);
  rpdns::dns::write_u16(record.data() + 4, static_cast<uint16_t>(bytes));
  change->removed.add(std::string("\2ix\4test\0", 9), rpdns::dns::type::SOA, record);
  change->added.add(std::string("\2ix\4test\0", 9), rpdns::dns::type::SOA, record);
  return change;
}

TEST(Journal, KeepsTheNewestChangesWithinItsDepth) {
  JournalLimits limits{.max_bytes = 1 << 20, .max_depth = 3};
  std::shared_ptr<const Journal> journal;
  for (uint32_t serial = 1; serial <= 5; ++serial)
    journal = Journal::extend(journal.get(), step(serial, serial + 1), limits);
  ASSERT_NE(journal, nullptr);
  EXPECT_EQ(journal->depth(), 3u);
  EXPECT_EQ(journal->first_serial(), 3u);
  EXPECT_EQ(journal->last_serial(), 6u);
  EXPECT_EQ(journal->since(3).size(), 3u);
  EXPECT_EQ(journal->since(5).size(), 1u);
  EXPECT_TRUE(journal->since(2).empty());  // dropped: the client gets the whole zone
  EXPECT_TRUE(journal->since(6).empty());
}

TEST(Journal, KeepsTheNewestChangesWithinItsSize) {
  JournalLimits limits{.max_bytes = 3000, .max_depth = 100};
  std::shared_ptr<const Journal> journal;
  for (uint32_t serial = 1; serial <= 5; ++serial) {
    journal = Journal::extend(journal.get(), step(serial, serial + 1, 500), limits);
  }
  ASSERT_NE(journal, nullptr);
  EXPECT_LE(journal->bytes(), 3000u);
  EXPECT_EQ(journal->depth(), 2u);  // each change holds two records of 500 octets and more
  EXPECT_EQ(Journal::extend(journal.get(), step(6, 7, 2000), limits), nullptr) << "a change bigger than the journal";
  EXPECT_EQ(Journal::extend(nullptr, step(1, 2), {.max_bytes = 1 << 20, .max_depth = 0}), nullptr);
}

// A change that does not start where the journal ends (the zone went back,
// or was replaced whole) starts a new journal.
TEST(Journal, StartsAgainAfterAGap) {
  auto journal = Journal::extend(nullptr, step(1, 2), {});
  journal = Journal::extend(journal.get(), step(2, 3), {});
  journal = Journal::extend(journal.get(), step(10, 11), {});
  EXPECT_EQ(journal->depth(), 1u);
  EXPECT_TRUE(journal->since(1).empty());
  EXPECT_EQ(journal->since(10).size(), 1u);
}

// Serials wrap round (RFC 1982): one the journal holds twice names two
// versions, and the client gets the whole zone rather than a guess.
TEST(Journal, ASerialHeldTwiceIsNotAnswered) {
  std::shared_ptr<const Journal> journal;
  uint32_t serials[] = {0, 0x7fffffff, 0xfffffffe, 0, 5};
  for (std::size_t i = 0; i + 1 < std::size(serials); ++i) {
    journal = Journal::extend(journal.get(), step(serials[i], serials[i + 1]), {});
  }
  ASSERT_EQ(journal->depth(), 4u);
  EXPECT_TRUE(journal->since(0).empty());
  EXPECT_EQ(journal->since(0x7fffffff).size(), 3u);
}

TEST(RecordList, FromBytesTakesOnlyWellFormedRecords) {
  RecordList list;
  std::vector<uint8_t> record = {0, 0, 1, 44, 0, 4, 192, 0, 2, 1};
  list.add(std::string("\3www\2ix\4test\0", 13), rpdns::dns::type::A, record);
  list.add(std::string("\2ix\4test\0", 9), rpdns::dns::type::A, record);
  auto bytes = list.data();
  auto copy = RecordList::from_bytes(bytes, 2);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(listed(*copy), listed(list));
  EXPECT_EQ(RecordList::from_bytes(bytes, 3), nullptr) << "count";
  EXPECT_EQ(RecordList::from_bytes(bytes.first(bytes.size() - 1), 2), nullptr) << "truncated RDATA";
  std::vector<uint8_t> bad(bytes.begin(), bytes.end());
  bad[0] = 0xc0;  // a compression pointer where a label belongs
  EXPECT_EQ(RecordList::from_bytes(bad, 2), nullptr) << "pointer";
  bad[0] = 60;  // a label running past the end
  EXPECT_EQ(RecordList::from_bytes(std::span<const uint8_t>(bad).first(20), 1), nullptr) << "label";
}

// ---- IXFR answered from the journal ----

// An IXFR request for ix.test from `serial` (RFC 1995 §3: our SOA in the authority section).
std::vector<uint8_t> ixfr_request(uint32_t serial) {
  ldns_pkt* pkt = nullptr;
  ldns_pkt_query_new_frm_str(&pkt, "ix.test.", LDNS_RR_TYPE_IXFR, LDNS_RR_CLASS_IN, 0);
  ldns_rr* soa = nullptr;
  std::string text = "ix.test. 0 IN SOA a. b. " + std::to_string(serial) + " 0 0 0 0";
  ldns_rr_new_frm_str(&soa, text.c_str(), 0, nullptr, nullptr);
  ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, soa);
  uint8_t* wire = nullptr;
  size_t size = 0;
  ldns_pkt2wire(&wire, pkt, &size);
  std::vector<uint8_t> out(wire, wire + size);
  free(wire);
  ldns_pkt_free(pkt);
  return out;
}

// The question of an IXFR for ix.test, as the TransferWriter echoes it.
std::span<const uint8_t> ixfr_question() {
  static const uint8_t question[] = {2, 'i', 'x', 4, 't', 'e', 's', 't', 0, 0, 251, 0, 1};
  return question;
}

class IxfrAnswers : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v1 = load(apex(1) + "www A 192.0.2.10\nold A 192.0.2.30\n");
    auto v2 = load(apex(2) + "www A 192.0.2.11\nold A 192.0.2.30\n");
    auto v3 = load(apex(3) + "www A 192.0.2.11\n");
    ASSERT_TRUE(rpdns::zone::follow(v1.get(), *v2, {}));
    ASSERT_TRUE(rpdns::zone::follow(v2.get(), *v3, {}));
    snapshot_.zones.add(v3);
    snapshot_.access.allow_transfer(v3->origin, {{*rpdns::policy::Prefix::parse("192.0.2.0/24"), ""}});
  }

  rpdns::answer::Reply ask(uint32_t serial, bool tcp, std::vector<uint8_t>& out) {
    auto q = ixfr_request(serial);
    out.assign(rpdns::dns::kMaxMessageSize, 0);
    sockaddr_in from = rpdns::test::ipv4("192.0.2.53");
    auto reply = rpdns::answer::respond(q.data(), q.size(), snapshot_, {}, tcp, out.data(),
                                        reinterpret_cast<const sockaddr*>(&from));
    out.resize(reply.size);
    return reply;
  }

  // The SOA serials of an answer section, in order.
  static std::vector<uint32_t> soa_serials(const std::vector<uint8_t>& message) {
    auto pkt = rpdns::test::decode(message);
    std::vector<uint32_t> out;
    const ldns_rr_list* answer = ldns_pkt_answer(pkt.get());
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(answer); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(answer, i);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) out.push_back(ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)));
    }
    return out;
  }

  rpdns::answer::Snapshot snapshot_;
};

TEST_F(IxfrAnswers, OverUdpTheChangesSinceTheClientsSerial) {
  std::vector<uint8_t> out;
  ask(2, false, out);
  auto pkt = rpdns::test::decode(out);
  ASSERT_TRUE(pkt);
  EXPECT_EQ(ldns_pkt_get_rcode(pkt.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(soa_serials(out), (std::vector<uint32_t>{3, 2, 3, 3}));
  // SOA 3, SOA 2, old A removed, SOA 3, SOA 3.
  EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(pkt.get())), 5u);
  ask(1, false, out);
  EXPECT_EQ(soa_serials(out), (std::vector<uint32_t>{3, 1, 2, 2, 3, 3}));
}

// RFC 1995 §2 and §4: a serial the journal does not reach gets the SOA
// alone over UDP (the client asks again over TCP) and the whole zone over TCP.
TEST_F(IxfrAnswers, ASerialNotInTheJournalGetsTheSoaOrTheZone) {
  std::vector<uint8_t> out;
  auto udp = ask(0, false, out);
  EXPECT_EQ(udp.transfer, nullptr);
  EXPECT_EQ(soa_serials(out), (std::vector<uint32_t>{3}));
  auto tcp = ask(0, true, out);
  EXPECT_NE(tcp.transfer, nullptr);
  EXPECT_TRUE(tcp.changes.empty());
  auto incremental = ask(1, true, out);
  EXPECT_NE(incremental.transfer, nullptr);
  EXPECT_EQ(incremental.changes.size(), 2u);
}

// Changes that do not fit a datagram: the SOA alone, never a part of them.
TEST(IxfrOverUdp, ChangesTooBigForADatagramGetTheSoaAlone) {
  std::string many;
  for (int i = 0; i < 100; ++i) many += "host" + std::to_string(i) + " A 192.0.2." + std::to_string(i) + "\n";
  auto v1 = load(apex(1));
  auto v2 = load(apex(2) + many);
  ASSERT_TRUE(rpdns::zone::follow(v1.get(), *v2, {}));
  rpdns::answer::Snapshot snapshot;
  snapshot.zones.add(v2);
  snapshot.access.allow_transfer(v2->origin, {{*rpdns::policy::Prefix::parse("192.0.2.0/24"), ""}});
  auto request = ixfr_request(1);
  std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
  sockaddr_in from = rpdns::test::ipv4("192.0.2.53");
  auto reply = rpdns::answer::respond(request.data(), request.size(), snapshot, {}, false, out.data(),
                                      reinterpret_cast<const sockaddr*>(&from));
  auto decoded = rpdns::test::decode(out.data(), reply.size);
  ASSERT_TRUE(decoded);
  EXPECT_LE(reply.size, 512u);
  EXPECT_FALSE(ldns_pkt_tc(decoded.get()));
  ASSERT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(decoded.get())), 1u);
  EXPECT_EQ(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(decoded.get()), 0)), LDNS_RR_TYPE_SOA);
}

// Over TCP the changes stream over as many messages as they need, the SOA
// of the zone first and last.
TEST(IxfrOverTcp, ChangesSpanAsManyMessagesAsNeeded) {
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "host" + std::to_string(i) + " TXT \"" + std::string(40, 'x') + "\"\n";
  auto v1 = load(apex(1));
  auto v2 = load(apex(2) + many);
  ASSERT_TRUE(rpdns::zone::follow(v1.get(), *v2, {}));
  rpdns::xfr::TransferWriter writer(std::make_shared<rpdns::zone::ZoneSet>(), *v2, 7, ixfr_question(), 0, {},
                                    v2->journal->since(1));
  std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
  std::size_t messages = 0, records = 0;
  std::vector<uint32_t> serials;
  for (std::size_t size; (size = writer.next(out.data())) != 0 && messages < 100; ++messages) {
    std::vector<uint8_t> message(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
    auto pkt = rpdns::test::decode(message);
    ASSERT_TRUE(pkt) << "message " << messages;
    records += ldns_rr_list_rr_count(ldns_pkt_answer(pkt.get()));
    const ldns_rr_list* answer = ldns_pkt_answer(pkt.get());
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(answer); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(answer, i);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) serials.push_back(ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)));
    }
  }
  EXPECT_FALSE(writer.failed());
  EXPECT_GT(messages, 2u);
  EXPECT_EQ(records, 3000u + 4u);
  EXPECT_EQ(serials, (std::vector<uint32_t>{2, 1, 2, 2}));
}

// Several changes go out condensed into one (RFC 1995 §4): the SOAs of the
// versions between are not sent.
TEST(IxfrOverTcp, AChainIsSentCondensed) {
  auto v1 = load(apex(1) + "www A 192.0.2.10\n");
  auto v2 = load(apex(2) + "www A 192.0.2.11\n");
  auto v3 = load(apex(3) + "www A 192.0.2.12\n");
  ASSERT_TRUE(rpdns::zone::follow(v1.get(), *v2, {}));
  ASSERT_TRUE(rpdns::zone::follow(v2.get(), *v3, {}));
  rpdns::xfr::TransferWriter writer(std::make_shared<rpdns::zone::ZoneSet>(), *v3, 7, ixfr_question(), 0, {},
                                    v3->journal->since(1));
  std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
  std::size_t size = writer.next(out.data());
  ASSERT_GT(size, 0u);
  auto pkt = rpdns::test::decode(out.data(), size);
  ASSERT_TRUE(pkt);
  std::string text = rpdns::test::section_text(ldns_pkt_answer(pkt.get()));
  EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(pkt.get())), 6u) << text;  // SOA 3, SOA 1, .10, SOA 3, .12, SOA 3
  EXPECT_EQ(text.find("192.0.2.11"), std::string::npos) << text;
  EXPECT_EQ(writer.next(out.data()), 0u);
}

// ---- the journal on disk (zone/journal_file) ----

class JournalFile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v1 = load(apex(1) + "www A 192.0.2.10\n");
    auto v2 = load(apex(2) + "www A 192.0.2.11\n");
    auto v3 = load(apex(3) + "www A 192.0.2.12\nnew TXT \"x\"\n");
    ASSERT_TRUE(rpdns::zone::follow(v1.get(), *v2, {}));
    ASSERT_TRUE(rpdns::zone::follow(v2.get(), *v3, {}));
    journal_ = v3->journal;
    origin_ = v3->origin;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_ = rpdns::test::test_dir("journal-file");
  std::string path_ = dir_ + "/ix.test.zone.jnl";
  std::shared_ptr<const Journal> journal_;
  std::string origin_;
};

TEST_F(JournalFile, ReadsBackWhatWasWritten) {
  std::string error, problem;
  ASSERT_TRUE(rpdns::zone::write_journal(journal_.get(), origin_, path_, error)) << error;
  auto back = rpdns::zone::read_journal(path_, origin_, 3, problem);
  ASSERT_NE(back, nullptr) << problem;
  ASSERT_EQ(back->depth(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->changes()[i]->from, journal_->changes()[i]->from);
    EXPECT_EQ(back->changes()[i]->to, journal_->changes()[i]->to);
    EXPECT_EQ(listed(back->changes()[i]->removed), listed(journal_->changes()[i]->removed));
    EXPECT_EQ(listed(back->changes()[i]->added), listed(journal_->changes()[i]->added));
  }
  EXPECT_EQ(rpdns::zone::read_journal(dir_ + "/none.jnl", origin_, 3, problem), nullptr);
}

// Never served: a journal ending at another serial (the zone file changed
// while the server was down), another zone's, or one damaged anywhere.
TEST_F(JournalFile, RefusesStaleForeignAndDamagedJournals) {
  std::string error, problem;
  ASSERT_TRUE(rpdns::zone::write_journal(journal_.get(), origin_, path_, error)) << error;
  EXPECT_EQ(rpdns::zone::read_journal(path_, origin_, 4, problem), nullptr);
  EXPECT_NE(problem.find("ends at serial 3"), std::string::npos) << problem;
  problem.clear();
  EXPECT_EQ(rpdns::zone::read_journal(path_, std::string("\5other\4test\0", 12), 3, problem), nullptr);
  EXPECT_NE(problem.find("another zone"), std::string::npos) << problem;
  std::string bytes = rpdns::test::read_file(path_);
  for (std::size_t at : {std::size_t{0}, std::size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x40);
    rpdns::test::write_atomically(path_, damaged);
    problem.clear();
    EXPECT_EQ(rpdns::zone::read_journal(path_, origin_, 3, problem), nullptr) << "byte " << at;
    EXPECT_NE(problem.find("damaged"), std::string::npos) << problem;
  }
  rpdns::test::write_atomically(path_, bytes.substr(0, bytes.size() - 10));
  problem.clear();
  EXPECT_EQ(rpdns::zone::read_journal(path_, origin_, 3, problem), nullptr);
  EXPECT_FALSE(problem.empty());
}

// With nothing left to keep, the file goes.
TEST_F(JournalFile, ANullJournalRemovesTheFile) {
  std::string error;
  ASSERT_TRUE(rpdns::zone::write_journal(journal_.get(), origin_, path_, error)) << error;
  ASSERT_TRUE(std::filesystem::exists(path_));
  EXPECT_TRUE(rpdns::zone::write_journal(nullptr, origin_, path_, error)) << error;
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_TRUE(rpdns::zone::write_journal(nullptr, origin_, path_, error)) << "no file is no error";
}

}  // namespace

// ---- changes applied (zone/apply), as a secondary takes an IXFR ----

namespace rpdns::zone {
namespace {

// The zone `base` becomes with `changes` applied, compiled.
std::shared_ptr<Zone> applied(const Zone& base, std::span<const ChangePtr> changes, std::string& problem) {
  ParsedRecords records;
  records.files = {"IXFR"};
  problem = apply_changes(base, changes, records);
  if (!problem.empty()) return nullptr;
  auto zone = std::make_shared<Zone>();
  zone->origin = base.origin;
  zone->labels = base.labels;
  std::vector<LoadError> errors;
  LoadWarnings warnings;
  if (!build_zone(records, "IXFR", *zone, errors, warnings)) problem = errors.front().to_string();
  return problem.empty() ? zone : nullptr;
}

TEST(ApplyChanges, GivesTheZoneTheChangesLeadTo) {
  std::string nsec3 = "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom NSEC3 1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr A\n";
  auto v1 = load(apex(1) + "www A 192.0.2.10\nwww A 192.0.2.11\nold TXT \"x\"\n" + nsec3);
  auto v2 = load(apex(2) + "www A 192.0.2.12\nwww 900 A 192.0.2.11\nnew A 192.0.2.20\n");
  auto v3 = load(apex(3) + "www A 192.0.2.12\nwww 900 A 192.0.2.11\nnew2 A 192.0.2.21\n" + nsec3);
  ChangePtr chain[] = {diff(*v1, *v2), diff(*v2, *v3)};
  std::string problem;
  auto result = applied(*v1, chain, problem);
  ASSERT_NE(result, nullptr) << problem;
  EXPECT_EQ(result->serial, 3u);
  EXPECT_TRUE(no_difference(*diff(*v3, *result))) << listed(diff(*v3, *result)->added).size();
  auto one = applied(*v2, std::span<const ChangePtr>(chain).subspan(1), problem);
  ASSERT_NE(one, nullptr) << problem;
  EXPECT_TRUE(no_difference(*diff(*v3, *one)));
}

// A change that removes what is not there, or starts at another serial,
// is no version of ours: refused (the secondary then takes an AXFR).
TEST(ApplyChanges, RefusesChangesThatDoNotFitTheBase) {
  auto v1 = load(apex(1) + "www A 192.0.2.10\n");
  auto v2 = load(apex(2) + "www A 192.0.2.11\n");
  auto other = load(apex(1) + "www A 192.0.2.99\n");
  ChangePtr change = diff(*v1, *v2);
  std::string problem;
  EXPECT_EQ(applied(*other, std::span(&change, 1), problem), nullptr);
  EXPECT_NE(problem.find("removes www.ix.test. A, which is not there"), std::string::npos) << problem;
  EXPECT_EQ(applied(*v2, std::span(&change, 1), problem), nullptr);
  EXPECT_NE(problem.find("a change from serial 1 where ours is 2"), std::string::npos) << problem;
}

// RFC 1995 §4: a chain condensed into one change gives the same zone; a
// record added and removed again within it is not sent at all.
TEST(ApplyChanges, ACondensedChainGivesTheSameZone) {
  auto v1 = load(apex(1) + "www A 192.0.2.10\nold TXT \"x\"\n");
  auto v2 = load(apex(2) + "www A 192.0.2.11\nshort A 192.0.2.50\nold TXT \"x\"\n");
  auto v3 = load(apex(3) + "www A 192.0.2.11\nlater A 192.0.2.51\n");
  auto v4 = load(apex(4) + "www A 192.0.2.11\nlater A 192.0.2.51\nold TXT \"x\"\n");
  ChangePtr chain[] = {diff(*v1, *v2), diff(*v2, *v3), diff(*v3, *v4)};
  ChangePtr one = condense(chain);
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->from, 1u);
  EXPECT_EQ(one->to, 4u);
  EXPECT_EQ(after_soa(one->removed), (std::set<std::string>{"www.ix.test. A 300 192.0.2.10"}));
  EXPECT_EQ(after_soa(one->added),
            (std::set<std::string>{"www.ix.test. A 300 192.0.2.11", "later.ix.test. A 300 192.0.2.51"}));
  std::string problem;
  auto result = applied(*v1, std::span(&one, 1), problem);
  ASSERT_NE(result, nullptr) << problem;
  EXPECT_TRUE(no_difference(*diff(*v4, *result)));
  EXPECT_EQ(condense(std::span(chain, 1)), chain[0]);
}

}  // namespace
}  // namespace rpdns::zone
