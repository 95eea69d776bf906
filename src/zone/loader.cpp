#include "zone/loader.hpp"

#include <ldns/ldns.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/stat.h>

#include "zone/builder.hpp"
#include "zone/master_reader.hpp"
#include "zone/record_check.hpp"
#include "zone/simple_record.hpp"

namespace rpdns::zone {
namespace {

constexpr int kMaxIncludeDepth = 16;
constexpr std::size_t kMaxErrors = 50;
constexpr uint32_t kDefaultTtl = 3600;
constexpr const char* kTtlClamped = " is more than 2^31 - 1; set to 0 (RFC 2181 §8)";

// Owns an ldns_rdf and frees it on scope exit.
struct RdfPtr {
  ldns_rdf* p = nullptr;
  ~RdfPtr() { ldns_rdf_deep_free(p); }
  void reset(ldns_rdf* n) {
    ldns_rdf_deep_free(p);
    p = n;
  }
};

std::string rdf_wire(const ldns_rdf* rdf) {
  std::string wire(reinterpret_cast<const char*>(ldns_rdf_data(rdf)), ldns_rdf_size(rdf));
  dns::lowercase(wire);
  return wire;
}

class Parser {
 public:
  Parser(const std::string& origin_wire, std::vector<LoadError>& errors, LoadWarnings& warnings)
      : zone_origin_(origin_wire), errors_(errors), warnings_(warnings) {}
  ~Parser() {
    for (ldns_rdf* o : origins_) ldns_rdf_deep_free(o);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  std::vector<SourceFile> sources;

  // Pass 1, in file order: directives, and every record entry queued with
  // the origin and default TTL in force for it.
  void parse_file(const std::string& file, ldns_rdf* origin, int depth);
  // The same, for master-file text already in memory, named `file`.
  void parse_text(const std::string& file, const std::string& contents, ldns_rdf* origin, int depth);
  // Pass 2: the queued entries turned into records by ldns, split over
  // threads (ldns is most of the load time), merged back in file order.
  ParsedRecords parse_records();

 private:
  void error(const std::string& file, std::size_t line, std::string message) {
    if (errors_.size() < kMaxErrors) errors_.push_back({file, line, std::move(message)});
  }
  bool directive(const std::string& entry, const std::string& file, std::size_t line, RdfPtr& origin, int depth);
  void queue(const std::string& entry, std::size_t line, const ldns_rdf* origin);

  struct Entry {
    uint32_t text;  // offset of the NUL-terminated text in texts_
    uint32_t line;
    uint32_t source;  // index into files_
    uint32_t origin;  // index into origins_
    uint32_t ttl;     // the $TTL in force
  };
  class Chunk;

  std::string zone_origin_;
  std::vector<LoadError>& errors_;
  LoadWarnings& warnings_;
  uint32_t default_ttl_ = kDefaultTtl;
  uint32_t source_ = 0;  // index of the file being read in files_
  std::vector<std::string> files_;
  std::vector<ldns_rdf*> origins_;  // every origin in force at some entry, owned
  std::string texts_;
  std::vector<Entry> entries_;
};

// One thread's share of pass 2: entries [begin, end) into its own records.
class Parser::Chunk {
 public:
  Chunk(const Parser& parser, std::size_t begin, std::size_t end)
      : parser_(parser), begin_(begin), end_(end), rdata_(ldns_buffer_new(512)) {}
  ~Chunk() {
    ldns_buffer_free(rdata_);
    ldns_rdf_deep_free(prev_);
  }
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  void run();

  ParsedRecords records;
  std::vector<LoadError> errors;
  LoadWarnings warnings;

 private:
  void seed_previous_owner();
  void record(const Entry& e);
  void record_with_ldns(const Entry& e);
  bool normalise(const Entry& e, std::string& out);
  bool read_generic(const Entry& e, uint16_t type);
  void keep(const Entry& e, std::string_view owner, uint16_t type, uint32_t ttl, std::span<const uint8_t> rdata);
  const char* text(const Entry& e) const { return parser_.texts_.data() + e.text; }
  void error(const Entry& e, std::string message) {
    errors.push_back({parser_.files_[e.source], e.line, std::move(message)});
  }
  void warn(const Entry& e, std::string message) {
    warnings.add({parser_.files_[e.source], e.line, std::move(message)});
  }

