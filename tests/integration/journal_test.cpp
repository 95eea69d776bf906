// The journal on disk (RFC 1995 IXFR across restarts): rpdns run as a
// process, restarted, changed while down and killed while it writes.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/ldns_decode.hpp"
#include "support/other_servers.hpp"
#include "support/server_process.hpp"
#include "zone/journal_file.hpp"

namespace rpdns::test {
namespace {

const std::string kOrigin("\2ix\4test\0", 9);

// ix.test at `serial`, with `hosts` names whose addresses change with it.
std::string versioned(unsigned serial, int hosts = 3) {
  std::string text = "$ORIGIN ix.test.\n$TTL 300\n@ SOA ns1 host " + std::to_string(serial) +
                     " 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2." + std::to_string(serial % 250) +
                     "\n";
  for (int i = 0; i < hosts; ++i) {
    text +=
        "h" + std::to_string(i) + " TXT \"version " + std::to_string(serial) + " of host " + std::to_string(i) + "\"\n";
  }
  return text;
}

// The SOA serials of kdig's IXFR answer over TCP, in order.
std::vector<std::string> ixfr_soas(uint16_t port, unsigned serial) {
  RunResult r = kdig(port, {"+tcp", "+nocookie", "ix.test", "IXFR=" + std::to_string(serial)});
  std::vector<std::string> serials;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    auto at = line.find("\tSOA\t");
    if (at == std::string::npos || line[0] == ';') continue;
    std::istringstream fields(line.substr(at + 5));
    std::string mname, rname, value;
    fields >> mname >> rname >> value;
    serials.push_back(value);
  }
  return serials;
}

class JournalOnDisk : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  std::vector<std::string> args() {
    return {"--zone", "ix.test=" + file_, "--allow-transfer", "127.0.0.1", "--workers", "1"};
  }

  // Serves ix.test at serial 1, reloads it at serial 2 and stops: the
  // journal (1 -> 2) and its base stay beside the file.
  void serve_serial_1_then_2() {
    write_atomically(file_, versioned(1));
    ServerProcess server(args(), "www.ix.test.");
    write_atomically(file_, versioned(2));
    kill(server.pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] { return serial_of(server.port(), "ix.test.") == "2"; }, std::chrono::seconds(5)));
    server.stop();
  }

  std::string dir_ = test_dir("journal");
  std::string file_ = dir_ + "/ix.test.zone";
};

