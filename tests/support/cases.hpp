// The query cases of tests/differential/cases.txt and dnssec_cases.txt:
// one query a line ("NAME TYPE [options]"), with the differences a
// reference server may show annotated beside it. Read here, turned into
// the query each sends, and replies summed up as the comparisons see them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rpdns::test {

// What a case line says about one reference server (a documented
// difference, with its reason in the comment above the line).
struct Difference {
  bool skip = false;         // "REF:skip": no comparison with that reference
  std::string expect_rcode;  // "REF:expect=RCODE": it differs; rpdns must answer RCODE
  // "REF:ignore=authority,additional": those sections are not compared (the
  // header, question, EDNS and the other sections still are).
  std::set<std::string> ignored;
};

struct Case {
  std::string line;
  std::string name;
  std::string type;
  std::string klass = "IN";
  bool rd = false;
  int edns_size = 0;  // 0: no EDNS
  bool do_bit = false;
  int opcode = 0;
  bool question = true;                           // false: "qdcount=0", a header alone
  std::map<std::string, Difference> differences;  // by reference name
};

// One case line; an unknown option fails the test.
std::optional<Case> parse_case(const std::string& line);

// Every case of the file at `path`. A case annotated for a reference fails
// the test unless the comment right above it cites an RFC.
std::vector<Case> load_cases(const std::string& path);

// The query a case sends, with ID `id`.
std::vector<uint8_t> build(const Case& c, uint16_t id);

// Everything the comparison looks at, in one printable string: rcode,
// header flags, EDNS, the question's bytes and each section as a sorted
// set of records in lowercase; sections named in `ignored` print as
// "(not compared)".
std::string summary(const std::vector<uint8_t>& wire, const std::set<std::string>& ignored = {});

}  // namespace rpdns::test
