// The TCP connection cap per client prefix, and the descriptor budget.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ops/descriptors.hpp"
#include "policy/connection_limit.hpp"
#include "support/net.hpp"

namespace rpdns::policy {
namespace {

using test::sa;

sockaddr_storage address(const std::string& text) { return *test::socket_address(text); }

TEST(ConnectionLimit, CapsOneClientAndFreesOnRelease) {
  ConnectionLimit limit({3, 32, 64});
  auto client = address("192.0.2.1");
  std::vector<std::size_t> slots;
  for (int i = 0; i < 3; ++i) slots.push_back(limit.acquire(sa(client)));
  for (auto s : slots) EXPECT_NE(s, ConnectionLimit::kNone);
  EXPECT_EQ(limit.acquire(sa(client)), ConnectionLimit::kNone);
  EXPECT_EQ(limit.open(sa(client)), 3u);  // the refused one is not counted
  limit.release(slots.back());
  EXPECT_NE(limit.acquire(sa(client)), ConnectionLimit::kNone);
}

TEST(ConnectionLimit, OtherClientsHaveTheirOwnCap) {
  ConnectionLimit limit({2, 32, 64});
  auto a = address("192.0.2.1");
  auto b = address("192.0.2.2");
  limit.acquire(sa(a));
  limit.acquire(sa(a));
  EXPECT_EQ(limit.acquire(sa(a)), ConnectionLimit::kNone);
  EXPECT_NE(limit.acquire(sa(b)), ConnectionLimit::kNone);
}

TEST(ConnectionLimit, Ipv6ClientsShareTheirSlash64) {
  ConnectionLimit limit({2, 32, 64});
  auto a = address("2001:db8:1:2::1");
  auto b = address("2001:db8:1:2:ffff::9");
  auto other = address("2001:db8:1:3::1");
  limit.acquire(sa(a));
  limit.acquire(sa(b));
  EXPECT_EQ(limit.acquire(sa(a)), ConnectionLimit::kNone);
  EXPECT_EQ(limit.acquire(sa(b)), ConnectionLimit::kNone);
  EXPECT_NE(limit.acquire(sa(other)), ConnectionLimit::kNone);
}

TEST(ConnectionLimit, V4MappedCountsAsTheIpv4Client) {
  ConnectionLimit limit({1, 32, 64});
  auto v4 = address("192.0.2.7");
  auto mapped = address("::ffff:192.0.2.7");
  EXPECT_NE(limit.acquire(sa(v4)), ConnectionLimit::kNone);
  EXPECT_EQ(limit.acquire(sa(mapped)), ConnectionLimit::kNone);
}

TEST(ConnectionLimit, ZeroMeansNoCap) {
  ConnectionLimit limit({0, 32, 64});
  auto client = address("192.0.2.1");
  for (int i = 0; i < 1000; ++i) ASSERT_NE(limit.acquire(sa(client)), ConnectionLimit::kNone);
}

}  // namespace
}  // namespace rpdns::policy

namespace rpdns::ops {
namespace {

TEST(Descriptors, TcpLimitFitsBesideTheReserve) {
  unsigned reserved = reserved_descriptors(4);
  EXPECT_EQ(fit_tcp_connections(1024, 1 << 20, 4), 1024u);  // plenty: unchanged
  EXPECT_EQ(fit_tcp_connections(1024, 1024, 4), 1024u - reserved);
  EXPECT_EQ(fit_tcp_connections(1024, reserved, 4), 1u);  // nothing left: still one
  EXPECT_EQ(fit_tcp_connections(1024, UINT64_MAX, 4), 1024u);
}

TEST(Descriptors, RaisesTheSoftLimitToTheHardLimit) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  rlimit lowered = before;
  lowered.rlim_cur = std::min<rlim_t>(before.rlim_max, 64);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  uint64_t now = raise_descriptor_limit();
  rlimit after{};
  getrlimit(RLIMIT_NOFILE, &after);
  EXPECT_EQ(after.rlim_cur, before.rlim_max);
  EXPECT_EQ(now, before.rlim_max == RLIM_INFINITY ? UINT64_MAX : before.rlim_max);
  setrlimit(RLIMIT_NOFILE, &before);
}

}  // namespace
}  // namespace rpdns::ops
