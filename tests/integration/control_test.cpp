// rpdnsctl against the real server: status, a reload of the whole
// configuration and of single zones (their result printed and in the exit
// code), errors for unknown zones and commands, and stop.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "support/server_process.hpp"

namespace rpdns::test {
namespace {

// Runs rpdnsctl to its end: its exit code and what it printed.
RunResult rpdnsctl(const std::string& socket, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--control", socket, "--timeout", "20"};
  all.insert(all.end(), args.begin(), args.end());
  return run_tool(RPDNSCTL_BINARY, all, std::chrono::seconds(30));
}

std::string www_of(uint16_t port, const std::string& zone) {
  auto reply = query(port, "www." + zone + ".", LDNS_RR_TYPE_A);
  return reply ? section_text(ldns_pkt_answer(reply.get())) : "(no reply)";
}

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_dir("control");
    socket_ = dir_ + "/control.sock";
    write_atomically(dir_ + "/a.zone", zone_text("a.test", 1, "192.0.2.1"));
    write_atomically(dir_ + "/b.zone", zone_text("b.test", 1, "192.0.2.2"));
    write_atomically(dir_ + "/rpdns.yaml",
                     "workers: 1\ncontrol:\n  socket: control.sock\nzones:\n"
                     "  - origin: a.test\n    file: a.zone\n  - origin: b.test\n    file: b.zone\n");
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", dir_ + "/rpdns.yaml"}, "a.test.");
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_, socket_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ControlTest, StatusTellsWhatIsServed) {
  auto r = rpdnsctl(socket_, {"status"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("zones 2\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("listen 127.0.0.1:" + std::to_string(server_->port())), std::string::npos) << r.output;
  EXPECT_EQ(std::filesystem::status(socket_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read | std::filesystem::perms::group_write);
}

// The zone named is read again even though its file looks the same to
// stat (same size, mtime set back): an explicit reload does not guess.
TEST_F(ControlTest, ReloadOfOneZoneReadsItAndNoOther) {
  auto a_time = std::filesystem::last_write_time(dir_ + "/a.zone");
  std::ofstream(dir_ + "/a.zone") << zone_text("a.test", 2, "192.0.2.9");  // same length
  std::filesystem::last_write_time(dir_ + "/a.zone", a_time);
  write_atomically(dir_ + "/b.zone", zone_text("b.test", 2, "192.0.2.8"));
  auto r = rpdnsctl(socket_, {"reload", "a.test"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("a.test.: serial 1 -> 2"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("b.test"), std::string::npos) << r.output;
  EXPECT_NE(www_of(server_->port(), "a.test").find("192.0.2.9"), std::string::npos);
  EXPECT_NE(www_of(server_->port(), "b.test").find("192.0.2.2"), std::string::npos);  // not reloaded
}

TEST_F(ControlTest, FailedZoneReloadKeepsTheZoneAndSaysWhere) {
  write_atomically(dir_ + "/a.zone", zone_text("a.test", 2, "192.0.2.300"));
  auto r = rpdnsctl(socket_, {"reload", "a.test", "nope.test"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("a.test.: not reloaded; still serving serial 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(dir_ + "/a.zone:6:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("zone nope.test. is not configured"), std::string::npos) << r.output;
  EXPECT_NE(www_of(server_->port(), "a.test").find("192.0.2.1"), std::string::npos);
}

TEST_F(ControlTest, FullReloadReportsOnlyWhatChanged) {
  write_atomically(dir_ + "/b.zone", zone_text("b.test", 5, "192.0.2.5"));
  auto r = rpdnsctl(socket_, {"reload"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("b.test.: serial 1 -> 5"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("a.test"), std::string::npos) << r.output;
  EXPECT_NE(www_of(server_->port(), "b.test").find("192.0.2.5"), std::string::npos);
}

// A reload whose configuration file did not change since it was read (at
// start, here) does not parse it again, yet sees a changed zone file; a
// changed configuration (a zone added) is read again.
TEST_F(ControlTest, UnchangedConfigurationIsNotReadAgain) {
  ASSERT_EQ(rpdnsctl(socket_, {"reload"}).exit_code, 0);
  write_atomically(dir_ + "/a.zone", zone_text("a.test", 3, "192.0.2.3"));
  auto r = rpdnsctl(socket_, {"reload"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("a.test.: serial 1 -> 3"), std::string::npos) << r.output;
  EXPECT_NE(server_->log().find("rpdns.yaml unchanged; checking the zone files"), std::string::npos);
  write_atomically(dir_ + "/c.zone", zone_text("c.test", 1, "192.0.2.33"));
  std::ofstream(dir_ + "/rpdns.yaml", std::ios::app) << "  - origin: c.test\n    file: c.zone\n";
  r = rpdnsctl(socket_, {"reload"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("c.test.: loaded, serial 1"), std::string::npos) << r.output;
  EXPECT_NE(www_of(server_->port(), "c.test").find("192.0.2.33"), std::string::npos);
}

TEST_F(ControlTest, UnknownCommandAndNoServerAreErrors) {
  auto r = rpdnsctl(socket_, {"frobnicate"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("unknown command"), std::string::npos) << r.output;
  auto none = rpdnsctl(dir_ + "/no-such.sock", {"status"});
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_NE(none.output.find("cannot connect"), std::string::npos) << none.output;
}

// True once process `pid` (our child) has exited, not yet reaped, within 10 s.
bool exits_soon(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, name, state;
    stat >> pid_field >> name >> state;
    if (state == "Z") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(ControlTest, StopEndsTheServerAndRemovesTheSocket) {
  auto r = rpdnsctl(socket_, {"stop"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(exits_soon(server_->pid()));
  EXPECT_EQ(server_->stop().exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

}  // namespace
}  // namespace rpdns::test
