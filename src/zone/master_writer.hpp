// Writes a compiled zone back out as an RFC 1035 master file (a secondary's
// kept copy), atomically: a temporary file beside the target, fsync, rename,
// fsync of the directory. A reader sees the old file or the new one, whole.
// Before anything is written the text is read back by the zone loader and
// must give exactly the zone's records, so a kept copy always loads back.
#pragma once

#include <string>

#include "zone/zone.hpp"

namespace rpdns::zone {

// Every record of `zone`, the SOA first, one per line, owners absolute and
// escaped as RFC 1035 §5.1 asks; the common types (A, AAAA, NS, CNAME,
// PTR, DNAME, MX, SOA, TXT) in their usual form, every other type in the
// generic form of RFC 3597 §5 ("\# length hex"), which reads back to the
// same bytes whatever they are.
std::string master_text(const Zone& zone);

// "" when `a` and `b` hold the same names, RRsets, TTLs and records, else
// the first difference found.
std::string first_difference(const Zone& a, const Zone& b);

// "" when `text` (master_text of `zone`, standing for file `name`) loads
// back as exactly `zone`, else what went wrong.
std::string load_back_problem(const Zone& zone, const std::string& text, const std::string& name);

enum class WriteStatus {
  written,
  does_not_load_back,  // the text did not load, or loaded as other data: nothing written
  io_error,            // the file could not be written; the old one, if any, is left as it was
};

// Writes master_text(zone) to `path` after reading it back; `error` says
// why when the status is not `written`.
WriteStatus write_master_file(const Zone& zone, const std::string& path, std::string& error);

// Writes master_text(zone) to `path` atomically, a megabyte at a time and
// without reading it back first (the journal's base: one that does not load
// is found at start and not used).
bool write_master_pieces(const Zone& zone, const std::string& path, std::string& error);

// Writes `text` (any bytes) to `path` atomically, as the header says: a
// temporary file beside it, fsync, rename, fsync of the directory. False,
// with `error`, when it could not; the old file is then left as it was.
bool write_atomically(const std::string& text, const std::string& path, std::string& error);

// Sets the file's modification time to `mtime` (Unix time): a secondary's
// record of its last successful refresh, which survives a restart.
bool touch_file(const std::string& path, int64_t mtime);

}  // namespace rpdns::zone