// A zone given with --zone (no configuration) keeps its journal beside its
// file, so after a restart a secondary one version behind still gets the
// change alone; a file changed while rpdns was down is diffed against the
// version last served, rebuilt from the journal and its base.
TEST_F(JournalOnDisk, IxfrSurvivesARestartAndAFileEditedMeanwhileIsDiffed) {
  ASSERT_NO_FATAL_FAILURE(serve_serial_1_then_2());
  ASSERT_TRUE(std::filesystem::exists(file_ + ".jnl"));
  ASSERT_TRUE(std::filesystem::exists(file_ + ".jnl.base"));
  {
    uint16_t stats = free_udp_port();
    auto with_stats = args();
    with_stats.insert(with_stats.end(), {"--stats-listen", "127.0.0.1:" + std::to_string(stats)});
    ServerProcess server(with_stats, "www.ix.test.");
    EXPECT_EQ(ixfr_soas(server.port(), 1), (std::vector<std::string>{"2", "1", "2", "2"})) << server.log();
    EXPECT_EQ(ixfr_soas(server.port(), 0).size(), 2u);  // not in the journal: the whole zone
    std::string metrics = http_get(stats, "/metrics");
    EXPECT_NE(metrics.find("rpdns_zone_journal_versions{zone=\"ix.test.\"} 1\n"), std::string::npos) << metrics;
    std::string listen = "{worker=\"0\",listen=\"127.0.0.1:" + std::to_string(server.port()) + "\"} ";
    EXPECT_NE(metrics.find("rpdns_transfers_ixfr_total" + listen + "1\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("rpdns_transfers_ixfr_full_total" + listen + "1\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("rpdns_transfers_axfr_total" + listen + "0\n"), std::string::npos) << metrics;
    server.stop();
  }
  write_atomically(file_, versioned(3));
  ServerProcess server(args(), "www.ix.test.");
  EXPECT_EQ(ixfr_soas(server.port(), 2), (std::vector<std::string>{"3", "2", "3", "3"})) << server.log();
  EXPECT_EQ(ixfr_soas(server.port(), 1), (std::vector<std::string>{"3", "1", "3", "3"}));  // condensed
}

// Without the journal's base the version last served cannot be rebuilt:
// the journal is not used, and a secondary gets the whole zone.
TEST_F(JournalOnDisk, AJournalWithoutItsBaseIsNotUsedOnceTheFileChanged) {
  ASSERT_NO_FATAL_FAILURE(serve_serial_1_then_2());
  ASSERT_TRUE(std::filesystem::remove(file_ + ".jnl.base"));
  write_atomically(file_, versioned(3));
  ServerProcess server(args(), "www.ix.test.");
  EXPECT_EQ(ixfr_soas(server.port(), 2), (std::vector<std::string>{"3", "3"}));  // AXFR-style
  RunResult result = server.stop();
  EXPECT_NE(result.output.find("ends at serial 2, the zone file has serial 3, and there is no base"), std::string::npos)
      << result.output;
}

// A file edited while rpdns was down without raising its serial is refused
// as on a reload: the version last served, rebuilt, is what is served.
TEST_F(JournalOnDisk, AFileEditedWhileDownWithoutANewSerialLeavesTheLastVersionServed) {
  ASSERT_NO_FATAL_FAILURE(serve_serial_1_then_2());
  std::string edited = versioned(2);
  edited.replace(edited.find("www A 192.0.2.2"), 15, "www A 192.0.2.99");
  write_atomically(file_, edited);
  ServerProcess server(args(), "www.ix.test.");
  auto reply = query(server.port(), "www.ix.test.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(reply);
  EXPECT_NE(section_text(ldns_pkt_answer(reply.get())).find("192.0.2.2"), std::string::npos);
  EXPECT_EQ(ixfr_soas(server.port(), 1), (std::vector<std::string>{"2", "1", "2", "2"}));
  RunResult result = server.stop();
  EXPECT_NE(result.output.find("changed but its serial 2 is not greater than 2 (edited while rpdns was down); serving "
                               "serial 2 as rebuilt from its journal"),
            std::string::npos)
      << result.output;
}

// serial-policy increment: a change saved without raising the serial is
// served under the next one, incrementally; after a restart the same file
// is the same version, not yet another serial.
TEST_F(JournalOnDisk, SerialPolicyIncrementServesAForgottenSerialAsTheNextOne) {
  write_atomically(file_, versioned(5));
  std::string config = dir_ + "/rpdns.yaml";
  write_atomically(config, "serial-policy: increment\nzones:\n  - origin: ix.test\n    file: " + file_ +
                               "\n    allow-transfer: 127.0.0.1\n");
  std::vector<std::string> with_config{"--config", config, "--workers", "1"};
  std::string edited = versioned(5);
  edited.replace(edited.find("www A 192.0.2.5"), 15, "www A 192.0.2.77");
  {
    ServerProcess server(with_config, "www.ix.test.");
    write_atomically(file_, edited);
    kill(server.pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] { return serial_of(server.port(), "ix.test.") == "6"; }, std::chrono::seconds(5)))
        << server.log();
    EXPECT_EQ(ixfr_soas(server.port(), 5), (std::vector<std::string>{"6", "5", "6", "6"}));
    server.stop();
  }
  ServerProcess server(with_config, "www.ix.test.");
  EXPECT_EQ(serial_of(server.port(), "ix.test."), "6") << server.log();
  EXPECT_EQ(ixfr_soas(server.port(), 5), (std::vector<std::string>{"6", "5", "6", "6"}));
  auto reply = query(server.port(), "www.ix.test.", LDNS_RR_TYPE_A);
  ASSERT_TRUE(reply);
  EXPECT_NE(section_text(ldns_pkt_answer(reply.get())).find("192.0.2.77"), std::string::npos);
}

// Killed at random points while it reloads and writes its journal, again
// and again: the journal left on disk is always a whole one (the old or
// the new, RFC 1995 changes that read back), never a damaged one. Twelve
// rounds, or as many as fit in 60 s (at least four) on a machine made slow
// by sanitizers and other work, where an fsync can take seconds.
TEST_F(JournalOnDisk, AKillAtAnyPointLeavesAWholeJournal) {
  std::mt19937 random(20261207);
  unsigned serial = 1;
  write_atomically(file_, versioned(serial, 2000));
  auto start = std::chrono::steady_clock::now();
  auto in_time = [&](int round) {
    return round < 4 || std::chrono::steady_clock::now() - start < std::chrono::seconds(60);
  };
  for (int round = 0; round < 12 && in_time(round); ++round) {
    ServerProcess server(args(), "www.ix.test.");
    ASSERT_TRUE(server.running());
    // One change served first, so every round has a journal on disk to
    // damage however slow the machine (sanitizers) makes the reloads.
    write_atomically(file_, versioned(++serial, 2000));
    kill(server.pid(), SIGHUP);
    std::string want = std::to_string(serial);
    ASSERT_TRUE(eventually([&] { return serial_of(server.port(), "ix.test.") == want; }, std::chrono::seconds(20)));
    int reloads = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < reloads; ++i) {
      write_atomically(file_, versioned(++serial, 2000));
      kill(server.pid(), SIGHUP);
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 40000));
    }
    kill(server.pid(), SIGKILL);
    server.stop();
    std::string path = file_ + ".jnl";
    ASSERT_TRUE(std::filesystem::exists(path)) << "round " << round;
    // Whole, for some serial it was written at: the reload of the last
    // one may not have happened yet.
    bool whole = false;
    std::string problem;
    for (unsigned s = 1; s <= serial && !whole; ++s) {
      problem.clear();
      whole = zone::read_journal(path, kOrigin, s, problem) != nullptr;
      EXPECT_EQ(problem.find("damaged"), std::string::npos) << "round " << round << ": " << problem;
    }
    EXPECT_TRUE(whole) << "round " << round << ": " << problem;
  }
}

}  // namespace
}  // namespace rpdns::test
