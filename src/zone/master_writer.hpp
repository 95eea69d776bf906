// Writes a compiled zone back out as an RFC 1035 master file (a secondary's
// kept copy), atomically: a temporary file beside the target, fsync, rename,
// fsync of the directory. A reader sees the old file or the new one, whole.
#pragma once

#include <string>

#include "zone/zone.hpp"

namespace rpdns::zone {

// Every record of `zone`, the SOA first, one per line in ldns's presentation
// form; false with `error` set when the file could not be written (the old
// file, if any, is then left as it was).
bool write_master_file(const Zone& zone, const std::string& path, std::string& error);

// Sets the file's modification time to now: a secondary's record of its
// last successful refresh, which survives a restart.
bool touch_file(const std::string& path, int64_t mtime);

}  // namespace rpdns::zone
