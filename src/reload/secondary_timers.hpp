// One secondary zone's timers (RFC 1034 §4.3.5, RFC 1996, RFC 7314) as a
// value: when its copy was last refreshed and when it expires, when the
// next SOA check is due, whether one is under way, and the NOTIFYs folded
// into the next. Every event takes the time it happened at (Unix
// milliseconds) and the caller does the I/O, so the state machine is
// tested alone with a fake clock (tests/unit/secondary_timers_test.cpp).
#pragma once

#include <cstdint>
#include <optional>

#include "zone/zone.hpp"

namespace rpdns::reload {

using Millis = int64_t;  // Unix time in milliseconds

// A SOA's timers (RFC 1035 §3.3.13), in seconds.
struct SoaTimers {
  uint32_t refresh = 3600;
  uint32_t retry = 600;
  uint32_t expire = 604800;
  // Refresh and retry at least a second: a zero must not spin.
  static SoaTimers of(const zone::Zone& zone);
};

class SecondaryTimers {
 public:
  static constexpr uint32_t kNoCopyRetry = 15;  // seconds between tries while there is no copy at all
  // NOTIFYs start a SOA check at most this often; those in between fold
  // into one pending check (a flood once made hundreds of checks).
  static constexpr Millis kNotifyHoldOff = 1000;

  // At start: the kept copy served, refreshed (its file dated) at
  // `refreshed_at` seconds, or no copy at all; a check is due at once.
  void start_with_copy(uint32_t serial, SoaTimers soa, int64_t refreshed_at, Millis now);
  void start_without_copy(Millis now);

  enum class NotifyAction { up_to_date, folded, check_now, check_later };
  // RFC 1996 §3.7, §3.11: a NOTIFY whose serial is not newer (RFC 1982)
  // than an unexpired copy needs no check. Otherwise a check at once when
  // none runs and the last began over kNotifyHoldOff ago, else one pending.
  NotifyAction fold_notify(std::optional<uint32_t> serial, Millis now);
  // The due check begins (the timer fired, or check_now).
  void check_started(Millis now);
  // A check is asked for (a changed config) while one runs: one more after it.
  void check_requested();

  enum class Soa { transfer, current, behind };
  // What a primary's SOA serial means: newer (or no copy yet) transfer;
  // the same, a refresh; lower or undefined (RFC 1982), a primary behind us.
  Soa compare(uint32_t primary_serial) const;

  // The copy is current: valid for the SOA expire, or a primary's EDNS
  // EXPIRE (RFC 7314 §4: from a SOA reply only ever extending the copy's
  // life; from a transfer, setting it); next check after the refresh
  // interval less `jitter` seconds. `edns_expire` < 0: none given.
  void refreshed(int64_t edns_expire, Millis now, uint32_t jitter = 0);
  // A new copy with `serial` and `soa` came by transfer, then refreshed().
  void transferred(uint32_t serial, SoaTimers soa, int64_t edns_expire, Millis now, uint32_t jitter = 0);
  // Every primary failed: next try after the retry interval (kNoCopyRetry
  // without a copy). True when the copy expired with this failure.
  bool failed(Millis now, uint32_t jitter = 0);
  // RFC 1034 §4.3.5: past expire without a refresh. True when it just expired.
  bool expire_due(Millis now);

  bool has_copy() const { return has_copy_; }
  bool expired() const { return expired_; }
  bool busy() const { return busy_; }
  bool pending() const { return pending_; }
  uint32_t serial() const { return serial_; }
  const SoaTimers& soa() const { return soa_; }
  int64_t last_refresh() const { return last_refresh_; }  // Unix seconds; 0: never
  int64_t expires_at() const { return expires_at_; }      // Unix seconds
  Millis next_check() const { return next_check_; }
  // NOTIFYs folded into the pending check, and those found up to date,
  // since the last check began: for one log line per check.
  uint64_t folded() const { return folded_; }
  uint64_t up_to_date() const { return up_to_date_; }
  // The state answers need: served or SERVFAIL, and EXPIRE's time left.
  zone::SecondaryState published() const { return {expired_, expires_at_}; }

 private:
  void finish(Millis now, Millis next);

  bool has_copy_ = false;
  bool expired_ = true;
  uint32_t serial_ = 0;
  SoaTimers soa_;
  int64_t last_refresh_ = 0;
  int64_t expires_at_ = 0;
  Millis next_check_ = 0;
  Millis last_check_ = INT64_MIN / 2;  // long ago
  bool busy_ = false;
  bool pending_ = false;
  uint64_t folded_ = 0;
  uint64_t up_to_date_ = 0;
};

}  // namespace rpdns::reload
