// What changed between two versions of a zone, for its journal (RFC 1995).
#pragma once

#include "zone/journal.hpp"
#include "zone/zone.hpp"

namespace rpdns::zone {

// The change from `before` to `after`, two versions of one zone: every
// record of `before` not in `after` is removed and every record of
// `after` not in `before` added (a record whose TTL changed is both), the
// old SOA first among the removed and the new one first among the added.
// One pass over each version's names, looked up in the other by its
// index; neither version is copied.
ChangePtr diff(const Zone& before, const Zone& after);

// True when `change` holds nothing but the SOAs, and they are equal: the
// two versions are the same zone.
bool no_difference(const Change& change);

// Whether `after` may replace `before` (null: no earlier version), and
// with which journal. A greater serial (RFC 1982) carries the change into
// before's journal; the same content under the same serial (a file saved
// again) carries the journal over; anything else is refused, since a
// secondary would never see that change (false, and `after` untouched).
bool follow(const Zone* before, Zone& after, const JournalLimits& limits);

// True when `change` holds nothing but the SOAs, and they differ in their
// serial alone: the same zone under another serial.
bool only_serial_differs(const Change& change);

// Writes `serial` into `zone`'s SOA record and Zone::serial, before it
// is served: serial-policy increment, for a change made without raising
// the serial. False, and `zone` untouched, for a signed zone, whose SOA's
// signature would no longer verify.
bool set_serial(Zone& zone, uint32_t serial);

}  // namespace rpdns::zone
