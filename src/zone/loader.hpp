// Loads RFC 1035 master files with ldns and compiles them into Zone values.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "dns/name.hpp"
#include "zone/zone.hpp"

namespace rpdns::zone {

struct LoadError {
  std::string file;
  std::size_t line = 0;  // 0 when the problem is the whole file (e.g. unreadable)
  std::string message;

  std::string to_string() const;  // "file:line: message"
};

// Where a load's time went, for the log and for tuning.
struct LoadPhases {
  double read_seconds = 0;   // files read and split into entries
  double parse_seconds = 0;  // entries turned into records
  double build_seconds = 0;  // records compiled into the zone
};

// Problems that do not stop a load (a record ignored, a TTL changed). A
// zone can earn one per record, so only the first few are kept; all are counted.
struct LoadWarnings {
  static constexpr std::size_t kMaxListed = 100;
  std::vector<LoadError> listed;  // in the order found
  std::size_t count = 0;          // listed.size() plus those not kept

  void add(LoadError warning);
  void append(const LoadWarnings& more);
};

struct LoadResult {
  std::shared_ptr<Zone> zone;  // null when errors is not empty; the caller may attach a journal
  std::vector<LoadError> errors;
  LoadWarnings warnings;  // never a reason to fail
  LoadPhases phases;
};

// Parses `file` as the zone `origin`. Collects every error it can find
// rather than stopping at the first.
LoadResult load_zone(const dns::WireName& origin, const std::string& file);
// The same for master-file text in memory, `name` standing for its file in
// errors (a kept copy is read back this way before it is written).
LoadResult load_zone_text(const dns::WireName& origin, const std::string& name, const std::string& text);
// Both with the origin in presentation form ("example.com"), as tests and
// tools have it; a bad name is an error of the result.
LoadResult load_zone(const std::string& origin, const std::string& file);
LoadResult load_zone_text(const std::string& origin, const std::string& name, const std::string& text);

// A type's mnemonic ("AAAA"), or "TYPE65280" for one ldns has no name for.
std::string type_text(uint16_t type);

// Reads a file's size, modification time and content hash; false if unreadable.
bool stamp_file(const std::string& path, SourceFile& out, std::string* contents = nullptr);

// True when every file the zone was read from still has the same size and
// modification time, or failing that the same contents.
bool sources_unchanged(const Zone& zone);

}  // namespace rpdns::zone
