// Differential test (issue: RFC semantics checked against Knot DNS). rpdns and
// a reference server (knotd, or nsd with rpdns in full-response mode) serve
// the same zones on loopback; every case in cases.txt is sent to both, and
// the replies are compared semantically: rcode, header flags, the echoed
// question bytes, EDNS, and each section as a set of records with TTLs.
// Likewise the pre-signed zones of tests/zones/dnssec with dnssec_cases.txt.
// Zones replicated to and from other servers are tests/interop/'s.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/cases.hpp"
#include "support/other_servers.hpp"
#include "support/server_process.hpp"

namespace rpdns::test {
namespace {

// The zones every server of one comparison loads, and the cases sent.
struct Suite {
  ZoneFiles files;
  // A served origin: its SOA answers once a server is up.
  std::string probe;
  std::string cases;
  std::size_t min_cases;  // fewer parsed than this: the file was not read
};

const Suite kPlain = {{RPDNS_TEST_ZONES "/diff",
                       {
                           {"diff.example", "diff.example.zone"},
                           {"child.diff.example", "child.diff.example.zone"},
                           {"other.test", "other.test.zone"},
                       }},
                      "diff.example.",
                      RPDNS_DIFF_CASES,
                      200};

// Pre-signed zones (tests/zones/dnssec/README.md), served as they are. The
// unsigned children and secure.nsec.dnssec.test. are left out, so that
// queries below those cuts get referrals; secure.nsec3.dnssec.test. is
// served, for DS at a cut where the server has both sides (RFC 4035
// §3.1.4.1) and for NSEC3 denials without opt-out.
const Suite kSigned = {{RPDNS_TEST_ZONES "/dnssec",
                        {
                            {"nsec.dnssec.test", "nsec.dnssec.test.zone"},
                            {"nsec3.dnssec.test", "nsec3.dnssec.test.zone"},
                            {"secure.nsec3.dnssec.test", "secure.nsec3.dnssec.test.zone"},
                        }},
                       "nsec.dnssec.test.",
                       RPDNS_DNSSEC_CASES,
                       100};

std::vector<std::string> rpdns_args(const Suite& suite = kPlain) {
  return zone_args(suite.files, {"--workers", "1", "--log-level", "warn"});
}

// rpdns as NSD answers by default: the apex NS in the authority section of
// positive answers. That needs the config file (there is no flag for it).
std::string full_responses_config(const std::string& dir, const Suite& suite = kPlain) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/rpdns.yaml";
  std::ofstream out(path);
  out << "workers: 1\nlog-level: warn\nminimal-responses: false\nzones:\n";
  for (const auto& [origin, file] : suite.files.zones) {
    out << "  - origin: " << origin << "\n    file: " << suite.files.dir << "/" << file << "\n";
  }
  return path;
}

void expect_rcode(const std::vector<uint8_t>& reply, const std::string& rcode, const std::string& line) {
  Packet pkt = decode(reply);
  ASSERT_TRUE(pkt) << line;
  // cases.txt uses the IANA mnemonics; ldns spells NOTIMP its own way.
  std::string name = rcode == "NOTIMP" ? "NOTIMPL" : rcode;
  ldns_lookup_table* want = ldns_lookup_by_name(ldns_rcodes, name.c_str());
  if (want == nullptr) {
    ADD_FAILURE() << "unknown rcode in: " << line;
  } else {
    EXPECT_EQ(ldns_pkt_get_rcode(pkt.get()), want->id) << line;
  }
}

Difference difference_for(const Case& c, const std::string& reference) {
  auto found = c.differences.find(reference);
  return found == c.differences.end() ? Difference{} : found->second;
}

// Sends every case to rpdns and to `reference`; annotations for that
// reference replace the comparison by the documented expectation.
void expect_same_answers(uint16_t rpdns_port, const Reference& reference, const Suite& suite = kPlain) {
  auto cases = load_cases(suite.cases);
  ASSERT_GE(cases.size(), suite.min_cases);
  uint16_t id = 1;
  for (const auto& c : cases) {
    auto request = build(c, id++);
    auto ours = exchange_raw(rpdns_port, request);
    Difference difference = difference_for(c, reference.name());
    if (difference.skip) continue;
    if (!difference.expect_rcode.empty()) {
      EXPECT_TRUE(ours) << "no reply from rpdns to: " << c.line;
      if (ours) expect_rcode(*ours, difference.expect_rcode, c.line);
      continue;
    }
    auto theirs = exchange_raw(reference.port(), request);
    std::string a = ours ? summary(*ours, difference.ignored) : "(no reply)";
    std::string b = theirs ? summary(*theirs, difference.ignored) : "(no reply)";
    EXPECT_EQ(a, b) << "case: " << c.line << "\n--- rpdns:\n" << a << "--- " << reference.name() << ":\n" << b;
  }
}

TEST(Differential, SameAnswersAsKnot) {
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/knotd")) << "knot is installed by scripts/setup.sh";
  Knot knot(knot_zones(kPlain.files), "primary", kPlain.probe);
  ASSERT_TRUE(knot.running());
  ServerProcess rpdns(rpdns_args(), "diff.example.");
  expect_same_answers(rpdns.port(), knot);
}

// NSD has no minimal-responses switch: it always adds the apex NS (and their
// addresses) to positive answers, so rpdns runs with minimal-responses off.
TEST(Differential, SameAnswersAsNsd) {
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/nsd")) << "nsd is installed by scripts/setup.sh";
  Reference nsd(nsd_kind(kPlain.files, kPlain.probe), "primary");
  ASSERT_TRUE(nsd.running());
  std::string dir = temp_dir() + "/rpdns-full-" + std::to_string(getpid());
  ServerProcess rpdns({"--config", full_responses_config(dir)}, "diff.example.");
  expect_same_answers(rpdns.port(), nsd);
  std::filesystem::remove_all(dir);
}

// What the two tests below stand on, checked apart from rpdns: every case
// of dnssec_cases.txt parses, and both references load each signed zone
// and answer its SOA with the RRSIG (DO=1) as the zone file has it.
TEST(Differential, SignedReferencesLoad) {
  EXPECT_GE(load_cases(kSigned.cases).size(), kSigned.min_cases);
  Knot knot(knot_zones(kSigned.files), "signed-load", kSigned.probe);
  Reference nsd(nsd_kind(kSigned.files, kSigned.probe), "signed-load");
  for (const Reference* reference : std::vector<const Reference*>{&knot, &nsd}) {
    ASSERT_TRUE(reference->running()) << reference->name();
    for (const auto& [origin, file] : kSigned.files.zones) {
      auto request = build(*parse_case(origin + ". SOA do"), 7);
      auto reply = exchange_raw(reference->port(), request);
      ASSERT_TRUE(reply) << reference->name() << " " << origin;
      std::string text = summary(*reply);
      EXPECT_NE(text.find(" aa=1 "), std::string::npos) << reference->name() << ":\n" << text;
      EXPECT_NE(text.find("\trrsig\tsoa 13 "), std::string::npos) << reference->name() << ":\n" << text;
    }
  }
}

// DNSSEC (RFC 4035 §3.1): the pre-signed zones of tests/zones/dnssec, the
// cases of dnssec_cases.txt (mostly DO=1), each reference configured as in
// the two tests above.
TEST(Differential, SignedSameAsKnot) {
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/knotd")) << "knot is installed by scripts/setup.sh";
  Knot knot(knot_zones(kSigned.files), "signed", kSigned.probe);
  ASSERT_TRUE(knot.running());
  ServerProcess rpdns(rpdns_args(kSigned), kSigned.probe);
  expect_same_answers(rpdns.port(), knot, kSigned);
}

TEST(Differential, SignedSameAsNsd) {
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/nsd")) << "nsd is installed by scripts/setup.sh";
  Reference nsd(nsd_kind(kSigned.files, kSigned.probe), "signed");
  ASSERT_TRUE(nsd.running());
  std::string dir = temp_dir() + "/rpdns-signed-" + std::to_string(getpid());
  ServerProcess rpdns({"--config", full_responses_config(dir, kSigned)}, kSigned.probe);
  expect_same_answers(rpdns.port(), nsd, kSigned);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rpdns::test
