// rpdnsctl against the real server: status, a reload of the whole
// configuration and of single zones (their result printed and in the exit
// code), zone-status, zone-refresh and zone-retransfer of a secondary,
// notify, stats, config-check, --json, errors for unknown zones and
// commands, and stop.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/net.hpp"
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
                     "  - origin: a.test\n    file: a.zone\n    allow-transfer: 127.0.0.1\n"
                     "    notify: 127.0.0.1:" +
                         std::to_string(notified_port_) + "\n  - origin: b.test\n    file: b.zone\n");
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--config", dir_ + "/rpdns.yaml"}, "a.test.");
  }
  void TearDown() override {
    server_.reset();
    close(notified_);
    std::filesystem::remove_all(dir_);
  }

  std::string dir_, socket_;
  std::unique_ptr<ServerProcess> server_;
  uint16_t notified_port_ = 0;
  int notified_ = udp_listener(notified_port_);  // a.test's secondary, which never answers
};

// rpdnsctl --json's answer, parsed; a failed parse fails the test.
nlohmann::json json_of(const RunResult& r) {
  auto json = nlohmann::json::parse(r.output, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << r.output;
  return json;
}

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

TEST_F(ControlTest, ZoneStatusTellsEachZonesFacts) {
  auto r = rpdnsctl(socket_, {"zone-status"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("zone a.test.\n  role primary\n  serial 1\n  file " + dir_ + "/a.zone\n"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("zone b.test."), std::string::npos) << r.output;
  write_atomically(dir_ + "/a.zone", zone_text("a.test", 2, "192.0.2.9"));
  ASSERT_EQ(rpdnsctl(socket_, {"reload"}).exit_code, 0);
  auto json = json_of(rpdnsctl(socket_, {"--json", "zone-status", "a.test"}));
  ASSERT_EQ(json["zones"].size(), 1u) << json;
  const auto& a = json["zones"][0];
  EXPECT_EQ(a["zone"], "a.test.");
  EXPECT_EQ(a["serial"], 2);
  EXPECT_EQ(a["records"], 4);
  EXPECT_EQ(a["journal"]["versions"], 1);
  EXPECT_EQ(a["journal"]["oldest_serial"], 1);
  EXPECT_TRUE(a["loaded_at"].is_string()) << a;
  auto unknown = rpdnsctl(socket_, {"zone-status", "nope.test"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("zone nope.test. is not served"), std::string::npos) << unknown.output;
}

// Scripts get the same facts as JSON, errors included.
TEST_F(ControlTest, JsonAnswersForScripts) {
  auto status = json_of(rpdnsctl(socket_, {"--json", "status"}));
  EXPECT_EQ(status["zones"], 2);
  EXPECT_EQ(status["listen"][0], "127.0.0.1:" + std::to_string(server_->port()));
  write_atomically(dir_ + "/b.zone", zone_text("b.test", 7, "192.0.2.7"));
  auto reload = json_of(rpdnsctl(socket_, {"--json", "reload", "b.test"}));
  EXPECT_TRUE(reload["ok"].get<bool>());
  ASSERT_EQ(reload["zones"].size(), 1u) << reload;
  EXPECT_EQ(reload["zones"][0]["outcome"], "loaded");
  EXPECT_EQ(reload["zones"][0]["old_serial"], 1);
  EXPECT_EQ(reload["zones"][0]["serial"], 7);
  auto bad = rpdnsctl(socket_, {"--json", "frobnicate"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(json_of(bad)["error"].get<std::string>().find("unknown command"), std::string::npos) << bad.output;
}

TEST_F(ControlTest, StatsWithoutHttp) {
  ASSERT_TRUE(query(server_->port(), "www.a.test.", LDNS_RR_TYPE_A));
  auto r = rpdnsctl(socket_, {"stats"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("# TYPE rpdns_queries_total counter"), std::string::npos) << r.output;
  auto json = json_of(rpdnsctl(socket_, {"--json", "stats"}));
  bool found = false;
  for (const auto& m : json["metrics"]) {
    if (m["name"] == "rpdns_zone_serial" && m["labels"]["zone"] == "a.test.") found = m["value"] == 1;
  }
  EXPECT_TRUE(found) << json.dump().substr(0, 2000);
}

// Reads everything again as a start would, serving nothing and changing
// nothing: a broken zone file is named with its line, and the zone served
// stays as it was.
TEST_F(ControlTest, ConfigCheckLoadsEverythingAndServesNothing) {
  auto ok = rpdnsctl(socket_, {"config-check"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("config " + dir_ + "/rpdns.yaml is valid"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("zone b.test.: 4 records, serial 1"), std::string::npos) << ok.output;
  write_atomically(dir_ + "/b.zone", zone_text("b.test", 2, "192.0.2.300"));
  auto bad = rpdnsctl(socket_, {"config-check"});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("error: " + dir_ + "/b.zone:6:"), std::string::npos) << bad.output;
  EXPECT_NE(www_of(server_->port(), "b.test").find("192.0.2.2"), std::string::npos);
  auto status = json_of(rpdnsctl(socket_, {"--json", "status"}));
  EXPECT_EQ(status["reloads"]["succeeded"], 0) << status;  // a check is no reload
}

// NOTIFY on demand to the zone's notify: list (RFC 1996), which a.test has
// and b.test has not.
TEST_F(ControlTest, NotifyOnDemand) {
  auto r = rpdnsctl(socket_, {"notify", "a.test"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("zone a.test.: NOTIFY sent to 1 address"), std::string::npos) << r.output;
  uint8_t datagram[512];
  bool notified = false;
  for (int i = 0; i < 60 && !notified; ++i) {
    ssize_t n = recv(notified_, datagram, sizeof datagram, 0);
    notified = n >= 12 && ((datagram[2] >> 3) & 0xf) == 4;  // opcode NOTIFY
  }
  EXPECT_TRUE(notified);
  auto none = rpdnsctl(socket_, {"notify", "b.test"});
  EXPECT_EQ(none.exit_code, 1) << none.output;
  EXPECT_NE(none.output.find("has no notify: list"), std::string::npos) << none.output;
  EXPECT_EQ(rpdnsctl(socket_, {"zone-refresh", "a.test"}).exit_code, 1);  // not a secondary
}

// zone-refresh checks a secondary's primaries now; zone-retransfer takes
// the zone whole though its serial did not change; zone-status shows the
// secondary's timers.
TEST_F(ControlTest, RefreshAndRetransferOfASecondary) {
  std::string config = dir_ + "/secondary.yaml";
  write_atomically(config,
                   "workers: 1\ncontrol:\n  socket: secondary.sock\nzones:\n  - origin: a.test\n    file: " + dir_ +
                       "/copy.zone\n    primaries: [\"127.0.0.1:" + std::to_string(server_->port()) + "\"]\n");
  ServerProcess secondary({"--config", config}, "a.test.");
  std::string sock = dir_ + "/secondary.sock";
  ASSERT_TRUE(eventually([&] { return serial_of(secondary.port(), "a.test.") == "1"; }, std::chrono::seconds(10)));
  auto refresh = rpdnsctl(sock, {"zone-refresh", "a.test"});
  EXPECT_EQ(refresh.exit_code, 0) << refresh.output;
  EXPECT_TRUE(eventually([&] { return secondary.log().find("a refresh asked for by rpdnsctl") != std::string::npos; },
                         std::chrono::seconds(5)));
  auto whole = rpdnsctl(sock, {"zone-retransfer", "a.test"});
  EXPECT_EQ(whole.exit_code, 0) << whole.output;
  auto transfers = [&] {
    auto json = json_of(rpdnsctl(sock, {"--json", "zone-status", "a.test"}));
    return json["zones"][0]["refresh"]["transfers"].get<int>();
  };
  EXPECT_TRUE(eventually([&] { return transfers() == 2; }, std::chrono::seconds(10))) << secondary.log();
  auto json = json_of(rpdnsctl(sock, {"--json", "zone-status"}));
  EXPECT_EQ(json["zones"][0]["role"], "secondary");
  EXPECT_FALSE(json["zones"][0]["refresh"]["expired"].get<bool>());
  EXPECT_EQ(rpdnsctl(sock, {"zone-retransfer", "b.test"}).exit_code, 1);  // not a secondary here
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