  const Parser& parser_;
  std::size_t begin_, end_;
  ldns_buffer* rdata_;
  // The owner a record with a blank owner field inherits, kept twice: as an
  // ldns_rdf for ldns and as wire bytes for the fast path. The rdf is only
  // brought up to date when ldns needs it (`prev_stale_`).
  ldns_rdf* prev_ = nullptr;
  std::string prev_owner_;
  bool prev_stale_ = false;
  SimpleRecord simple_;
  std::string normal_;          // the entry being read, as ldns is given it
  std::string_view head_type_;  // its type field
  std::string_view generic_;    // its RDATA when in the generic form, else empty
  std::string generic_bytes_;   // that RDATA decoded
};

// A chunk may start with a record that inherits its owner from the last
// record of the previous chunk: parse that one's owner first.
void Parser::Chunk::seed_previous_owner() {
  for (std::size_t i = begin_; i-- > 0;) {
    const Entry& e = parser_.entries_[i];
    if (text(e)[0] == ' ') continue;
    ldns_rr* rr = nullptr;
    if (ldns_rr_new_frm_str(&rr, text(e), e.ttl, parser_.origins_[e.origin], &prev_) == LDNS_STATUS_OK) {
      ldns_rr_free(rr);
    }
    if (prev_ != nullptr) prev_owner_ = rdf_wire(prev_);
    return;
  }
}

void Parser::Chunk::run() {
  records.records.reserve(end_ - begin_);
  seed_previous_owner();
  for (std::size_t i = begin_; i < end_; ++i) record(parser_.entries_[i]);
}

// $ORIGIN, $TTL and $INCLUDE (RFC 1035 §5.1, RFC 2308 §4). Returns false when
// the entry is not a directive.
bool Parser::directive(const std::string& entry, const std::string& file, std::size_t line, RdfPtr& origin, int depth) {
  if (entry.empty() || entry[0] != '$') return false;
  std::istringstream words(entry);
  std::string keyword, arg, extra;
  words >> keyword >> arg;
  if (arg.empty()) {
    error(file, line, keyword + " needs an argument");
  } else if (keyword == "$ORIGIN") {
    ldns_rdf* name = nullptr;
    if (ldns_str2rdf_dname(&name, arg.c_str()) != LDNS_STATUS_OK) {
      error(file, line, "bad $ORIGIN name '" + arg + "'");
    } else {
      if (!ldns_dname_str_absolute(arg.c_str())) ldns_dname_cat(name, origin.p);
      origin.reset(name);
    }
  } else if (keyword == "$TTL") {
    uint64_t ttl = 0;
    if (!parse_ttl(arg, ttl)) {
      error(file, line, "bad $TTL value '" + arg + "'");
    } else if (ttl >= kTtlTooBig) {
      error(file, line, "$TTL " + arg + " does not fit in 32 bits");
    } else if (ttl > kMaxTtl) {
      warnings_.add({file, line, "$TTL " + arg + kTtlClamped});
      default_ttl_ = 0;
    } else {
      default_ttl_ = static_cast<uint32_t>(ttl);
    }
  } else if (keyword == "$INCLUDE") {
    words >> extra;
    std::filesystem::path path(arg);
    if (path.is_relative()) path = std::filesystem::path(file).parent_path() / path;
    RdfPtr include_origin;
    include_origin.reset(ldns_rdf_clone(origin.p));
    ldns_rdf* named = nullptr;
    if (!extra.empty() && ldns_str2rdf_dname(&named, extra.c_str()) == LDNS_STATUS_OK) {
      if (!ldns_dname_str_absolute(extra.c_str())) ldns_dname_cat(named, origin.p);
      include_origin.reset(named);
    }
    if (!extra.empty() && named == nullptr) {
      error(file, line, "bad $INCLUDE origin '" + extra + "'");
    } else if (depth >= kMaxIncludeDepth) {
      error(file, line, "$INCLUDE nested too deeply (loop?)");
    } else {
      parse_file(path.string(), include_origin.p, depth + 1);
    }
  } else {
    error(file, line, "unknown directive " + keyword);
  }
  return true;
}

void Parser::Chunk::record(const Entry& e) {
  const ldns_rdf* origin = parser_.origins_[e.origin];
  std::string_view origin_wire(reinterpret_cast<const char*>(ldns_rdf_data(origin)), ldns_rdf_size(origin));
  if (!read_simple_record(text(e), origin_wire, e.ttl, prev_owner_, simple_)) {
    record_with_ldns(e);
    return;
  }
  prev_owner_ = simple_.owner;
  prev_stale_ = true;
  keep(e, simple_.owner, simple_.type, simple_.ttl,
       {reinterpret_cast<const uint8_t*>(simple_.rdata.data()), simple_.rdata.size()});
}

// ldns 1.8 reads only "owner TTL class type", and puts its own default of
// 3600 in place of a missing TTL when the $TTL is 0. So every entry reaches
// it in that one order with an explicit TTL; the class is checked here.
bool Parser::Chunk::normalise(const Entry& e, std::string& out) {
  EntryHead head;
  if (!split_entry_head(text(e), head)) {
    bool ttl = !head.bad_field.empty() && head.bad_field.front() >= '0' && head.bad_field.front() <= '9';
    error(e, std::string(ttl ? "bad TTL '" : "bad class '") + std::string(head.bad_field) + "'");
    return false;
  }
  if (head.rr_class != dns::klass::IN) {
    error(e, "only class IN is served");
    return false;
  }
  head_type_ = head.type;
  uint64_t ttl = head.ttl_text.empty() ? e.ttl : head.ttl;
  if (ttl >= kTtlTooBig) {
    error(e, "TTL " + std::string(head.ttl_text) + " does not fit in 32 bits");
    return false;
  }
  if (ttl > kMaxTtl) {
    warn(e, "TTL " + std::string(head.ttl_text) + kTtlClamped);
    ttl = 0;
  }
  out.assign(head.owner);
  out += ' ';
  out += std::to_string(ttl);
  out += " IN ";
  out.append(head.type);
  // Generic RDATA is decoded here (see read_generic); ldns reads the rest.
  generic_ = is_generic_rdata(head.rdata) ? head.rdata : std::string_view{};
  if (!generic_.empty())
    out.append(" \\# 0");
  else if (!head.rdata.empty())
    out.append(" ").append(head.rdata);
  return true;
}

// RDATA in the generic form of RFC 3597 §5, into generic_bytes_. A type ldns
// knows must hold RDATA of that type; other types' RDATA stays opaque.
bool Parser::Chunk::read_generic(const Entry& e, uint16_t type) {
  std::string problem = decode_generic_rdata(generic_, generic_bytes_);
  if (problem.empty()) {
    auto bytes = std::span(reinterpret_cast<const uint8_t*>(generic_bytes_.data()), generic_bytes_.size());
    problem = check_rdata(type, bytes);
    if (!problem.empty()) problem = "generic RDATA (RFC 3597) is not valid " + type_text(type) + " RDATA: " + problem;
  }
  if (!problem.empty()) error(e, problem);
  return problem.empty();
}

void Parser::Chunk::record_with_ldns(const Entry& e) {
  if (prev_stale_) {
    ldns_rdf_deep_free(prev_);
    prev_ = ldns_dname_new_frm_data(static_cast<uint16_t>(prev_owner_.size()), prev_owner_.data());
    prev_stale_ = false;
  }
  if (!normalise(e, normal_)) return;
  ldns_rr* rr = nullptr;
  ldns_status status = ldns_rr_new_frm_str(&rr, normal_.c_str(), 0, parser_.origins_[e.origin], &prev_);
  if (prev_ != nullptr) prev_owner_ = rdf_wire(prev_);
  if (status != LDNS_STATUS_OK) {
    error(e, ldns_get_errorstr_by_id(status));
    return;
  }
  std::string owner = rdf_wire(ldns_rr_owner(rr));
  auto type = static_cast<uint16_t>(ldns_rr_get_type(rr));
  bool names_ok = names_within_limit(rr);
  ldns_buffer_clear(rdata_);
  bool wire_ok = ldns_rr_rdata2buffer_wire(rdata_, rr) == LDNS_STATUS_OK;
  std::span<const uint8_t> rdata{ldns_buffer_begin(rdata_), ldns_buffer_position(rdata_)};
  uint32_t ttl = ldns_rr_ttl(rr);
  ldns_rr_free(rr);
  if (type == 0) {
    // ldns makes type 0 (reserved, RFC 6895 §3.1) of a type name it does not know.
    error(e, "unknown type '" + std::string(head_type_) + "'");
    return;
  }
  if (!generic_.empty()) {
    if (!read_generic(e, type)) return;
    rdata = {reinterpret_cast<const uint8_t*>(generic_bytes_.data()), generic_bytes_.size()};
  }
  if (!names_ok) {
    error(e, "a name in the RDATA is longer than 255 bytes");
  } else if (!wire_ok || rdata.size() > 65535) {
    error(e, "RDATA too long");
  } else {
    keep(e, owner, type, ttl, rdata);
  }
}

void Parser::Chunk::keep(const Entry& e, std::string_view owner, uint16_t type, uint32_t ttl,
                         std::span<const uint8_t> rdata) {
  const std::string& origin = parser_.zone_origin_;
  if (owner.size() > dns::kMaxNameLength) {
    error(e, "owner name longer than 255 bytes");
  } else if (std::string problem = check_type(type); !problem.empty()) {
    error(e, problem);
  } else if (std::string too_big = check_record_size(owner, rdata.size()); !too_big.empty()) {
    error(e, too_big);
  } else if (!dns::is_subdomain(owner, origin)) {
    // As BIND and Knot do: a stray record costs the record, not the zone.
    warn(e, dns::to_text(owner) + " is outside the zone " + dns::to_text(origin) + "; ignored");
  } else {
    records.add(owner, type, ttl, rdata, e.source, e.line);
  }
}

void Parser::queue(const std::string& entry, std::size_t line, const ldns_rdf* origin) {
  if (origins_.empty() || ldns_rdf_compare(origins_.back(), origin) != 0) origins_.push_back(ldns_rdf_clone(origin));
  entries_.push_back({static_cast<uint32_t>(texts_.size()), static_cast<uint32_t>(line), source_,
                      static_cast<uint32_t>(origins_.size() - 1), default_ttl_});
  texts_ += entry;
  texts_ += '\0';
}

ParsedRecords Parser::parse_records() {
  // Below a few thousand records a thread costs more than it saves.
  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  if (entries_.size() < 4096) threads = 1;
  std::vector<std::unique_ptr<Chunk>> chunks;
  for (unsigned t = 0; t < threads; ++t) {
    chunks.push_back(
        std::make_unique<Chunk>(*this, entries_.size() * t / threads, entries_.size() * (t + 1) / threads));
  }
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads; ++t) workers.emplace_back([&chunks, t] { chunks[t]->run(); });
  chunks[0]->run();
  for (auto& w : workers) w.join();
  // The entries' text is read; freeing it before the merge and the build
  // keeps a big zone's peak memory down.
  std::string().swap(texts_);
  std::vector<Entry>().swap(entries_);
  ParsedRecords all = std::move(chunks[0]->records);
  all.files = files_;
  std::size_t bytes = 0, records = 0;
  for (const auto& chunk : chunks) {
    bytes += chunk->records.bytes.size();
    records += chunk->records.records.size();
  }
  all.bytes.reserve(all.bytes.size() + bytes);
  all.records.reserve(all.records.size() + records);
  for (auto& chunk : chunks) {
    if (chunk != chunks[0]) all.append(chunk->records);
    chunk->records = ParsedRecords();  // each copy freed as soon as it is merged
    for (auto& e : chunk->errors) error(e.file, e.line, e.message);
    warnings_.append(chunk->warnings);
  }
  return all;
}

void Parser::parse_file(const std::string& file, ldns_rdf* origin, int depth) {
  SourceFile source;
  std::string contents;
  if (!stamp_file(file, source, &contents)) {
    error(file, 0, "cannot open file");
    return;
  }
  sources.push_back(source);
  parse_text(file, contents, origin, depth);
}

void Parser::parse_text(const std::string& file, const std::string& contents, ldns_rdf* origin, int depth) {
  uint32_t outer = source_;
  source_ = static_cast<uint32_t>(files_.size());
  files_.push_back(file);

  RdfPtr current;
  current.reset(ldns_rdf_clone(origin));
  MasterReader reader(contents);
  std::string entry, problem;
  std::size_t line = 0;
  while (reader.next(entry, line, problem)) {
    if (!directive(entry, file, line, current, depth)) queue(entry, line, current.p);
  }
  if (!problem.empty()) error(file, line, problem);
  source_ = outer;
}

// Warnings are found by several passes ($TTL while reading, records while
// parsing, RRsets while building); they are shown in the order of the files
// (as first read) and lines they point at.
void in_file_order(std::vector<LoadError>& warnings, const std::vector<std::string>& files) {
  auto rank = [&files](const LoadError& w) {
    auto at = std::find(files.begin(), files.end(), w.file);
    return std::pair{static_cast<std::size_t>(at - files.begin()), w.line};
  };
  std::stable_sort(warnings.begin(), warnings.end(),
                   [&rank](const LoadError& a, const LoadError& b) { return rank(a) < rank(b); });
}

// A zone from `file`, or from `text` (named `file`) when given.
LoadResult load(const dns::WireName& origin, const std::string& file, const std::string* text) {
  LoadResult result;
  auto zone = std::make_shared<Zone>();
  zone->file = file;
  zone->origin = origin.wire();
  zone->labels = dns::count_labels(zone->origin);
  Parser parser(zone->origin, result.errors, result.warnings);
  RdfPtr origin_rdf;
  origin_rdf.reset(ldns_dname_new_frm_data(static_cast<uint16_t>(zone->origin.size()), zone->origin.data()));
  auto start = std::chrono::steady_clock::now();
  auto lap = [&start] {
    auto now = std::chrono::steady_clock::now();
    double seconds = std::chrono::duration<double>(now - start).count();
    start = now;
    return seconds;
  };
  if (text != nullptr)
    parser.parse_text(file, *text, origin_rdf.p, 0);
  else
    parser.parse_file(file, origin_rdf.p, 0);
  result.phases.read_seconds = lap();
  ParsedRecords parsed = parser.parse_records();
  result.phases.parse_seconds = lap();
  if (!result.errors.empty()) {
    in_file_order(result.warnings.listed, parsed.files);
    return result;
  }
  bool built = build_zone(parsed, file, *zone, result.errors, result.warnings);
  result.phases.build_seconds = lap();
  in_file_order(result.warnings.listed, parsed.files);
  if (!built) return result;
  zone->sources = std::move(parser.sources);
  result.zone = std::move(zone);
  return result;
}

// The zone named by presentation text; a bad name is the result's error.
LoadResult load_named(const std::string& origin_text, const std::string& file, const std::string* text) {
  if (auto origin = dns::WireName::from_text(origin_text)) return load(*origin, file, text);
  LoadResult result;
  result.errors.push_back({file, 0, "bad zone origin '" + origin_text + "'"});
  return result;
}

}  // namespace

LoadResult load_zone(const dns::WireName& origin, const std::string& file) { return load(origin, file, nullptr); }

LoadResult load_zone_text(const dns::WireName& origin, const std::string& name, const std::string& text) {
  return load(origin, name, &text);
}

LoadResult load_zone(const std::string& origin, const std::string& file) { return load_named(origin, file, nullptr); }

LoadResult load_zone_text(const std::string& origin, const std::string& name, const std::string& text) {
  return load_named(origin, name, &text);
}

void LoadWarnings::add(LoadError warning) {
  if (listed.size() < kMaxListed) listed.push_back(std::move(warning));
  ++count;
}

void LoadWarnings::append(const LoadWarnings& more) {
  for (const auto& w : more.listed) {
    if (listed.size() < kMaxListed) listed.push_back(w);
  }
  count += more.count;
}

std::string LoadError::to_string() const { return file + ":" + std::to_string(line) + ": " + message; }

std::string type_text(uint16_t type) {
  char* name = ldns_rr_type2str(static_cast<ldns_rr_type>(type));
  std::string out = name == nullptr ? "TYPE" + std::to_string(type) : name;
  free(name);
  return out;
}

}  // namespace rpdns::zone
