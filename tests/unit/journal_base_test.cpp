// A zone's serial rewritten (serial-policy increment), the journal's base
// on disk and the last version rebuilt from it (zone/journal_base), and
// the fingerprint a journal is saved with.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "dns/wire.hpp"
#include "support/files.hpp"
#include "zone/diff.hpp"
#include "zone/journal_base.hpp"
#include "zone/journal_file.hpp"
#include "zone/loader.hpp"

namespace rpdns::zone {
namespace {

std::string apex(uint32_t serial) {
  return "$ORIGIN ix.test.\n$TTL 300\n@ SOA ns1 host " + std::to_string(serial) +
         " 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n";
}

std::shared_ptr<Zone> load(const std::string& text) {
  auto loaded = load_zone_text("ix.test", "test.zone", text);
  EXPECT_TRUE(loaded.errors.empty()) << loaded.errors.front().to_string();
  return loaded.zone;
}

uint32_t soa_serial(const Zone& zone) {
  auto rdata = zone.soa->first_rdata();
  return dns::SoaView{rdata.data(), rdata.size()}.serial();
}

TEST(ZoneSerial, SetSerialRewritesTheSoaRecord) {
  auto before = load(apex(7) + "www A 192.0.2.10\n");
  auto after = load(apex(7) + "www A 192.0.2.10\n");
  ASSERT_TRUE(set_serial(*after, 4294967295u));
  EXPECT_EQ(after->serial, 4294967295u);
  EXPECT_EQ(soa_serial(*after), 4294967295u);
  EXPECT_TRUE(only_serial_differs(*diff(*before, *after)));
  EXPECT_EQ(soa_serial(*before), 7u);
  auto changed = load(apex(9) + "www A 192.0.2.11\n");
  EXPECT_FALSE(only_serial_differs(*diff(*before, *changed)));
  auto other_timer = load(
      "$ORIGIN ix.test.\n$TTL 300\n@ SOA ns1 host 9 3600 600 86400 301\n@ NS ns1\n"
      "ns1 A 192.0.2.1\nwww A 192.0.2.10\n");
  EXPECT_FALSE(only_serial_differs(*diff(*before, *other_timer)));
}

// Its SOA's RRSIG would no longer verify: a signed zone keeps its serial.
TEST(ZoneSerial, ASignedZoneKeepsItsSerial) {
  auto loaded = load_zone("signed.example", std::string(RPDNS_TEST_ZONES) + "/unit/signed/signed.example.zone");
  ASSERT_TRUE(loaded.zone);
  ASSERT_TRUE(loaded.zone->is_signed);
  uint32_t serial = loaded.zone->serial;
  EXPECT_FALSE(set_serial(*loaded.zone, serial + 1));
  EXPECT_EQ(loaded.zone->serial, serial);
  EXPECT_EQ(soa_serial(*loaded.zone), serial);
}

class JournalBase : public ::testing::Test {
 protected:
  void SetUp() override {
    v1_ = load(apex(1) + "www A 192.0.2.10\n");
    v2_ = load(apex(2) + "www A 192.0.2.11\n");
    v3_ = load(apex(3) + "www A 192.0.2.12\nnew TXT \"x\"\n");
    ASSERT_TRUE(follow(v1_.get(), *v2_, {}));
    ASSERT_TRUE(follow(v2_.get(), *v3_, {}));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_ = test::test_dir("journal-base");
  std::string file_ = dir_ + "/ix.test.zone";
  dns::WireName origin_ = *dns::WireName::from_text("ix.test");
  std::shared_ptr<Zone> v1_, v2_, v3_;
};

TEST_F(JournalBase, TheLastVersionIsTheBaseWithTheChangesSinceIt) {
  std::string error, problem;
  ASSERT_TRUE(write_base(*v1_, file_, error)) << error;
  auto last = rebuild_last(origin_, file_, v3_->journal, problem);
  ASSERT_NE(last, nullptr) << problem;
  EXPECT_EQ(last->serial, 3u);
  EXPECT_TRUE(no_difference(*diff(*last, *v3_)));  // the same records (in another order)
  EXPECT_EQ(last->journal, v3_->journal);
  EXPECT_EQ(last->base_serial, std::optional<uint32_t>(1));
  ASSERT_TRUE(write_base(*v3_, file_, error)) << error;  // the base at the journal's end
  last = rebuild_last(origin_, file_, v3_->journal, problem);
  ASSERT_NE(last, nullptr) << problem;
  EXPECT_TRUE(no_difference(*diff(*last, *v3_)));  // the same records (in another order)
}

TEST_F(JournalBase, ABaseTheJournalDoesNotReachIsNotUsed) {
  std::string error, problem;
  EXPECT_EQ(rebuild_last(origin_, file_, v3_->journal, problem), nullptr);
  EXPECT_NE(problem.find("there is no base"), std::string::npos) << problem;
  auto other = load(apex(9) + "www A 192.0.2.10\n");
  ASSERT_TRUE(write_base(*other, file_, error)) << error;
  problem.clear();
  EXPECT_EQ(rebuild_last(origin_, file_, v3_->journal, problem), nullptr);
  EXPECT_NE(problem.find("has serial 9, which the journal does not reach"), std::string::npos) << problem;
  test::write_atomically(base_path(file_), "garbage\n");
  problem.clear();
  EXPECT_EQ(rebuild_last(origin_, file_, v3_->journal, problem), nullptr);
  EXPECT_NE(problem.find("does not load"), std::string::npos) << problem;
}

// A base is rewritten only once the journal no longer reaches it.
TEST_F(JournalBase, IsReachedWhileTheJournalHoldsAChangeFromIt) {
  EXPECT_FALSE(base_reached(*v3_));  // none known
  v3_->base_serial = 1;
  EXPECT_TRUE(base_reached(*v3_));
  v3_->base_serial = 3;
  EXPECT_TRUE(base_reached(*v3_));
  auto v4 = load(apex(4) + "www A 192.0.2.13\n");
  ASSERT_TRUE(follow(v3_.get(), *v4, {.max_bytes = 1 << 20, .max_depth = 1}));
  v4->base_serial = 1;
  EXPECT_FALSE(base_reached(*v4));  // the change from 1 was dropped
}

// The journal keeps the fingerprint of the files it was saved with, which
// changes with any of them.
TEST_F(JournalBase, TheJournalKeepsItsFilesFingerprint) {
  std::string error, problem;
  std::vector<SourceFile> sources{{.path = file_, .size = 10, .mtime_ns = 5, .inode = 7, .hash = 0}};
  uint64_t fingerprint = sources_fingerprint(sources);
  ASSERT_TRUE(write_journal(v3_->journal.get(), v3_->origin, file_ + ".jnl", error, fingerprint)) << error;
  uint64_t back = 0;
  ASSERT_NE(read_journal(file_ + ".jnl", v3_->origin, problem, &back), nullptr) << problem;
  EXPECT_EQ(back, fingerprint);
  sources[0].mtime_ns = 6;
  EXPECT_NE(sources_fingerprint(sources), fingerprint);
  sources[0].mtime_ns = 5;
  sources.push_back({.path = dir_ + "/included", .size = 1, .mtime_ns = 1, .inode = 1, .hash = 0});
  EXPECT_NE(sources_fingerprint(sources), fingerprint);
}

}  // namespace
}  // namespace rpdns::zone
