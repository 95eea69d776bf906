#include "zone/loader.hpp"

#include <ldns/ldns.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <sys/stat.h>

#include "zone/master_reader.hpp"

namespace rpdns::zone {
namespace {

constexpr int kMaxIncludeDepth = 16;
constexpr std::size_t kMaxErrors = 50;
constexpr uint32_t kDefaultTtl = 3600;

struct Record {
  std::string owner;  // canonical wire form
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
  std::string file;
  std::size_t line = 0;
};

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
  Parser(const std::string& origin_wire, std::vector<LoadError>& errors)
      : zone_origin_(origin_wire), errors_(errors) {}

  std::vector<Record> records;
  std::vector<SourceFile> sources;

  void parse_file(const std::string& file, ldns_rdf* origin, int depth);

 private:
  void error(const std::string& file, std::size_t line, std::string message) {
    if (errors_.size() < kMaxErrors) errors_.push_back({file, line, std::move(message)});
  }
  bool directive(const std::string& entry, const std::string& file, std::size_t line,
                 RdfPtr& origin, int depth);
  void record(const std::string& entry, const std::string& file, std::size_t line,
              const ldns_rdf* origin);

  std::string zone_origin_;
  std::vector<LoadError>& errors_;
  uint32_t default_ttl_ = kDefaultTtl;
  RdfPtr prev_;
};

// $ORIGIN, $TTL and $INCLUDE (RFC 1035 §5.1, RFC 2308 §4). Returns false when
// the entry is not a directive.
bool Parser::directive(const std::string& entry, const std::string& file, std::size_t line,
                       RdfPtr& origin, int depth) {
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
    const char* end = nullptr;
    uint32_t ttl = ldns_str2period(arg.c_str(), &end);
    if (end == nullptr || *end != '\0') error(file, line, "bad $TTL value '" + arg + "'");
    else default_ttl_ = ttl;
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

void Parser::record(const std::string& entry, const std::string& file, std::size_t line,
                    const ldns_rdf* origin) {
  ldns_rr* rr = nullptr;
  ldns_status status = ldns_rr_new_frm_str(&rr, entry.c_str(), default_ttl_, origin, &prev_.p);
  if (status != LDNS_STATUS_OK) {
    error(file, line, ldns_get_errorstr_by_id(status));
    return;
  }
  Record rec;
  rec.owner = rdf_wire(ldns_rr_owner(rr));
  rec.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
  rec.ttl = ldns_rr_ttl(rr);
  rec.file = file;
  rec.line = line;
  ldns_buffer* buf = ldns_buffer_new(512);
  if (ldns_rr_rdata2buffer_wire(buf, rr) == LDNS_STATUS_OK) {
    const uint8_t* data = ldns_buffer_begin(buf);
    rec.rdata.assign(data, data + ldns_buffer_position(buf));
  }
  ldns_buffer_free(buf);
  bool in_class = ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN;
  ldns_rr_free(rr);
  if (!in_class) {
    error(file, line, "only class IN is served");
  } else if (!dns::is_subdomain(rec.owner, zone_origin_)) {
    error(file, line, dns::to_text(rec.owner) + " is outside the zone " + dns::to_text(zone_origin_));
  } else if (rec.rdata.size() > 65535) {
    error(file, line, "RDATA too long");
  } else {
    records.push_back(std::move(rec));
  }
}

void Parser::parse_file(const std::string& file, ldns_rdf* origin, int depth) {
  SourceFile source;
  std::string contents;
  if (!stamp_file(file, source, &contents)) {
    error(file, 0, "cannot open file");
    return;
  }
  sources.push_back(source);
  std::istringstream in(contents);
  RdfPtr current;
  current.reset(ldns_rdf_clone(origin));
  MasterReader reader(in);
  std::string entry, problem;
  std::size_t line = 0;
  while (reader.next(entry, line, problem)) {
    if (!directive(entry, file, line, current, depth)) record(entry, file, line, current.p);
  }
  if (!problem.empty()) error(file, line, problem);
}

void check_apex(const Zone& zone, const std::vector<Record>& records, const std::string& file,
                std::vector<LoadError>& errors) {
  std::size_t soa_count = 0;
  for (const auto& r : records) {
    if (r.type != dns::type::SOA) continue;
    if (r.owner != zone.origin) {
      errors.push_back({r.file, r.line, "SOA record outside the zone apex"});
    } else if (++soa_count > 1) {
      errors.push_back({r.file, r.line, "more than one SOA record at the apex"});
    }
  }
  std::size_t first_line = records.empty() ? 0 : records.front().line;
  if (soa_count == 0) errors.push_back({file, first_line, "no SOA record at the zone apex"});
  if (zone.apex == nullptr || zone.apex->find(dns::type::NS) == nullptr) {
    errors.push_back({file, first_line, "no NS records at the zone apex"});
  }
}

void add_record(NodeMap& nodes, const Record& r, std::vector<LoadError>& errors) {
  Node& node = nodes[r.owner];
  node.name = r.owner;
  auto it = std::find_if(node.rrsets.begin(), node.rrsets.end(),
                         [&](const RRset& s) { return s.type == r.type; });
  if (it == node.rrsets.end()) {
    node.rrsets.push_back({r.type, 0, r.ttl, {}});
    it = node.rrsets.end() - 1;
  } else {
    // RFC 2181 §5: an RRset is a set; identical records collapse into one.
    const uint8_t* rec = it->records.data();
    for (unsigned i = 0; i < it->count; ++i) {
      uint16_t len = dns::read_u16(rec + 4);
      if (len == r.rdata.size() && std::equal(r.rdata.begin(), r.rdata.end(), rec + 6)) return;
      rec += 6u + len;
    }
    if (r.type == dns::type::CNAME || r.type == dns::type::DNAME) {
      errors.push_back({r.file, r.line, "more than one record in a singleton RRset"});
      return;
    }
  }
  // RFC 2181 §5.2: one TTL per RRset; the first record's wins.
  std::size_t at = it->records.size();
  it->records.resize(at + 6 + r.rdata.size());
  dns::write_u32(it->records.data() + at, it->ttl);
  dns::write_u16(it->records.data() + at + 4, static_cast<uint16_t>(r.rdata.size()));
  std::copy(r.rdata.begin(), r.rdata.end(), it->records.begin() + static_cast<long>(at) + 6);
  ++it->count;
}

// Every name between a record's owner and the apex exists in the tree, even
// with no data (an empty non-terminal, RFC 8020 / RFC 4592 §2.2.2).
void add_empty_non_terminals(NodeMap& nodes, const std::string& origin) {
  std::vector<std::string> missing;
  for (const auto& [name, node] : nodes) {
    for (auto up = dns::parent_name(name); up.size() > origin.size(); up = dns::parent_name(up)) {
      if (nodes.find(up) == nodes.end()) missing.emplace_back(up);
    }
  }
  for (auto& name : missing) nodes[name].name = name;
}

using FirstSeen = std::map<std::pair<std::string, uint16_t>, const Record*>;

void check_node(const Node& node, const FirstSeen& first_seen, std::vector<LoadError>& errors) {
  const RRset* cname = node.find(dns::type::CNAME);
  if (cname != nullptr && node.rrsets.size() > 1) {
    const Record* r = first_seen.at({node.name, dns::type::CNAME});
    errors.push_back({r->file, r->line, "CNAME and other data at " + dns::to_text(node.name)});
  }
}

uint64_t fnv1a(const std::string& data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

bool stamp_file(const std::string& path, SourceFile& out, std::string* contents) {
  struct stat st {};
  std::ifstream in(path, std::ios::binary);
  if (!in || stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out.path = path;
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  out.hash = fnv1a(buffer.str());
  if (contents != nullptr) *contents = std::move(buffer).str();
  return true;
}

bool sources_unchanged(const Zone& zone) {
  for (const auto& old : zone.sources) {
    struct stat st {};
    if (stat(old.path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != old.size) return false;
    int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (mtime == old.mtime_ns) continue;
    SourceFile now;
    if (!stamp_file(old.path, now) || now.hash != old.hash) return false;
  }
  return true;
}

std::string LoadError::to_string() const {
  return file + ":" + std::to_string(line) + ": " + message;
}

bool name_from_text(const std::string& text, std::string& wire) {
  ldns_rdf* rdf = nullptr;
  std::string absolute = text.empty() || text.back() != '.' ? text + "." : text;
  if (ldns_str2rdf_dname(&rdf, absolute.c_str()) != LDNS_STATUS_OK) return false;
  wire = rdf_wire(rdf);
  ldns_rdf_deep_free(rdf);
  return true;
}

LoadResult load_zone(const std::string& origin_text, const std::string& file) {
  LoadResult result;
  auto zone = std::make_shared<Zone>();
  zone->file = file;
  if (!name_from_text(origin_text, zone->origin)) {
    result.errors.push_back({file, 0, "bad zone origin '" + origin_text + "'"});
    return result;
  }
  zone->labels = dns::count_labels(zone->origin);
  Parser parser(zone->origin, result.errors);
  RdfPtr origin;
  origin.reset(ldns_dname_new_frm_data(static_cast<uint16_t>(zone->origin.size()),
                                       zone->origin.data()));
  parser.parse_file(file, origin.p, 0);
  if (!result.errors.empty()) return result;

  FirstSeen first_seen;
  for (const auto& r : parser.records) {
    add_record(zone->nodes, r, result.errors);
    first_seen.emplace(std::make_pair(r.owner, r.type), &r);
  }
  add_empty_non_terminals(zone->nodes, zone->origin);
  zone->apex = zone->find(zone->origin);
  check_apex(*zone, parser.records, file, result.errors);
  for (auto& [name, node] : zone->nodes) {
    std::sort(node.rrsets.begin(), node.rrsets.end(),
              [](const RRset& a, const RRset& b) { return a.type < b.type; });
    node.is_delegation = name != zone->origin && node.find(dns::type::NS) != nullptr;
    if (!node.rrsets.empty()) check_node(node, first_seen, result.errors);
  }
  if (!result.errors.empty()) return result;

  zone->sources = std::move(parser.sources);
  zone->soa = zone->apex->find(dns::type::SOA);
  zone->serial = dns::read_u32(zone->soa->first_rdata().data() + zone->soa->first_rdata().size() - 20);
  zone->record_count = 0;
  for (const auto& [name, node] : zone->nodes) {
    for (const auto& rrset : node.rrsets) zone->record_count += rrset.count;
  }
  result.zone = std::move(zone);
  return result;
}

}  // namespace rpdns::zone
