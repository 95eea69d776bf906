// DNSSEC as a validating resolver sees it (RFC 4035 §4-5): the server under
// test serves the pre-signed zones of tests/zones/dnssec on loopback, and
// Debian's unbound, with the trust anchors of tests/zones/dnssec/trust-anchors
// and a stub zone per test zone pointing at that server, resolves through
// it. Secure answers must come back with AD and the right rcode; answers
// below the unsigned delegations without AD but not SERVFAIL; the bogus
// signature of nsec.dnssec.test.broken.zone as SERVFAIL.
//
// The server under test is rpdns, or with RPDNS_VALIDATION_SERVER=knot or
// =nsd one of the reference servers, serving the same files: the harness
// itself is checked that way.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "support/other_servers.hpp"
#include "support/server_process.hpp"

namespace rpdns::test {
namespace {

const std::string kDnssecZones = RPDNS_TEST_ZONES "/dnssec";
const std::string kUnbound = "/usr/sbin/unbound";
constexpr auto kQueryTimeout = std::chrono::milliseconds(3000);
// No test runs longer than this: past it the remaining queries are not sent.
constexpr auto kTestBudget = std::chrono::seconds(45);

// The zones the server under test loads: each top zone, its signed child
// and its unsigned child, as separate zones.
ZoneFiles zones(bool broken) {
  return {kDnssecZones,
          {
              {"nsec.dnssec.test", broken ? "nsec.dnssec.test.broken.zone" : "nsec.dnssec.test.zone"},
              {"secure.nsec.dnssec.test", "secure.nsec.dnssec.test.zone"},
              {"insecure.nsec.dnssec.test", "insecure.nsec.dnssec.test.zone"},
              {"nsec3.dnssec.test", "nsec3.dnssec.test.zone"},
              {"secure.nsec3.dnssec.test", "secure.nsec3.dnssec.test.zone"},
              {"optout.nsec3.dnssec.test", "optout.nsec3.dnssec.test.zone"},
          }};
}

// The origin asked for its SOA until a server answers.
const std::string kProbe = "nsec.dnssec.test.";

std::string server_under_test() {
  const char* chosen = std::getenv("RPDNS_VALIDATION_SERVER");
  return chosen == nullptr || *chosen == '\0' ? "rpdns" : chosen;
}

// A query as a stub resolver sends it: RD=1, EDNS with DO=1 (so that the
// validator reports AD, RFC 4035 §3.2.3 and RFC 6840 §5.8).
std::vector<uint8_t> recursive_query(const std::string& name, ldns_rr_type type, uint16_t id) {
  ldns_pkt* pkt = new_query(name, type, LDNS_RR_CLASS_IN, LDNS_RD);
  ldns_pkt_set_id(pkt, id);
  set_edns(pkt, 1232, true);
  return to_wire_and_free(pkt);
}

Packet resolve(uint16_t port, const std::string& name, ldns_rr_type type, uint16_t id,
               std::chrono::milliseconds timeout = kQueryTimeout) {
  auto reply = exchange_raw(port, recursive_query(name, type, id), timeout);
  return reply ? decode(*reply) : nullptr;
}

// Polls the resolver on 127.0.0.1:port for `name` SOA until any reply
// comes, up to `seconds`, or until the process exits.
bool resolves(uint16_t port, const std::string& name, ChildProcess& child, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (resolve(port, name, LDNS_RR_TYPE_SOA, 1, std::chrono::milliseconds(200)) != nullptr) return true;
    if (child.exited()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// unbound in the foreground with everything in `dir`. It can reach nothing
// but loopback: it sends from 127.0.0.1, its root hints name 127.0.0.1 (where
// no server listens on port 53), and every test zone is a stub zone at the
// server under test. Trust anchors for the two top zones only: the children
// are validated through the DS in their parents.
std::string unbound_config(const std::string& dir, uint16_t port, uint16_t auth_port) {
  std::ofstream(dir + "/root.hints") << ".  3600000  NS  a.root.invalid.\na.root.invalid.  3600000  A  127.0.0.1\n";
  std::ostringstream conf;
  conf << "server:\n  interface: 127.0.0.1\n  port: " << port << "\n  outgoing-interface: 127.0.0.1\n"
       << "  do-ip4: yes\n  do-ip6: no\n  do-udp: yes\n  do-tcp: yes\n"
       << "  username: \"\"\n  chroot: \"\"\n  directory: \"" << dir << "\"\n  pidfile: \"" << dir
       << "/unbound.pid\"\n  logfile: \"\"\n  use-syslog: no\n  verbosity: 1\n  val-log-level: 2\n"
       << "  num-threads: 1\n  do-not-query-localhost: no\n  access-control: 127.0.0.0/8 allow\n"
       << "  root-hints: \"" << dir << "/root.hints\"\n"
       << "  trust-anchor-file: \"" << kDnssecZones << "/trust-anchors\"\n"
       << "  trust-anchor-signaling: no\n  root-key-sentinel: no\n"
       // "test." is one of unbound's default local zones (RFC 6761 §6.2).
       << "  local-zone: \"test.\" nodefault\n"
       << "  qname-minimisation: no\n  aggressive-nsec: no\n  prefetch: no\n  prefetch-key: no\n"
       << "  module-config: \"validator iterator\"\n"
       << "remote-control:\n  control-enable: no\n";
  for (const auto& [origin, file] : zones(false).zones) {
    conf << "stub-zone:\n  name: \"" << origin << ".\"\n  stub-addr: 127.0.0.1@" << auth_port << "\n";
  }
  std::string path = dir + "/unbound.conf";
  std::ofstream(path) << conf.str();
  return path;
}

struct Expectation {
  std::string name;
  ldns_rr_type type;
  ldns_pkt_rcode rcode;
  bool ad;        // the validator authenticated it
  bool answered;  // the answer section has records (false: NXDOMAIN or NODATA)
};

constexpr ldns_pkt_rcode kNoError = LDNS_RCODE_NOERROR;
constexpr ldns_pkt_rcode kNxdomain = LDNS_RCODE_NXDOMAIN;
constexpr ldns_pkt_rcode kServfail = LDNS_RCODE_SERVFAIL;

class Validation : public ::testing::Test {
 protected:
  void SetUp() override { start(false); }

  // Starts the server under test with the signed zones (the bogus copy of
  // nsec.dnssec.test. when `broken`) and unbound in front of it.
  void start(bool broken) {
    started_ = std::chrono::steady_clock::now();
    ASSERT_TRUE(std::filesystem::exists(kUnbound)) << "unbound is installed by scripts/setup.sh";
    dir_ = test_dir("validation");
    std::string kind = server_under_test();
    // Each retries on other ports when the one it tried is taken.
    if (kind == "rpdns") {
      auto args = zone_args(zones(broken), {"--workers", "1", "--log-level", "warn"});
      rpdns_ = std::make_unique<ServerProcess>(args, kProbe);  // throws if it does not start
      auth_port_ = rpdns_->port();
    } else if (kind == "knot" || kind == "nsd") {
      ZoneFiles files = zones(broken);
      auth_ = std::make_unique<Reference>(
          kind == "knot" ? knot_kind(knot_zones(files), kProbe) : nsd_kind(files, kProbe), "validation");
      if (auth_->running()) auth_port_ = auth_->port();
    } else {
      FAIL() << "RPDNS_VALIDATION_SERVER=" << kind << ": want rpdns, knot or nsd";
    }
    ASSERT_NE(auth_port_, 0) << kind << " did not start:\n" << (auth_ ? auth_->log() : "");
    for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
      uint16_t port = free_udp_port();
      unbound_ = std::make_unique<ChildProcess>();
      unbound_->start(kUnbound, {"-d", "-c", unbound_config(dir_, port, auth_port_)}, dir_ + "/unbound.log");
      if (resolves(port, kProbe, *unbound_, 10)) port_ = port;
    }
    ASSERT_NE(port_, 0) << "unbound did not start:\n" << unbound_->log();
  }

  void TearDown() override {
    unbound_.reset();
    auth_.reset();
    rpdns_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void expect(const std::vector<Expectation>& cases) {
    if (port_ == 0) return;  // start() failed, and said why
    for (const auto& c : cases) {
      if (std::chrono::steady_clock::now() - started_ > kTestBudget) {
        ADD_FAILURE() << "out of time before " << c.name << "; unbound log:\n" << unbound_->log();
        return;
      }
      auto reply = resolve(port_, c.name, c.type, ++id_);
      char* type = ldns_rr_type2str(c.type);
      std::string what = c.name + " " + type;
      free(type);
      if (!reply) {
        ADD_FAILURE() << "no reply from unbound to " << what;
        continue;
      }
      ldns_pkt_rcode rcode = ldns_pkt_get_rcode(reply.get());
      size_t count = ldns_pkt_ancount(reply.get());
      bool ok = rcode == c.rcode && ldns_pkt_ad(reply.get()) == c.ad && (count > 0) == c.answered;
      EXPECT_TRUE(ok) << what << ": want rcode " << c.rcode << (c.ad ? " with AD" : " without AD")
                      << (c.answered ? ", answered" : ", no answer") << "; got rcode " << rcode
                      << " ad=" << ldns_pkt_ad(reply.get()) << " answers=" << count << "\n"
                      << section_text(ldns_pkt_answer(reply.get())) << "unbound log:\n"
                      << unbound_->log();
    }
  }

  std::string dir_;
  std::chrono::steady_clock::time_point started_;
  std::unique_ptr<ServerProcess> rpdns_;
  std::unique_ptr<Reference> auth_;
  std::unique_ptr<ChildProcess> unbound_;
  uint16_t auth_port_ = 0;
  uint16_t port_ = 0;  // unbound's
  uint16_t id_ = 100;
};

TEST_F(Validation, PositiveAnswersAreSecure) {
  expect({
      {"nsec.dnssec.test.", LDNS_RR_TYPE_SOA, kNoError, true, true},
      {"nsec.dnssec.test.", LDNS_RR_TYPE_NS, kNoError, true, true},
      {"nsec.dnssec.test.", LDNS_RR_TYPE_DNSKEY, kNoError, true, true},
      {"nsec.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, true},
      {"nsec.dnssec.test.", LDNS_RR_TYPE_TXT, kNoError, true, true},
      {"www.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"www.nsec.dnssec.test.", LDNS_RR_TYPE_AAAA, kNoError, true, true},
      {"ns1.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"a.b.c.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"nsec3.dnssec.test.", LDNS_RR_TYPE_SOA, kNoError, true, true},
      {"nsec3.dnssec.test.", LDNS_RR_TYPE_DNSKEY, kNoError, true, true},
      {"nsec3.dnssec.test.", LDNS_RR_TYPE_NSEC3PARAM, kNoError, true, true},
      {"nsec3.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, true},
      {"www.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"mail.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"a.b.c.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
  });
}

// NSEC denials (RFC 4035 §5.4) and NSEC3 denials where an NSEC3 matches
// (RFC 5155 §8.5, §8.6) are secure.
TEST_F(Validation, DenialsAreSecure) {
  expect({
      {"nothere.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, false},
      {"deep.nothere.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, false},
      {"zzz.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, false},
      {"www.nsec.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, false},
      {"nsec.dnssec.test.", LDNS_RR_TYPE_AAAA, kNoError, true, false},
      {"www.nsec.dnssec.test.", LDNS_RR_TYPE_DS, kNoError, true, false},
      {"b.c.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, false},
      {"c.nsec.dnssec.test.", LDNS_RR_TYPE_TXT, kNoError, true, false},
      {"target.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, false},
      {"www.nsec3.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, false},
      {"nsec3.dnssec.test.", LDNS_RR_TYPE_AAAA, kNoError, true, false},
      {"b.c.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, false},
      {"c.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, false},
      {"www.nsec3.dnssec.test.", LDNS_RR_TYPE_DS, kNoError, true, false},
      // NSEC3 without opt-out: NXDOMAIN is secure too.
      {"nothere.secure.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, false},
      {"deep.nothere.secure.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, false},
      {"www.secure.nsec3.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, false},
      {"b.c.secure.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, false},
  });
}

// In the opted-out zone a proof whose NSEC3 covering the next closer name
// has the opt-out flag (every NSEC3 there has it) gets no AD (RFC 5155 §9.2):
// NXDOMAIN is insecure, not bogus.
TEST_F(Validation, OptOutNxdomainIsInsecure) {
  expect({
      {"nothere.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, false, false},
      {"deep.nothere.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, false, false},
      {"sub.exists.wild.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, false, false},
  });
}

TEST_F(Validation, WildcardsAreSecure) {
  expect({
      {"foo.wild.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"foo.wild.nsec.dnssec.test.", LDNS_RR_TYPE_TXT, kNoError, true, true},
      {"a.b.wild.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"exists.wild.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"foo.wild.nsec.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, false},
      {"a.b.wild.nsec.dnssec.test.", LDNS_RR_TYPE_AAAA, kNoError, true, false},
      {"sub.exists.wild.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, false},
      {"foo.wild.secure.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"a.b.wild.secure.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"foo.wild.secure.nsec3.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, false},
      {"*.wild.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"exists.wild.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
  });
}

// Wildcard answers and wildcard NODATA in the opted-out zone: their proof
// has the opt-out NSEC3 covering the next closer name (RFC 5155 §9.2).
TEST_F(Validation, OptOutWildcardsAreInsecure) {
  expect({
      {"foo.wild.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, false, true},
      {"a.b.wild.nsec3.dnssec.test.", LDNS_RR_TYPE_TXT, kNoError, false, true},
      {"foo.wild.nsec3.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, false, false},
  });
}

TEST_F(Validation, AliasesAreSecure) {
  expect({
      {"alias.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"chain.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"towild.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"towild.nsec.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, true},
      {"alias.nsec.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, true},
      {"dangling.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, true},
      {"www.dn.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"nothere.dn.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, true},
      {"alias.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"chain.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"www.dn.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
  });
}

// Through the signed delegations the chain of trust goes on by the DS
// (RFC 4035 §5.2); below the unsigned ones the answers are insecure
// (§5.2: the NSEC or the opt-out NSEC3 proves there is no DS).
TEST_F(Validation, DelegationsAreSecureOrInsecure) {
  expect({
      {"secure.nsec.dnssec.test.", LDNS_RR_TYPE_DS, kNoError, true, true},
      {"secure.nsec.dnssec.test.", LDNS_RR_TYPE_DNSKEY, kNoError, true, true},
      {"www.secure.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"nothere.secure.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, false},
      {"www.secure.nsec.dnssec.test.", LDNS_RR_TYPE_MX, kNoError, true, false},
      {"secure.nsec3.dnssec.test.", LDNS_RR_TYPE_DS, kNoError, true, true},
      {"www.secure.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"insecure.nsec.dnssec.test.", LDNS_RR_TYPE_DS, kNoError, true, false},
      {"www.insecure.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, false, true},
      {"nothere.insecure.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, false, false},
      {"insecure.nsec.dnssec.test.", LDNS_RR_TYPE_SOA, kNoError, false, true},
      {"optout.nsec3.dnssec.test.", LDNS_RR_TYPE_DS, kNoError, false, false},
      {"www.optout.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNoError, false, true},
      {"nothere.optout.nsec3.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, false, false},
      {"optout.nsec3.dnssec.test.", LDNS_RR_TYPE_SOA, kNoError, false, true},
  });
}

// nsec.dnssec.test.broken.zone: the RRSIG over www.nsec.dnssec.test. A is
// altered, so that RRset is bogus (SERVFAIL, RFC 4035 §5.5) and the rest of
// the zone still validates.
class BrokenValidation : public Validation {
 protected:
  void SetUp() override { start(true); }
};

TEST_F(BrokenValidation, BogusSignatureIsServfail) {
  expect({
      {"nsec.dnssec.test.", LDNS_RR_TYPE_SOA, kNoError, true, true},
      {"www.nsec.dnssec.test.", LDNS_RR_TYPE_A, kServfail, false, false},
      {"alias.nsec.dnssec.test.", LDNS_RR_TYPE_A, kServfail, false, false},
      {"www.nsec.dnssec.test.", LDNS_RR_TYPE_AAAA, kNoError, true, true},
      {"mail.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNoError, true, true},
      {"nothere.nsec.dnssec.test.", LDNS_RR_TYPE_A, kNxdomain, true, false},
  });
}

}  // namespace
}  // namespace rpdns::test
