#include "zone/journal_base.hpp"

#include <filesystem>
#include <vector>

#include "zone/apply.hpp"
#include "zone/builder.hpp"
#include "zone/loader.hpp"
#include "zone/master_writer.hpp"

namespace rpdns::zone {
namespace {

// `base` with `changes` applied, checked and compiled like a loaded zone.
std::shared_ptr<Zone> applied(const Zone& base, std::span<const ChangePtr> changes, std::string& problem) {
  ParsedRecords records;
  records.files.push_back(base.file);
  problem = apply_changes(base, changes, records);
  if (!problem.empty()) return nullptr;
  auto zone = std::make_shared<Zone>();
  zone->origin = base.origin;
  zone->labels = base.labels;
  zone->file = base.file;
  std::vector<LoadError> errors;
  LoadWarnings warnings;
  if (build_zone(records, base.file, *zone, errors, warnings)) return zone;
  problem = "the rebuilt version does not load: " + errors.front().to_string();
  return nullptr;
}

}  // namespace

std::string base_path(const std::string& zone_file) { return zone_file + ".jnl.base"; }

bool base_reached(const Zone& zone) {
  if (!zone.base_serial || zone.journal == nullptr) return false;
  return *zone.base_serial == zone.journal->last_serial() || !zone.journal->since(*zone.base_serial).empty();
}

bool write_base(const Zone& zone, const std::string& zone_file, std::string& error) {
  // Not read back first as a secondary's copy is: a base that does not
  // load is found at start and not used, and the zone is served from its
  // file all the same.
  return write_master_pieces(zone, base_path(zone_file), error);
}

std::shared_ptr<Zone> rebuild_last(const dns::WireName& origin, const std::string& zone_file,
                                   std::shared_ptr<const Journal> journal, std::string& problem) {
  std::string path = base_path(zone_file);
  if (!std::filesystem::exists(path)) {
    problem = "there is no base " + path + " to rebuild its last version from";
    return nullptr;
  }
  auto base = load_zone(origin, path);
  if (!base.zone) {
    problem = "its base does not load: " + base.errors.front().to_string();
    return nullptr;
  }
  uint32_t serial = base.zone->serial;
  std::shared_ptr<Zone> last = base.zone;
  if (serial != journal->last_serial()) {
    auto chain = journal->since(serial);
    if (chain.empty()) {
      problem = "its base " + path + " has serial " + std::to_string(serial) + ", which the journal does not reach";
      return nullptr;
    }
    last = applied(*base.zone, chain, problem);
    if (!last) return nullptr;
  }
  last->journal = std::move(journal);
  last->base_serial = serial;
  return last;
}

}  // namespace rpdns::zone
