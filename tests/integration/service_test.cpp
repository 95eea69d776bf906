// rpdns under systemd's Type=notify (sd_notify(3)): the test stands in for
// systemd, listening on the datagram socket NOTIFY_SOCKET names.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/server_process.hpp"

namespace rpdns::test {
namespace {

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    timeval tick{0, 100'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  }
  ~NotifySocket() {
    close(fd_);
    std::filesystem::remove(path_);
  }
  // Every message received until one holds `wanted`, within 10 s, joined.
  std::string until(const std::string& wanted) {
    std::string all;
    for (int i = 0; i < 100 && all.find(wanted) == std::string::npos; ++i) {
      char buffer[4096];
      ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n > 0) all.append(buffer, static_cast<std::size_t>(n)).append("|");
    }
    return all;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// READY=1 once serving (the server answers by then), RELOADING=1 and
// READY=1 again around a SIGHUP's reload, STOPPING=1 at SIGTERM; each with
// a STATUS= line for `systemctl status`.
TEST(Service, TellsSystemdWhenItIsReadyReloadingAndStopping) {
#ifndef RPDNS_TEST_SYSTEMD
  GTEST_SKIP() << "rpdns was built without libsystemd (scripts/setup.sh installs libsystemd-dev)";
#endif
  std::string dir = test_dir("service");
  NotifySocket systemd(dir + "/notify.sock");
  setenv("NOTIFY_SOCKET", (dir + "/notify.sock").c_str(), 1);
  std::string zones = RPDNS_BUNDLED_ZONES;
  ServerProcess server({"--zone", "example.com=" + zones + "/example.com.zone", "--zone",
                        "2.0.192.in-addr.arpa=" + zones + "/2.0.192.in-addr.arpa.zone"});
  unsetenv("NOTIFY_SOCKET");
  std::string ready = systemd.until("READY=1");
  EXPECT_NE(ready.find("READY=1\nSTATUS=serving 2 zones"), std::string::npos) << ready;
  kill(server.pid(), SIGHUP);
  std::string reload = systemd.until("READY=1");
  EXPECT_NE(reload.find("RELOADING=1"), std::string::npos) << reload;
  EXPECT_NE(reload.find("READY=1\nSTATUS=serving; the last reload ok"), std::string::npos) << reload;
  EXPECT_EQ(server.stop().exit_code, 0);  // SIGTERM
  std::string stop = systemd.until("STOPPING=1");
  EXPECT_NE(stop.find("STOPPING=1"), std::string::npos) << stop;
  std::filesystem::remove_all(dir);
}

// An upgrade under systemd (NotifyAccess=all): the successor names itself
// the main process (MAINPID=) while the old one still runs, since systemd
// would take the old main process's exit for the service's end; then
// READY=1. The old process never says STOPPING=1: the service goes on.
TEST(Service, AnUpgradesSuccessorBecomesTheMainProcessBeforeTheOldOneEnds) {
#ifndef RPDNS_TEST_SYSTEMD
  GTEST_SKIP() << "rpdns was built without libsystemd (scripts/setup.sh installs libsystemd-dev)";
#endif
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // the successor becomes ours once the old one ends
  std::string dir = test_dir("svcup");
  NotifySocket systemd(dir + "/notify.sock");
  setenv("NOTIFY_SOCKET", (dir + "/notify.sock").c_str(), 1);
  std::string zones = RPDNS_BUNDLED_ZONES;
  ServerProcess server({"--zone", "example.com=" + zones + "/example.com.zone"});
  unsetenv("NOTIFY_SOCKET");
  systemd.until("READY=1");
  pid_t old = server.pid();
  kill(old, SIGUSR2);
  std::string named = systemd.until("MAINPID=");
  bool old_running =
      kill(old, 0) == 0 && read_file("/proc/" + std::to_string(old) + "/stat").find(") Z") == std::string::npos;
  auto at = named.find("MAINPID=");
  ASSERT_NE(at, std::string::npos) << named << server.log();
  pid_t successor = static_cast<pid_t>(std::stol(named.substr(at + 8)));
  EXPECT_NE(successor, old);
  // From here the successor is the server the harness stops, even should a
  // check below fail.
  EXPECT_EQ(wait_exit(old, std::chrono::seconds(15)), 0);
  server.follow(successor);
  EXPECT_TRUE(old_running) << "the old process had already ended when the successor said MAINPID=";
  std::string after = systemd.until("READY=1");
  EXPECT_NE(after.find("READY=1"), std::string::npos) << after;
  std::string rest = systemd.until("STOPPING=1");  // nothing more should come
  EXPECT_EQ((named + after + rest).find("STOPPING=1"), std::string::npos) << named << after << rest;
  EXPECT_EQ(server.stop().exit_code, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rpdns::test
