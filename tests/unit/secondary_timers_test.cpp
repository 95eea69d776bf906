// The secondary's refresh, retry and expire timers and NOTIFY folding
// (reload/secondary_timers) driven by a fake clock: RFC 1034 §4.3.5,
// RFC 1982 serials, RFC 1996 NOTIFY, RFC 7314 EDNS EXPIRE.
#include "reload/secondary_timers.hpp"

#include <gtest/gtest.h>

namespace {

using rpdns::reload::Millis;
using rpdns::reload::SecondaryTimers;
using rpdns::reload::SoaTimers;
using NotifyAction = SecondaryTimers::NotifyAction;
using Soa = SecondaryTimers::Soa;

constexpr Millis kStart = 1'700'000'000'000;  // the fake clock's start
constexpr Millis s(int64_t seconds) { return seconds * 1000; }
constexpr SoaTimers kSoa{100, 20, 300};  // refresh, retry, expire

SecondaryTimers with_copy(uint32_t serial = 10) {
  SecondaryTimers t;
  t.start_with_copy(serial, kSoa, kStart / 1000, kStart);
  return t;
}

TEST(SecondaryTimers, WithoutACopyTransfersAndRetriesEvery15Seconds) {
  SecondaryTimers t;
  t.start_without_copy(kStart);
  EXPECT_TRUE(t.expired());
  EXPECT_EQ(t.next_check(), kStart);
  EXPECT_EQ(t.compare(0), Soa::transfer);
  t.check_started(kStart);
  EXPECT_FALSE(t.failed(kStart));  // nothing to expire
  EXPECT_EQ(t.next_check(), kStart + s(SecondaryTimers::kNoCopyRetry));
}

TEST(SecondaryTimers, TheSameSerialRefreshesUntilTheNextRefreshInterval) {
  auto t = with_copy();
  EXPECT_FALSE(t.expired());
  EXPECT_EQ(t.expires_at(), kStart / 1000 + 300);
  t.check_started(kStart + s(50));
  EXPECT_EQ(t.compare(10), Soa::current);
  t.refreshed(-1, kStart + s(50));
  EXPECT_EQ(t.last_refresh(), kStart / 1000 + 50);
  EXPECT_EQ(t.expires_at(), kStart / 1000 + 350);
  EXPECT_EQ(t.next_check(), kStart + s(150));
  EXPECT_FALSE(t.busy());
  t.refreshed(-1, kStart + s(60), 7);  // jitter: up to a tenth earlier
  EXPECT_EQ(t.next_check(), kStart + s(160 - 7));
}

// RFC 1982: greater is newer, wrap-around included; lower, or exactly
// 2^31 away (undefined), is a primary behind us, never a refresh.
TEST(SecondaryTimers, SerialsCompareInSequenceSpace) {
  auto t = with_copy(10);
  EXPECT_EQ(t.compare(11), Soa::transfer);
  EXPECT_EQ(t.compare(9), Soa::behind);
  EXPECT_EQ(t.compare(10u + 0x80000000u), Soa::behind);
  auto high = with_copy(0xFFFFFFF0u);
  EXPECT_EQ(high.compare(5), Soa::transfer);
  EXPECT_EQ(high.compare(0xFFFFFFF0u), Soa::current);
}

// Failures retry at the retry interval; past expire the copy is no
// longer served, once, and a refresh brings it back.
TEST(SecondaryTimers, FailuresRetryThenExpire) {
  auto t = with_copy();
  Millis now = kStart;
  int expirations = 0;
  for (int i = 0; i < 20; ++i) {
    now += s(20);
    t.check_started(now);
    expirations += t.failed(now);
    EXPECT_EQ(t.next_check(), now + s(20));
    EXPECT_EQ(t.expired(), now >= kStart + s(300)) << i;
  }
  EXPECT_EQ(expirations, 1);
  EXPECT_FALSE(t.expire_due(now));  // already expired
  t.check_started(now);
  t.refreshed(-1, now);
  EXPECT_FALSE(t.expired());
}

TEST(SecondaryTimers, TheExpiryTimerExpiresOnce) {
  auto t = with_copy();
  EXPECT_FALSE(t.expire_due(kStart + s(299)));
  EXPECT_TRUE(t.expire_due(kStart + s(300)));
  EXPECT_FALSE(t.expire_due(kStart + s(301)));
  EXPECT_TRUE(t.published().expired);
}

// RFC 7314 §4: a SOA reply's EXPIRE at our serial only extends the copy's
// life; a transfer's sets it; neither goes past the SOA expire.
TEST(SecondaryTimers, EdnsExpire) {
  auto t = with_copy();
  t.refreshed(50, kStart + s(100));  // 200 s left: kept
  EXPECT_EQ(t.expires_at(), kStart / 1000 + 300);
  t.refreshed(1000, kStart + s(100));  // capped at the SOA expire
  EXPECT_EQ(t.expires_at(), kStart / 1000 + 400);
  t.transferred(11, kSoa, 50, kStart + s(200));
  EXPECT_EQ(t.serial(), 11u);
  EXPECT_EQ(t.expires_at(), kStart / 1000 + 250);
  EXPECT_EQ(t.published().expires_at, kStart / 1000 + 250);
}

// RFC 1996: a NOTIFY checks at once when nothing runs; those during a
// check, or within a second of its start, fold into one more check a
// second after it began; one at a serial not newer needs none.
TEST(SecondaryTimers, NotifiesFold) {
  auto t = with_copy(10);
  t.check_started(kStart);
  t.refreshed(-1, kStart + 10);
  Millis now = kStart + s(5);
  EXPECT_EQ(t.fold_notify(11, now), NotifyAction::check_now);
  t.check_started(now);
  EXPECT_EQ(t.fold_notify(11, now + 10), NotifyAction::check_later);
  EXPECT_TRUE(t.pending());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(t.fold_notify(std::nullopt, now + 20 + i), NotifyAction::folded);
  EXPECT_EQ(t.folded(), 100u);
  t.refreshed(-1, now + 200);  // the check ends: the pending one is a second after it began
  EXPECT_EQ(t.next_check(), now + s(1));
  t.check_started(now + s(1));
  EXPECT_FALSE(t.pending());
  EXPECT_EQ(t.folded(), 0u);
  t.refreshed(-1, now + s(1) + 50);
  EXPECT_EQ(t.next_check(), now + s(1) + 50 + s(100));
  // Idle, but within a second of the last start: one check, a second after it.
  EXPECT_EQ(t.fold_notify(std::nullopt, now + s(1) + 100), NotifyAction::check_later);
  EXPECT_EQ(t.next_check(), now + s(2));
}

TEST(SecondaryTimers, ANotifyAtOurSerialNeedsNoCheckUnlessExpired) {
  auto t = with_copy(10);
  EXPECT_EQ(t.fold_notify(10, kStart), NotifyAction::up_to_date);
  EXPECT_EQ(t.fold_notify(9, kStart), NotifyAction::up_to_date);
  EXPECT_EQ(t.up_to_date(), 2u);
  EXPECT_EQ(t.fold_notify(11, kStart), NotifyAction::check_now);
  ASSERT_TRUE(t.expire_due(kStart + s(300)));
  EXPECT_EQ(t.fold_notify(10, kStart + s(300)), NotifyAction::check_now);
}

// A changed config asks for a check while one runs: one more after it.
TEST(SecondaryTimers, ACheckAskedForDuringOneFollowsIt) {
  auto t = with_copy();
  t.check_started(kStart);
  t.check_requested();
  EXPECT_TRUE(t.pending());
  t.refreshed(-1, kStart + s(3));
  EXPECT_EQ(t.next_check(), kStart + s(3));
}

}  // namespace
