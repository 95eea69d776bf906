// Compiles parsed records into a Zone: groups them by name and type,
// removes duplicates (RFC 2181 §5), adds empty non-terminals, checks the
// rules a zone must keep, and lays everything out in one arena.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zone/loader.hpp"
#include "zone/zone.hpp"

namespace rpdns::zone {

// Records as the parser hands them over: owner names (lowercased) and RDATA
// appended to one byte buffer, with where each came from.
struct ParsedRecords {
  struct Record {
    uint32_t owner_offset;
    uint32_t rdata_offset;
    uint16_t rdata_length;
    uint8_t owner_length;
    uint16_t type;
    uint32_t ttl;
    uint32_t line;
    uint32_t source;  // index into `files`
  };
  std::vector<uint8_t> bytes;
  std::vector<Record> records;
  std::vector<std::string> files;

  std::string_view owner(const Record& r) const {
    return {reinterpret_cast<const char*>(bytes.data()) + r.owner_offset, r.owner_length};
  }
  std::span<const uint8_t> rdata(const Record& r) const { return {bytes.data() + r.rdata_offset, r.rdata_length}; }
  void add(std::string_view owner, uint16_t type, uint32_t ttl, std::span<const uint8_t> rdata, uint32_t source,
           uint32_t line);
  // Appends another batch (parsed by another thread) after these records.
  void append(const ParsedRecords& more);
};

// Fills `zone` (origin, labels and file already set) from `parsed`; appends
// "file:line" errors for every rule broken, and returns false on any.
// Problems it can repair go to `warnings`.
bool build_zone(const ParsedRecords& parsed, const std::string& file, Zone& zone, std::vector<LoadError>& errors,
                LoadWarnings& warnings);

}  // namespace rpdns::zone
