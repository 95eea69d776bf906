// The version of a zone its journal builds on, kept beside the journal as
// a master file ("FILE.jnl.base"). The base and the journal's changes since
// its serial give back the version last served, which a zone file edited
// while rpdns was down is then diffed against at start, as on a reload.
//
// The base is rewritten only when the journal no longer reaches back to it
// (one change in journal-depth, or fewer when journal-size drops them
// sooner), so a reload seldom pays for writing the whole zone, and then
// only once the new version is served (reload::write_bases). Like the
// journal it is written atomically; a crash between the two leaves a base
// the journal does not reach, which is found at start and not used.
#pragma once

#include <memory>
#include <string>

#include "dns/name.hpp"
#include "zone/journal.hpp"
#include "zone/zone.hpp"

namespace rpdns::zone {

// Where the base of the journal of the zone kept in `zone_file` lives.
std::string base_path(const std::string& zone_file);

// Whether `zone`'s journal still reaches back to the base it carries.
bool base_reached(const Zone& zone);

// Writes `zone` as the base of its journal, atomically. False, with
// `error`, when it could not.
bool write_base(const Zone& zone, const std::string& zone_file, std::string& error);

// The version `journal` ends at, rebuilt from the base beside `zone_file`
// and the journal's changes since the base's serial, with `journal`
// attached. Null, with `problem`, when there is no base, it does not load,
// the journal does not reach back to it, or a change does not apply.
std::shared_ptr<Zone> rebuild_last(const dns::WireName& origin, const std::string& zone_file,
                                   std::shared_ptr<const Journal> journal, std::string& problem);

}  // namespace rpdns::zone
