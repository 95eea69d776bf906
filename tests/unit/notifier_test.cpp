// NOTIFY out (RFC 1996): a fake secondary on loopback that never answers
// records what the notifier sends it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>

#include "config/config.hpp"
#include "dns/wire.hpp"
#include "support/net.hpp"
#include "support/packet.hpp"
#include "xfr/notifier.hpp"

namespace {

using rpdns::test::wire_name;

// A UDP socket on 127.0.0.1 that counts the NOTIFY messages it gets, by ID.
class SilentSecondary {
 public:
  SilentSecondary() { fd_ = rpdns::test::udp_listener(port_); }
  ~SilentSecondary() { close(fd_); }

  rpdns::config::ListenAddress address() const {
    return *rpdns::config::parse_listen("127.0.0.1:" + std::to_string(port_));
  }

  // Listens for `how_long`, counting the messages of each ID, in order of arrival.
  void listen_for(std::chrono::milliseconds how_long) {
    auto until = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < until) {
      uint8_t buf[512];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n < static_cast<ssize_t>(rpdns::dns::kHeaderSize)) continue;
      uint16_t id = rpdns::dns::read_u16(buf);
      if (ids_.empty() || ids_.back() != id) ids_.push_back(id);
      ++count_[id];
    }
  }
  const std::vector<uint16_t>& ids() const { return ids_; }
  int count(uint16_t id) const { return count_.count(id) ? count_.at(id) : 0; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::vector<uint16_t> ids_;
  std::map<uint16_t, int> count_;
};

// RFC 1996 §3.6: a NOTIFY is retried until answered. When a newer serial is
// announced, the older one's retries stop: the first NOTIFY is sent once
// and never again, while the second is retried after a second.
TEST(Notifier, NewerSerialSupersedesRetries) {
  SilentSecondary secondary;
  rpdns::xfr::Notifier notifier;
  notifier.notify(wire_name("example.com"), 1, {{secondary.address(), std::nullopt}});
  secondary.listen_for(std::chrono::milliseconds(300));
  notifier.notify(wire_name("example.com"), 2, {{secondary.address(), std::nullopt}});
  secondary.listen_for(std::chrono::milliseconds(2500));
  ASSERT_EQ(secondary.ids().size(), 2u);
  EXPECT_EQ(secondary.count(secondary.ids()[0]), 1);
  EXPECT_GE(secondary.count(secondary.ids()[1]), 2);
}

// Another zone to the same secondary is a separate NOTIFY: both are retried.
TEST(Notifier, OtherZonesAreNotCancelled) {
  SilentSecondary secondary;
  rpdns::xfr::Notifier notifier;
  notifier.notify(wire_name("example.com"), 1, {{secondary.address(), std::nullopt}});
  notifier.notify(wire_name("example.org"), 1, {{secondary.address(), std::nullopt}});
  secondary.listen_for(std::chrono::milliseconds(1500));
  std::map<uint16_t, int> seen;
  for (uint16_t id : secondary.ids()) seen[id] = secondary.count(id);
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& [id, n] : seen) EXPECT_GE(n, 2) << id;
}

}  // namespace
