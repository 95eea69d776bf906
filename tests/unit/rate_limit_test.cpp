// The response rate limiter alone: token buckets per (client prefix,
// response kind) in a fixed, set-associative table with a seeded hash.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "policy/rate_limit.hpp"
#include "support/net.hpp"

namespace {

using rpdns::policy::RateLimiter;
using rpdns::policy::RateLimitSettings;
using Verdict = RateLimiter::Verdict;

using rpdns::test::sa;

// A client's address, from its port 5353.
sockaddr_in v4(const char* address) { return rpdns::test::ipv4(address, 5353); }

RateLimitSettings settings(unsigned rate, unsigned table_size = 1 << 16, unsigned slip = 2) {
  RateLimitSettings s;
  s.responses_per_second = rate;
  s.table_size = table_size;
  s.slip = slip;
  return s;
}

// `rate` replies go out, then every second one is slipped, the others dropped.
TEST(RateLimiter, LimitsOneKeyAndSlipsEverySecond) {
  RateLimiter limiter(settings(3));
  auto client = v4("192.0.2.1");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.check(sa(client), 7, 1000), Verdict::send) << i;
  EXPECT_EQ(limiter.check(sa(client), 7, 1000), Verdict::drop);
  EXPECT_EQ(limiter.check(sa(client), 7, 1000), Verdict::slip);
  EXPECT_EQ(limiter.check(sa(client), 7, 1000), Verdict::drop);
  EXPECT_EQ(limiter.check(sa(client), 7, 1000), Verdict::slip);
}

// Tokens come back at `rate` per second, at most a second's worth.
TEST(RateLimiter, RefillsAtTheRate) {
  RateLimiter limiter(settings(10, 1 << 16, 0));
  auto client = v4("192.0.2.1");
  for (int i = 0; i < 10; ++i) ASSERT_EQ(limiter.check(sa(client), 7, 1000), Verdict::send);
  EXPECT_EQ(limiter.check(sa(client), 7, 1000), Verdict::drop);
  EXPECT_EQ(limiter.check(sa(client), 7, 1100), Verdict::send);  // 100 ms: one token
  EXPECT_EQ(limiter.check(sa(client), 7, 1100), Verdict::drop);
  int sent = 0;
  for (int i = 0; i < 30; ++i) sent += limiter.check(sa(client), 7, 60000) == Verdict::send;
  EXPECT_EQ(sent, 10);  // a minute idle saves up one second, no more
}

// Another kind of response, or another /24, has a bucket of its own.
TEST(RateLimiter, KindsAndPrefixesApart) {
  RateLimiter limiter(settings(1, 1 << 16, 0));
  auto client = v4("192.0.2.1");
  auto neighbour = v4("192.0.2.200");  // same /24
  auto other = v4("192.0.3.1");
  EXPECT_EQ(limiter.check(sa(client), 7, 1000), Verdict::send);
  EXPECT_EQ(limiter.check(sa(neighbour), 7, 1000), Verdict::drop);
  EXPECT_EQ(limiter.check(sa(other), 7, 1000), Verdict::send);
  EXPECT_EQ(limiter.check(sa(client), 8, 1000), Verdict::send);
}

// Far more distinct keys than the table holds, all in one instant: once
// every bucket is taken, a newcomer takes over a bucket with its tokens and
// does not start full, so the whole flood gets at most (buckets × rate)
// replies, and a key drained before the flood is still drained after it.
// (Before, each collision handed the newcomer a full bucket: every one of
// the 20000 keys was answered, and the drained key got a fresh bucket.)
TEST(RateLimiter, CollisionsDoNotRefill) {
  constexpr unsigned kTable = 1024;
  RateLimiter limiter(settings(1, kTable, 0));
  auto client = v4("192.0.2.1");
  ASSERT_EQ(limiter.check(sa(client), 0, 5000), Verdict::send);
  ASSERT_EQ(limiter.check(sa(client), 0, 5000), Verdict::drop);
  unsigned sent = 0;
  for (uint64_t kind = 1; kind <= 20000; ++kind) sent += limiter.check(sa(client), kind, 5000) == Verdict::send;
  EXPECT_LE(sent, kTable);
  EXPECT_GT(sent, kTable / 2);  // the empty buckets did start full
  EXPECT_EQ(limiter.check(sa(client), 0, 5000), Verdict::drop);
}

