// SIGHUP reloads against the real binary: changed zones are served, broken
// ones keep their old version, zones come and go with the config, and no
// query is lost while reloads run under load.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/server_process.hpp"

namespace rpdns::test {
namespace {

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_dir("reload");
    write_atomically(dir_ + "/a.zone", zone_text("a.test", 1, "192.0.2.1"));
    write_atomically(dir_ + "/b.zone", zone_text("b.test", 1, "192.0.2.2"));
    write_config({"a.test"});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_config(const std::vector<std::string>& zones) {
    std::string text = "workers: 2\nzones:\n";
    for (const auto& z : zones) text += "  - origin: " + z + "\n    file: " + z.substr(0, 1) + ".zone\n";
    write_atomically(dir_ + "/rpdns.yaml", text);
  }

  // Polls until `name` answers with `want` in the answer section, or 5 s pass.
  static bool eventually_answers(uint16_t port, const std::string& name, const std::string& want) {
    for (int i = 0; i < 100; ++i) {
      auto reply = query(port, name, LDNS_RR_TYPE_A);
      if (reply && section_text(ldns_pkt_answer(reply.get())).find(want) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string dir_;
};

TEST_F(ReloadTest, ChangedZoneIsServedAfterSighup) {
  ServerProcess server({"--config", dir_ + "/rpdns.yaml"}, "a.test.");
  ASSERT_TRUE(eventually_answers(server.port(), "www.a.test.", "192.0.2.1"));
  write_atomically(dir_ + "/a.zone", zone_text("a.test", 2, "192.0.2.101"));
  kill(server.pid(), SIGHUP);
  EXPECT_TRUE(eventually_answers(server.port(), "www.a.test.", "192.0.2.101"));
  RunResult result = server.stop();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("serial 1 -> 2"), std::string::npos) << result.output;
}

TEST_F(ReloadTest, BrokenZoneKeepsOldVersionAndServerLives) {
  ServerProcess server({"--config", dir_ + "/rpdns.yaml"}, "a.test.");
  write_atomically(dir_ + "/a.zone", zone_text("a.test", 2, "192.0.2.300"));
  kill(server.pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(eventually_answers(server.port(), "www.a.test.", "192.0.2.1"));
  RunResult result = server.stop();
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("a.zone:6:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("still serving serial 1"), std::string::npos) << result.output;
}

TEST_F(ReloadTest, ZonesAddedAndRemovedByReload) {
  ServerProcess server({"--config", dir_ + "/rpdns.yaml"}, "a.test.");
  EXPECT_EQ(rcode_of(server.port(), "www.b.test."), LDNS_RCODE_REFUSED);
  write_config({"b.test"});
  kill(server.pid(), SIGHUP);
  EXPECT_TRUE(eventually_answers(server.port(), "www.b.test.", "192.0.2.2"));
  EXPECT_EQ(rcode_of(server.port(), "www.a.test."), LDNS_RCODE_REFUSED);
}

// A UDP socket standing in for a secondary: true when a datagram arrives
// within `wait`.
bool datagram_within(int fd, std::chrono::milliseconds wait) {
  auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    uint8_t buf[512];
    if (recv(fd, buf, sizeof buf, 0) > 0) return true;
  }
  return false;
}

// RFC 1996 §3.5 with RFC 1982: NOTIFY goes out when a reload raised the
// serial. A change under a lower serial is not served at all (a secondary
// would never follow it): the old version stays, and the log says why.
TEST_F(ReloadTest, NotifyOnlyWhenTheSerialGrew) {
  write_atomically(dir_ + "/a.zone", zone_text("a.test", 5, "192.0.2.1"));
  uint16_t secondary = 0;
  int fd = udp_listener(secondary);
  ASSERT_GE(fd, 0);
  write_atomically(dir_ + "/rpdns.yaml",
                   "workers: 1\nzones:\n  - origin: a.test\n    file: a.zone\n"
                   "    notify: [\"127.0.0.1:" +
                       std::to_string(secondary) + "\"]\n");
  ServerProcess server({"--config", dir_ + "/rpdns.yaml"}, "a.test.");
  write_atomically(dir_ + "/a.zone", zone_text("a.test", 4, "192.0.2.4"));
  kill(server.pid(), SIGHUP);
  EXPECT_FALSE(datagram_within(fd, std::chrono::milliseconds(1500))) << "NOTIFY for a lower serial";
  EXPECT_TRUE(eventually_answers(server.port(), "www.a.test.", "192.0.2.1")) << "the lower serial was served";
  write_atomically(dir_ + "/a.zone", zone_text("a.test", 6, "192.0.2.6"));
  kill(server.pid(), SIGHUP);
  EXPECT_TRUE(datagram_within(fd, std::chrono::milliseconds(3000))) << "no NOTIFY for a higher serial";
  EXPECT_TRUE(eventually_answers(server.port(), "www.a.test.", "192.0.2.6"));
  close(fd);
  RunResult result = server.stop();
  EXPECT_NE(result.output.find("serial 4 is not greater than 5; still serving serial 5"), std::string::npos)
      << result.output;
}

// Version N of the zone: www is a CNAME to hN, whose address ends in N, so
// one answer mixing two versions would show two different numbers.
std::string versioned_zone(unsigned n) {
  std::string v = std::to_string(n);
  return zone_text("a.test", n, "192.0.2.1") + "cn CNAME h" + v + "\nh" + v + " A 192.0.3." + v + "\n";
}

// True when the answer is "cn CNAME hN" plus "hN A 192.0.3.N" for one N.
bool consistent(const ldns_pkt* reply) {
  std::string text = section_text(ldns_pkt_answer(reply));
  auto h = text.find("CNAME\th");
  auto a = text.find("192.0.3.");
  if (h == std::string::npos || a == std::string::npos) return false;
  std::string n1 = text.substr(h + 7, text.find('.', h + 7) - (h + 7));
  std::string n2 = text.substr(a + 8, text.find('\n', a) - (a + 8));
  return n1 == n2;
}

// Many client sockets keep querying while the zone is rewritten and SIGHUP
// sent again and again: every query is answered, and every answer is
// wholly one version.
TEST_F(ReloadTest, NoQueryLostUnderRepeatedReloads) {
  write_atomically(dir_ + "/a.zone", versioned_zone(1));
  ServerProcess server({"--config", dir_ + "/rpdns.yaml"}, "a.test.");
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0}, answered{0}, mixed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      while (!stop) {
        ++sent;
        auto reply = query(server.port(), "cn.a.test.", LDNS_RR_TYPE_A, false, std::chrono::milliseconds(1000));
        if (!reply) continue;
        ++answered;
        if (!consistent(reply.get())) ++mixed;
      }
    });
  }
  for (unsigned serial = 2; serial <= 30; ++serial) {
    write_atomically(dir_ + "/a.zone", versioned_zone(serial));
    kill(server.pid(), SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_GT(sent.load(), 100);
  EXPECT_EQ(answered.load(), sent.load());
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_TRUE(eventually_answers(server.port(), "cn.a.test.", "192.0.3.30"));
  auto soa = query(server.port(), "a.test.", LDNS_RR_TYPE_SOA);
  ASSERT_TRUE(soa);
  EXPECT_NE(section_text(ldns_pkt_answer(soa.get())).find(" 30 "), std::string::npos);
}

}  // namespace
}  // namespace rpdns::test
