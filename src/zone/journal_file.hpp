// A zone's journal on disk, so IXFR survives a restart: one file per zone
// (the zone's file with ".jnl" added), rewritten whole and atomically on
// every change. A journal is bounded (journal-size, a few MiB), so a
// rewrite costs little, and a crash at any point leaves the old file or the
// new one: never half of one.
//
// Layout (big-endian): "RPDNSJNL", version (u32, 2), the origin (u8
// length, wire form), the fingerprint of the zone's files (u64, see
// sources_fingerprint), the number of changes (u32); each change as from,
// to, removed count, removed bytes, added count, added bytes (u32 each)
// and the two record lists; then SHA-256 of everything before it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "zone/journal.hpp"
#include "zone/zone.hpp"

namespace rpdns::zone {

// Where the journal of the zone kept in `zone_file` lives.
std::string journal_path(const std::string& zone_file);

// A fingerprint of a zone's files as read (paths, sizes, modification
// times, inodes), the same from one run to the next: saved with the
// journal, it tells a start that the files are as they were when the
// version the journal ends at was read, so it need not be rebuilt and
// compared.
uint64_t sources_fingerprint(const std::vector<SourceFile>& sources);

// The file's bytes for `journal` of the zone `origin` (canonical wire
// form) whose files have the fingerprint `sources`.
std::string journal_bytes(const Journal& journal, std::string_view origin, uint64_t sources = 0);

// Writes `journal` to `path` atomically; with a null journal, removes the
// file (there is nothing to keep). False, with `error`, when it could not.
bool write_journal(const Journal* journal, std::string_view origin, const std::string& path, std::string& error,
                   uint64_t sources = 0);

// The journal in `path` for the zone `origin`, whatever serial it ends at,
// and the fingerprint it was saved with. Null when there is no file; null
// with `problem` set when the file is damaged or belongs to another zone.
std::shared_ptr<const Journal> read_journal(const std::string& path, std::string_view origin, std::string& problem,
                                            uint64_t* sources = nullptr);

// The journal in `path` for the zone `origin` whose version now has
// `serial`. Null when there is no file; null with `problem` set when the
// file is damaged, belongs to another zone, or does not end at `serial`
// (the zone file changed while we were down): such a journal is never
// served.
std::shared_ptr<const Journal> read_journal(const std::string& path, std::string_view origin, uint32_t serial,
                                            std::string& problem);

}  // namespace rpdns::zone
