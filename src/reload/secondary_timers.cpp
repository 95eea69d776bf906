#include "reload/secondary_timers.hpp"

#include <algorithm>

#include "dns/wire.hpp"

namespace rpdns::reload {
namespace {

int64_t seconds_of(Millis t) { return t / 1000; }
Millis millis_of(int64_t seconds) { return seconds * 1000; }

}  // namespace

SoaTimers SoaTimers::of(const zone::Zone& zone) {
  auto rdata = zone.soa->first_rdata();
  dns::SoaView soa{rdata.data(), rdata.size()};
  return {std::max<uint32_t>(soa.refresh(), 1), std::max<uint32_t>(soa.retry(), 1), soa.expire()};
}

void SecondaryTimers::start_with_copy(uint32_t serial, SoaTimers soa, int64_t refreshed_at, Millis now) {
  has_copy_ = true;
  serial_ = serial;
  soa_ = soa;
  last_refresh_ = refreshed_at;
  expires_at_ = refreshed_at + soa.expire;
  expired_ = seconds_of(now) >= expires_at_;
  next_check_ = now;
}

void SecondaryTimers::start_without_copy(Millis now) {
  has_copy_ = false;
  expired_ = true;
  next_check_ = now;
}

SecondaryTimers::NotifyAction SecondaryTimers::fold_notify(std::optional<uint32_t> serial, Millis now) {
  if (serial && has_copy_ && !expired_ && !dns::serial_greater(*serial, serial_)) {
    ++up_to_date_;
    return NotifyAction::up_to_date;
  }
  if (pending_) {
    ++folded_;  // the pending check answers this one too
    return NotifyAction::folded;
  }
  Millis due = last_check_ + kNotifyHoldOff;
  if (!busy_ && now >= due) return NotifyAction::check_now;
  pending_ = true;
  if (!busy_) next_check_ = due;  // else finish() sets it
  return NotifyAction::check_later;
}

void SecondaryTimers::check_started(Millis now) {
  busy_ = true;
  pending_ = false;
  folded_ = 0;
  up_to_date_ = 0;
  last_check_ = now;
}

SecondaryTimers::Soa SecondaryTimers::compare(uint32_t primary_serial) const {
  if (!has_copy_ || dns::serial_greater(primary_serial, serial_)) return Soa::transfer;
  return primary_serial == serial_ ? Soa::current : Soa::behind;
}

void SecondaryTimers::refreshed(int64_t edns_expire, Millis now, uint32_t jitter) {
  int64_t left = std::max<int64_t>(expires_at_ - seconds_of(now), 0);
  int64_t valid = edns_expire < 0 ? int64_t{soa_.expire} : std::max(left, std::min<int64_t>(edns_expire, soa_.expire));
  last_refresh_ = seconds_of(now);
  expires_at_ = last_refresh_ + valid;
  expired_ = false;
  finish(now, now + millis_of(int64_t{soa_.refresh} - jitter));
}

void SecondaryTimers::transferred(uint32_t serial, SoaTimers soa, int64_t edns_expire, Millis now, uint32_t jitter) {
  has_copy_ = true;
  serial_ = serial;
  soa_ = soa;
  // A transfer's EXPIRE sets the new copy's life, never past the SOA expire.
  int64_t valid = edns_expire < 0 ? int64_t{soa.expire} : std::min<int64_t>(edns_expire, soa.expire);
  last_refresh_ = seconds_of(now);
  expires_at_ = last_refresh_ + valid;
  expired_ = false;
  finish(now, now + millis_of(int64_t{soa.refresh} - jitter));
}

bool SecondaryTimers::failed(Millis now, uint32_t jitter) {
  uint32_t retry = has_copy_ ? soa_.retry : kNoCopyRetry;
  finish(now, now + millis_of(int64_t{retry} - jitter));
  return expire_due(now);
}

bool SecondaryTimers::expire_due(Millis now) {
  if (!has_copy_ || expired_ || seconds_of(now) < expires_at_) return false;
  expired_ = true;
  return true;
}

// A NOTIFY came during the check: one more, kNotifyHoldOff after this one began.
void SecondaryTimers::finish(Millis now, Millis next) {
  busy_ = false;
  next_check_ = pending_ ? std::max(now, last_check_ + kNotifyHoldOff) : next;
}

void SecondaryTimers::check_requested() {
  if (busy_) pending_ = true;
}

}  // namespace rpdns::reload