// A table of one set, so every key collides: a fifth key evicts the
// stalest bucket and continues its account. A bucket a second stale has
// refilled, so its newcomer starts full.
TEST(RateLimiter, OneSetTableSharesTheStalestAccount) {
  RateLimiter limiter(settings(1, RateLimiter::kWays, 0));
  auto client = v4("192.0.2.1");
  for (uint64_t kind = 1; kind <= RateLimiter::kWays; ++kind)
    EXPECT_EQ(limiter.check(sa(client), kind, 1000 + kind), Verdict::send) << kind;
  EXPECT_EQ(limiter.check(sa(client), 100, 1400), Verdict::drop);  // took kind 1's, 0.4 tokens
  EXPECT_EQ(limiter.check(sa(client), 101, 1700), Verdict::drop);  // took kind 2's, 0.7 tokens
  EXPECT_EQ(limiter.check(sa(client), 1, 1800), Verdict::drop);    // back, on kind 3's, 0.8 tokens
  EXPECT_EQ(limiter.check(sa(client), 102, 3000), Verdict::send);  // kind 4's, idle 2 s: full
}

// The hash is seeded at random per limiter: two limiters place the same
// keys in different sets. Which of a flood of keys find an empty bucket
// (and are answered) shows the placement; with one fixed hash it would be
// the same in both.
TEST(RateLimiter, PlacementDiffersBetweenLimiters) {
  auto pattern = [] {
    RateLimiter limiter(settings(1, 256, 0));
    auto client = v4("192.0.2.1");
    std::vector<bool> sent;
    for (uint64_t kind = 0; kind < 2000; ++kind) sent.push_back(limiter.check(sa(client), kind, 1000) == Verdict::send);
    return sent;
  };
  std::vector<bool> first = pattern();
  std::vector<bool> second = pattern();
  EXPECT_NE(first, second);
}

TEST(RateLimiter, WhitelistIsNeverLimited) {
  RateLimitSettings s = settings(1);
  auto prefix = rpdns::policy::Prefix::parse("192.0.2.0/24");
  ASSERT_TRUE(prefix);
  s.whitelist.push_back(*prefix);
  RateLimiter limiter(s);
  auto client = v4("192.0.2.1");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.check(sa(client), 7, 1000), Verdict::send);
}

// A proven source (valid server cookie, verified TSIG) is never limited.
TEST(RateLimiter, ScreenLetsProvenSourcesThrough) {
  RateLimiter limiter(settings(1));
  auto client = v4("192.0.2.1");
  rpdns::policy::Response proven;
  proven.proven = true;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.screen(sa(client), proven, 1000), Verdict::send);
  rpdns::policy::Response plain;
  EXPECT_EQ(limiter.screen(sa(client), plain, 1000), Verdict::send);
  EXPECT_EQ(limiter.screen(sa(client), plain, 1000), Verdict::drop);
}

// Positive answers are their question, case aside; negative ones their
// zone and rcode, whatever the name; a wildcard's its owner and the type.
TEST(RateLimiter, ResponseKinds) {
  using rpdns::policy::Response;
  using rpdns::policy::response_kind;
  const uint8_t www[] = {3, 'w', 'w', 'w', 0, 0, 1, 0, 1};
  const uint8_t upper[] = {3, 'W', 'w', 'W', 0, 0, 1, 0, 1};
  const uint8_t ftp[] = {3, 'f', 't', 'p', 0, 0, 1, 0, 1};
  int zone = 0;
  auto positive = [&](std::span<const uint8_t> q) {
    Response r;
    r.answers = 1;
    r.question = q;
    r.zone = &zone;
    return response_kind(r);
  };
  EXPECT_EQ(positive(www), positive(upper));
  EXPECT_NE(positive(www), positive(ftp));
  auto negative = [&](std::span<const uint8_t> q, uint16_t rcode) {
    Response r;
    r.rcode = rcode;
    r.header_rcode = static_cast<uint8_t>(rcode);
    r.question = q;
    r.zone = &zone;
    return response_kind(r);
  };
  EXPECT_EQ(negative(www, 3), negative(ftp, 3));
  EXPECT_NE(negative(www, 3), negative(www, 0));
  auto synthesized = [&](std::span<const uint8_t> q) {
    Response r;
    r.answers = 1;
    r.question = q;
    r.synthesized_by = std::string_view("\x01*\x00", 3);
    r.zone = &zone;
    return response_kind(r);
  };
  EXPECT_EQ(synthesized(www), synthesized(ftp));
  EXPECT_NE(synthesized(www), positive(www));
}

// A slip keeps the header and question, sets TC and clears the counts.
TEST(RateLimiter, SlipReplyIsHeaderAndQuestion) {
  std::vector<uint8_t> reply = {0, 1, 0x84, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 0, 1, 0, 1, 9, 9};
  EXPECT_EQ(RateLimiter::slip_reply(reply.data(), 17), 17u);
  EXPECT_EQ(reply[2], 0x86);
  for (int i = 6; i < 12; ++i) EXPECT_EQ(reply[i], 0) << i;
  EXPECT_EQ(reply[5], 1);
}

}  // namespace
