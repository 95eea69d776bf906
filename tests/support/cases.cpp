#include "support/cases.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/ldns_decode.hpp"
#include "support/ldns_query.hpp"

namespace rpdns::test {
namespace {

const std::set<std::string> kSections = {"answer", "authority", "additional"};

bool parse_sections(const std::string& list, std::set<std::string>& out) {
  std::istringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (!kSections.contains(item)) return false;
    out.insert(item);
  }
  return !out.empty();
}

const std::set<std::string> kReferences = {"knot", "nsd"};

// "knot:expect=REFUSED", "nsd:skip" or "nsd:ignore=authority": false if `opt`
// is not of that form.
bool parse_difference(const std::string& opt, Case& c) {
  auto colon = opt.find(':');
  if (colon == std::string::npos || !kReferences.contains(opt.substr(0, colon))) return false;
  Difference& d = c.differences[opt.substr(0, colon)];
  std::string what = opt.substr(colon + 1);
  if (what == "skip")
    d.skip = true;
  else if (what.rfind("expect=", 0) == 0 && what.size() > 7)
    d.expect_rcode = what.substr(7);
  else if (what.rfind("ignore=", 0) == 0)
    return parse_sections(what.substr(7), d.ignored);
  else
    return false;
  return true;
}

bool parse_option(const std::string& opt, Case& c) {
  if (opt == "edns")
    c.edns_size = 4096;
  else if (opt == "do")
    c.edns_size = 4096, c.do_bit = true;
  else if (opt == "rd")
    c.rd = true;
  else if (opt == "qdcount=0")
    c.question = false;
  else if (opt.rfind("bufsize=", 0) == 0)
    c.edns_size = std::stoi(opt.substr(8));
  else if (opt.rfind("class=", 0) == 0)
    c.klass = opt.substr(6);
  else if (opt.rfind("opcode=", 0) == 0)
    c.opcode = std::stoi(opt.substr(7));
  else
    return parse_difference(opt, c);
  return true;
}

// A difference stands only with its reason: the comment lines right above
// the case must cite the RFC that allows it.
void check_reason(const Case& c, const std::string& comment) {
  if (!c.differences.empty() && comment.find("RFC") == std::string::npos) {
    ADD_FAILURE() << "cases.txt: a per-reference annotation needs a comment citing the RFC above it: " << c.line;
  }
}

std::multiset<std::string> records(const ldns_rr_list* list) {
  std::multiset<std::string> out;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) out.insert(lowercase(rr_text(ldns_rr_list_rr(list, i))));
  return out;
}

}  // namespace

std::optional<Case> parse_case(const std::string& line) {
  std::istringstream words(line);
  Case c;
  c.line = line;
  if (!(words >> c.name >> c.type)) return std::nullopt;
  std::string opt;
  while (words >> opt) {
    // A mistyped option would silently compare something else.
    if (!parse_option(opt, c)) ADD_FAILURE() << "cases.txt: unknown option '" << opt << "' in: " << line;
  }
  return c;
}

std::vector<Case> load_cases(const std::string& path) {
  std::ifstream in(path);
  std::vector<Case> cases;
  std::string line;
  std::string comment;  // the comment block just above the current line
  while (std::getline(in, line)) {
    if (line.empty()) {
      comment.clear();
    } else if (line[0] == '#') {
      comment += line + "\n";
    } else if (auto c = parse_case(line)) {
      check_reason(*c, comment);
      cases.push_back(*c);
    }
  }
  return cases;
}

std::vector<uint8_t> build(const Case& c, uint16_t id) {
  ldns_pkt* pkt = nullptr;
  if (c.question) {
    ldns_rr_type type = ldns_get_rr_type_by_name(c.type.c_str());
    if (c.type == "TYPE0") type = static_cast<ldns_rr_type>(0);
    ldns_rr_class klass = ldns_get_rr_class_by_name(c.klass.c_str());
    if (c.klass == "ANY") klass = LDNS_RR_CLASS_ANY;
    pkt = new_query(c.name, type, klass, c.rd ? LDNS_RD : 0);
  } else {
    pkt = ldns_pkt_new();
    ldns_pkt_set_rd(pkt, c.rd);
  }
  ldns_pkt_set_id(pkt, id);
  ldns_pkt_set_opcode(pkt, static_cast<ldns_pkt_opcode>(c.opcode));
  if (c.edns_size > 0) set_edns(pkt, static_cast<uint16_t>(c.edns_size), c.do_bit);
  return to_wire_and_free(pkt);
}

std::string summary(const std::vector<uint8_t>& wire, const std::set<std::string>& ignored) {
  Packet decoded = decode(wire);
  if (!decoded) return "(undecodable)";
  const ldns_pkt* pkt = decoded.get();
  std::ostringstream out;
  out << "rcode=" << ldns_pkt_get_rcode(pkt) << " ext=" << static_cast<int>(ldns_pkt_edns_extended_rcode(pkt))
      << " opcode=" << ldns_pkt_get_opcode(pkt) << " aa=" << ldns_pkt_aa(pkt) << " tc=" << ldns_pkt_tc(pkt)
      << " rd=" << ldns_pkt_rd(pkt) << " ra=" << ldns_pkt_ra(pkt) << " cd=" << ldns_pkt_cd(pkt)
      << " ad=" << ldns_pkt_ad(pkt) << " edns=" << ldns_pkt_edns(pkt) << " udp=" << ldns_pkt_edns_udp_size(pkt)
      << " do=" << ldns_pkt_edns_do(pkt) << "\n";
  std::size_t qlen = 0;
  if (ldns_pkt_qdcount(pkt) == 1) {
    std::size_t pos = 12;
    while (pos < wire.size() && wire[pos] != 0) pos += wire[pos] + 1u;
    qlen = pos + 5 - 12;
  }
  out << "question=" << std::string(wire.begin() + 12, wire.begin() + 12 + static_cast<long>(qlen)) << "\n";
  const char* names[] = {"answer", "authority", "additional"};
  const ldns_rr_list* lists[] = {ldns_pkt_answer(pkt), ldns_pkt_authority(pkt), ldns_pkt_additional(pkt)};
  for (int s = 0; s < 3; ++s) {
    out << names[s] << ":\n";
    if (ignored.contains(names[s])) {
      out << "  (not compared)\n";
      continue;
    }
    for (const auto& r : records(lists[s])) out << "  " << r;
  }
  return out.str();
}

}  // namespace rpdns::test
