// The authoritative answer engine, request bytes in, reply bytes out.
// Requests are built by hand; replies are decoded with ldns, an independent
// codec. Zones: tests/zones/unit/*.zone. RFC 1034 §4.3.2 (lookup), RFC 1035
// §4.1 (format), RFC 2308 (negative answers), RFC 4592 (wildcards), RFC 6672
// (DNAME), RFC 6891 (EDNS), RFC 2181 §9 (TC), RFC 9471 (glue).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "answer/answer.hpp"
#include "dns/wire.hpp"
#include "support/hex.hpp"
#include "support/loaded_zones.hpp"
#include "support/ldns_decode.hpp"
#include "support/net.hpp"
#include "support/packet.hpp"
#include "zone/loader.hpp"

namespace {

using rpdns::answer::Options;
using rpdns::answer::respond;

using namespace rpdns::dns::type;
using rpdns::dns::header_rcode;
using rpdns::test::from_hex;
using rpdns::test::rdf_text;
using rpdns::test::sa;
using rpdns::test::wire;

// ---- requests ----

using Packet = rpdns::test::PacketBuilder;

// A standard query: ID 0x1234, RD set, one question.
std::vector<uint8_t> query(const std::string& name, unsigned qtype) {
  Packet p;
  p.header(0x1234, 0x0100, 1, 0, 0, 0).question(name, qtype);
  return p.b;
}

std::vector<uint8_t> edns_query(const std::string& name, unsigned qtype, unsigned size, bool do_bit,
                                unsigned version = 0) {
  Packet p;
  p.header(0x1234, 0x0100, 1, 0, 0, 1).question(name, qtype).opt(size, version, do_bit);
  return p.b;
}

// ---- replies ----

struct RR {
  std::string owner;
  uint16_t type;
  uint32_t ttl;
  std::string rdata;  // the fields in presentation form, space-separated
};

std::vector<RR> rrs(const ldns_rr_list* list) {
  std::vector<RR> out;
  for (std::size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    RR r{rdf_text(ldns_rr_owner(rr)), static_cast<uint16_t>(ldns_rr_get_type(rr)), ldns_rr_ttl(rr), ""};
    for (std::size_t k = 0; k < ldns_rr_rd_count(rr); ++k) {
      if (k > 0) r.rdata += ' ';
      r.rdata += rdf_text(ldns_rr_rdf(rr, k));
    }
    out.push_back(r);
  }
  return out;
}

std::size_t count_type(const std::vector<RR>& list, uint16_t type) {
  return static_cast<std::size_t>(std::count_if(list.begin(), list.end(), [&](const RR& r) { return r.type == type; }));
}

bool has(const std::vector<RR>& list, const std::string& owner, uint16_t type, const std::string& rdata = "") {
  return std::any_of(list.begin(), list.end(), [&](const RR& r) {
    return r.owner == owner && r.type == type && (rdata.empty() || r.rdata == rdata);
  });
}

struct Reply {
  rpdns::answer::Reply outcome;
  std::vector<uint8_t> wire;
  rpdns::test::Packet pkt;  // decoded by ldns

  uint16_t id() const { return rpdns::dns::read_u16(wire.data()); }
  uint16_t flags() const { return rpdns::dns::read_u16(wire.data() + 2); }
  unsigned rcode() const { return flags() & 0x0F; }
  uint16_t count(std::size_t index) const { return rpdns::dns::read_u16(wire.data() + 4 + 2 * index); }
  bool aa() const { return (flags() & 0x0400) != 0; }
  bool tc() const { return (flags() & 0x0200) != 0; }
  std::vector<RR> answer() const { return rrs(ldns_pkt_answer(pkt.get())); }
  std::vector<RR> authority() const { return rrs(ldns_pkt_authority(pkt.get())); }
  std::vector<RR> additional() const { return rrs(ldns_pkt_additional(pkt.get())); }
};

class AnswerTest : public rpdns::test::LoadedZones<AnswerTest> {
 protected:
  static void SetUpTestSuite() {
    load(std::string(RPDNS_TEST_ZONES) + "/unit/", {{"example.com", "example.com.zone"},
                                                    {"child.example.com", "child.example.com.zone"},
                                                    {"zero.example", "zero.example.zone"},
                                                    {"svc.example", "svc.example.zone"}});
  }

  Reply ask(const std::vector<uint8_t>& request, const Options& options = {}, bool over_tcp = false,
            const sockaddr* peer = nullptr) {
    std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
    Reply r;
    r.outcome = respond(request.data(), request.size(), *zones_, options, over_tcp, out.data(), peer);
    out.resize(r.outcome.size);
    r.wire = out;
    if (!out.empty()) r.pkt = rpdns::test::decode(out);
    return r;
  }
};

// ---- RFC 1034 §4.3.2: the basic lookup ----

// Step 3a: the name and type exist; the answer is authoritative.
TEST_F(AnswerTest, ExactMatchIsAuthoritative) {
  Reply r = ask(query("www.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  EXPECT_FALSE(r.tc());
  EXPECT_TRUE(ldns_pkt_qr(r.pkt.get()));
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].owner, "www.example.com.");
  EXPECT_EQ(answer[0].type, A);
  EXPECT_EQ(answer[0].ttl, 300u);  // explicit TTL in the zone file
  EXPECT_EQ(answer[0].rdata, "192.0.2.80");
  EXPECT_TRUE(r.authority().empty());
}

// RFC 2308 §2.1 / §3: NXDOMAIN carries the zone's SOA in authority with
// TTL min(SOA TTL 3600, MINIMUM 300) = 300.
TEST_F(AnswerTest, NxdomainHasSoaWithNegativeTtl) {
  Reply r = ask(query("nothere.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 3u);
  EXPECT_TRUE(r.aa());
  EXPECT_TRUE(r.answer().empty());
  auto auth = r.authority();
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].owner, "example.com.");
  EXPECT_EQ(auth[0].type, SOA);
  EXPECT_EQ(auth[0].ttl, 300u);
}

// RFC 2308 §3 with the SOA TTL (60) below MINIMUM (600): TTL 60.
TEST_F(AnswerTest, NegativeTtlUsesSoaTtlWhenLower) {
  Reply r = ask(query("nothere.child.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 3u);
  auto auth = r.authority();
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].owner, "child.example.com.");
  EXPECT_EQ(auth[0].ttl, 60u);
}

// RFC 2308 §3: MINIMUM 0 means negative answers must not be cached at all,
// so the SOA goes out with TTL min(3600, 0) = 0.
TEST_F(AnswerTest, NegativeTtlZeroMinimum) {
  Reply r = ask(query("nothere.zero.example", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 3u);
  auto auth = r.authority();
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].type, SOA);
  EXPECT_EQ(auth[0].ttl, 0u);
}

// RFC 2308 §2.2: NODATA is NOERROR, no answer, SOA in authority.
TEST_F(AnswerTest, NodataHasSoa) {
  Reply r = ask(query("www.example.com", MX));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  EXPECT_TRUE(r.answer().empty());
  auto auth = r.authority();
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].type, SOA);
  EXPECT_EQ(auth[0].ttl, 300u);
}

// RFC 8020 §2 / RFC 4592 §2.2.2: an empty non-terminal exists, so the
// answer is NODATA, never NXDOMAIN.
TEST_F(AnswerTest, EmptyNonTerminalIsNodata) {
  Reply r = ask(query("ent.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  EXPECT_TRUE(r.answer().empty());
  EXPECT_EQ(count_type(r.authority(), SOA), 1u);
}

// RFC 1034 §4.3.2 step 2: no zone of ours holds the name: REFUSED, AA clear.
TEST_F(AnswerTest, NameInNoZoneIsRefused) {
  Reply r = ask(query("www.example.org", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 5u);
  EXPECT_FALSE(r.aa());
  EXPECT_TRUE(r.answer().empty());
  EXPECT_TRUE(r.authority().empty());
}

// RFC 8914 §4.21: with EDNS, a REFUSED for a name in no zone of ours says
// why with Extended DNS Error 20 (Not Authoritative).
TEST_F(AnswerTest, RefusedCarriesExtendedErrorNotAuthoritative) {
  Reply r = ask(edns_query("www.example.org", A, 1232, false));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 5u);
  // The OPT is the last 17 bytes: root, type, class, TTL, RDLENGTH 6, then
  // option 15 (EDE), length 2, INFO-CODE 20.
  ASSERT_GE(r.wire.size(), 12u + 17u);
  const uint8_t* opt = r.wire.data() + r.wire.size() - 17;
  EXPECT_EQ(rpdns::dns::read_u16(opt + 1), 41u);
  EXPECT_EQ(rpdns::dns::read_u16(opt + 9), 6u);
  EXPECT_EQ(rpdns::dns::read_u16(opt + 11), 15u);
  EXPECT_EQ(rpdns::dns::read_u16(opt + 13), 2u);
  EXPECT_EQ(rpdns::dns::read_u16(opt + 15), 20u);
}

// RFC 1034 §4.3.2 step 2: the zone nearest the name is used, so a loaded
// child zone answers instead of the parent's referral.
TEST_F(AnswerTest, MostSpecificZoneWins) {
  Reply r = ask(query("www.child.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].rdata, "198.51.100.80");
}

// ---- CNAME, RFC 1034 §3.6.2 and §4.3.2 step 3a ----

TEST_F(AnswerTest, CnameFollowedInZone) {
  Reply r = ask(query("alias.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 2u);
  EXPECT_EQ(answer[0].owner, "alias.example.com.");
  EXPECT_EQ(answer[0].type, CNAME);
  EXPECT_EQ(answer[0].rdata, "www.example.com.");
  EXPECT_EQ(answer[1].owner, "www.example.com.");
  EXPECT_EQ(answer[1].rdata, "192.0.2.80");
}

TEST_F(AnswerTest, CnameChainFollowed) {
  Reply r = ask(query("chain1.example.com", A));
  ASSERT_TRUE(r.pkt);
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 3u);
  EXPECT_TRUE(has(answer, "chain1.example.com.", CNAME, "chain2.example.com."));
  EXPECT_TRUE(has(answer, "chain2.example.com.", CNAME, "www.example.com."));
  EXPECT_TRUE(has(answer, "www.example.com.", A, "192.0.2.80"));
}

// RFC 1034 §3.6.2: CNAME loops must be cut; each CNAME appears once.
TEST_F(AnswerTest, CnameLoopTerminates) {
  Reply r = ask(query("loop1.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_NE(r.rcode(), 3u);
  auto answer = r.answer();
  EXPECT_EQ(answer.size(), 2u);
  EXPECT_TRUE(has(answer, "loop1.example.com.", CNAME, "loop2.example.com."));
  EXPECT_TRUE(has(answer, "loop2.example.com.", CNAME, "loop1.example.com."));
}

// RFC 1034 §3.6.2: a query for the CNAME type gets the CNAME, not its target.
TEST_F(AnswerTest, QtypeCnameReturnsCname) {
  Reply r = ask(query("alias.example.com", CNAME));
  ASSERT_TRUE(r.pkt);
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].type, CNAME);
  EXPECT_EQ(answer[0].rdata, "www.example.com.");
}

// RFC 2308 §2.2: the chain ends in NODATA; the SOA goes in authority.
TEST_F(AnswerTest, CnameToNodata) {
  Reply r = ask(query("alias.example.com", MX));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].type, CNAME);
  EXPECT_EQ(count_type(r.authority(), SOA), 1u);
}

// RFC 6604 §3: the rcode is that of the last name in the chain.
TEST_F(AnswerTest, CnameToNxdomain) {
  Reply r = ask(query("dangling.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 3u);
  EXPECT_TRUE(has(r.answer(), "dangling.example.com.", CNAME, "nothere.example.com."));
  EXPECT_EQ(count_type(r.authority(), SOA), 1u);
}

// RFC 1034 §4.3.2 step 3a: a target outside our zones ends the chain.
TEST_F(AnswerTest, CnameOutOfZoneStops) {
  Reply r = ask(query("outside.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].rdata, "www.example.org.");
}

// ---- wildcards, RFC 4592 ----

// §3.3.1 / §4.3: a synthesized record is owned by the query name.
TEST_F(AnswerTest, WildcardSynthesisOwnerIsQname) {
  Reply r = ask(query("foo.wild.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].owner, "foo.wild.example.com.");
  EXPECT_EQ(answer[0].rdata, "192.0.2.200");
}

// §2.1.1: a wildcard matches any number of labels below the encloser.
TEST_F(AnswerTest, WildcardMatchesSeveralLabels) {
  Reply r = ask(query("a.b.wild.example.com", A));
  ASSERT_TRUE(r.pkt);
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].owner, "a.b.wild.example.com.");
}

// §3.3.1: the wildcard exists but lacks the type: NODATA.
TEST_F(AnswerTest, WildcardWithoutTypeIsNodata) {
  Reply r = ask(query("foo.wild.example.com", MX));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.answer().empty());
  EXPECT_EQ(count_type(r.authority(), SOA), 1u);
}

// §2.2.1: a name that exists is never answered from the wildcard.
TEST_F(AnswerTest, WildcardDoesNotMatchExistingName) {
  Reply r = ask(query("exists.wild.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.answer().empty());
  EXPECT_EQ(count_type(r.authority(), SOA), 1u);
}

// §2.2.2: an empty non-terminal exists too, so no wildcard for it.
TEST_F(AnswerTest, WildcardDoesNotMatchEmptyNonTerminal) {
  Reply r = ask(query("ent.wild.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.answer().empty());
}

// §3.3.1: below an ENT the closest encloser is the ENT, which has no
// wildcard child, so the answer is NXDOMAIN.
TEST_F(AnswerTest, WildcardBlockedBelowEmptyNonTerminal) {
  Reply r = ask(query("x.ent.wild.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 3u);
  EXPECT_TRUE(r.answer().empty());
}

// The answer::Reply names the wildcard that answered (positive or NODATA), for
// the rate limiter, which counts every name under it as one response; an
// existing name, or a name no wildcard covers, has none.
TEST_F(AnswerTest, ReplyNamesTheWildcardThatAnswered) {
  const std::string star = wire("*.wild.example.com");
  for (const char* name : {"foo.wild.example.com", "a.b.wild.example.com", "FOO.Wild.example.com"}) {
    Reply r = ask(query(name, A));
    ASSERT_NE(r.outcome.synthesized_by, nullptr) << name;
    EXPECT_EQ(r.outcome.synthesized_by->name(), star) << name;
  }
  Reply nodata = ask(query("foo.wild.example.com", MX));
  ASSERT_NE(nodata.outcome.synthesized_by, nullptr);
  EXPECT_EQ(nodata.outcome.synthesized_by->name(), star);
  EXPECT_EQ(ask(query("www.example.com", A)).outcome.synthesized_by, nullptr);
  EXPECT_EQ(ask(query("exists.wild.example.com", A)).outcome.synthesized_by, nullptr);
  EXPECT_EQ(ask(query("x.ent.wild.example.com", A)).outcome.synthesized_by, nullptr);
  EXPECT_EQ(ask(query("nothere.example.com", A)).outcome.synthesized_by, nullptr);
}

// A DNAME synthesizes too (RFC 6672 §3.3): any name below it gets the same
// answer, so the answer::Reply names the DNAME's node.
TEST_F(AnswerTest, ReplyNamesTheDnameThatAnswered) {
  Reply r = ask(query("host.olddn.example.com", A));
  ASSERT_EQ(r.rcode(), 0u);
  ASSERT_NE(r.outcome.synthesized_by, nullptr);
  EXPECT_EQ(r.outcome.synthesized_by->name(), wire("olddn.example.com"));
  EXPECT_EQ(ask(query("olddn.example.com", DNAME)).outcome.synthesized_by, nullptr);  // the DNAME itself
}

// ---- delegations, RFC 1034 §4.3.2 step 3b ----

// A referral: AA clear, NS in authority, glue A and AAAA in additional,
// and nothing for a name server outside our zones.
TEST_F(AnswerTest, Referral) {
  Reply r = ask(query("www.sub.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_FALSE(r.aa());
  EXPECT_TRUE(r.answer().empty());
  auto auth = r.authority();
  ASSERT_EQ(auth.size(), 2u);
  EXPECT_TRUE(has(auth, "sub.example.com.", NS, "ns1.sub.example.com."));
  EXPECT_TRUE(has(auth, "sub.example.com.", NS, "ns.elsewhere.net."));
  EXPECT_EQ(count_type(auth, DS), 0u);  // DS only with DNSSEC (RFC 4035 §3.1.4)
  auto add = r.additional();
  ASSERT_EQ(add.size(), 2u);
  EXPECT_TRUE(has(add, "ns1.sub.example.com.", A, "192.0.2.53"));
  EXPECT_TRUE(has(add, "ns1.sub.example.com.", AAAA, "2001:db8::53"));
}

// Any name at or below the cut gets the same referral.
TEST_F(AnswerTest, NameBelowCutGetsReferral) {
  for (const char* name : {"a.b.c.sub.example.com", "sub.example.com", "ns1.sub.example.com"}) {
    Reply r = ask(query(name, A));
    ASSERT_TRUE(r.pkt) << name;
    EXPECT_FALSE(r.aa()) << name;
    EXPECT_TRUE(r.answer().empty()) << name;
    EXPECT_EQ(count_type(r.authority(), NS), 2u) << name;
  }
}

// The NS RRset at a cut belongs to the child: a referral, not an answer.
TEST_F(AnswerTest, NsAtCutIsReferral) {
  Reply r = ask(query("sub.example.com", NS));
  ASSERT_TRUE(r.pkt);
  EXPECT_FALSE(r.aa());
  EXPECT_TRUE(r.answer().empty());
  EXPECT_EQ(count_type(r.authority(), NS), 2u);
}

// RFC 4035 §3.1.4.1 / RFC 4034 §5: DS lives on the parent side of the cut
// and is answered authoritatively there.
TEST_F(AnswerTest, DsAtCutIsAuthoritative) {
  Reply r = ask(query("sub.example.com", DS));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].owner, "sub.example.com.");
  EXPECT_EQ(answer[0].type, DS);
}

// RFC 4035 §3.1.4.1: no DS at the cut: parent's NODATA, not a referral.
TEST_F(AnswerTest, NoDsAtCutIsNodata) {
  Reply r = ask(query("nods.example.com", DS));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  EXPECT_TRUE(r.answer().empty());
  auto auth = r.authority();
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].owner, "example.com.");
  EXPECT_EQ(auth[0].type, SOA);
}

// RFC 4035 §3.1.4.1: serving parent and child, DS comes from the parent.
TEST_F(AnswerTest, DsForServedChildComesFromParent) {
  Reply r = ask(query("child.example.com", DS));
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(r.aa());
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].type, DS);
  EXPECT_EQ(answer[0].owner, "child.example.com.");
}

// RFC 9471 §3: all in-domain glue must be in a referral, or TC set. Here
// 13 servers' A and AAAA glue cannot all fit in 512 bytes.
TEST_F(AnswerTest, InDomainGlueCompleteOrTruncated) {
  Reply r = ask(query("www.many.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_FALSE(r.aa());
  EXPECT_LE(r.wire.size(), 512u);
  if (!r.tc()) {
    auto add = r.additional();
    EXPECT_EQ(count_type(add, A), 13u);
    EXPECT_EQ(count_type(add, AAAA), 13u);
  }
}

// The same with the servers' names in capitals: RDATA keeps the file's
// case, and the glue is still in-domain, so it must fit or TC is set.
TEST_F(AnswerTest, InDomainGlueInCapitalsCompleteOrTruncated) {
  Reply r = ask(query("www.caps.svc.example", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_FALSE(r.aa());
  EXPECT_EQ(count_type(r.authority(), NS), 13u);
  auto add = r.additional();
  bool complete = count_type(add, A) == 13u && count_type(add, AAAA) == 13u;
  EXPECT_TRUE(complete || r.tc()) << add.size() << " glue records without TC";
  EXPECT_FALSE(complete);  // 13 A and 13 AAAA cannot fit 512 bytes
}

// ---- DNAME, RFC 6672 ----

// §3.3 / §5.3.4: the DNAME, a CNAME synthesized from it (same TTL, owner
// the qname, target with the DNAME's owner replaced), then the target.
TEST_F(AnswerTest, DnameSynthesis) {
  Reply r = ask(query("host.olddn.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.aa());
  auto answer = r.answer();
  ASSERT_EQ(answer.size(), 3u);
  EXPECT_EQ(answer[0].owner, "olddn.example.com.");
  EXPECT_EQ(answer[0].type, DNAME);
  EXPECT_EQ(answer[0].rdata, "newdn.example.com.");
  EXPECT_EQ(answer[0].ttl, 600u);
  EXPECT_EQ(answer[1].owner, "host.olddn.example.com.");
  EXPECT_EQ(answer[1].type, CNAME);
  EXPECT_EQ(answer[1].rdata, "host.newdn.example.com.");
  EXPECT_EQ(answer[1].ttl, 600u);
  EXPECT_EQ(answer[2].owner, "host.newdn.example.com.");
  EXPECT_EQ(answer[2].rdata, "192.0.2.77");
}

// §2.3: a DNAME does not redirect its own owner name.
TEST_F(AnswerTest, DnameOwnerNotRedirected) {
  Reply r = ask(query("olddn.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(r.answer().empty());
  EXPECT_EQ(count_type(r.authority(), SOA), 1u);
  Reply d = ask(query("olddn.example.com", DNAME));
  ASSERT_TRUE(d.pkt);
  EXPECT_TRUE(has(d.answer(), "olddn.example.com.", DNAME, "newdn.example.com."));
}

// ---- additional section processing, RFC 1034 §4.3.2 step 6 ----

// RFC 1035 §3.3.9: MX answers carry the exchange's addresses.
TEST_F(AnswerTest, MxAdditionalAddresses) {
  Reply r = ask(query("example.com", MX));
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(has(r.answer(), "example.com.", MX, "10 mail.example.com."));
  auto add = r.additional();
  EXPECT_TRUE(has(add, "mail.example.com.", A, "192.0.2.25"));
  EXPECT_TRUE(has(add, "mail.example.com.", AAAA, "2001:db8::25"));
  EXPECT_EQ(add.size(), 2u);
}

// RFC 1035 §3.3.11: NS answers carry the servers' addresses.
TEST_F(AnswerTest, ApexNsAdditionalAddresses) {
  Reply r = ask(query("example.com", NS));
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(r.aa());
  EXPECT_EQ(count_type(r.answer(), NS), 2u);
  auto add = r.additional();
  EXPECT_TRUE(has(add, "ns1.example.com.", A, "192.0.2.1"));
  EXPECT_TRUE(has(add, "ns1.example.com.", AAAA, "2001:db8::1"));
  EXPECT_TRUE(has(add, "ns2.example.com.", A, "192.0.2.2"));
}

// ---- header and question handling, RFC 1035 §4.1.1 ----

// RFC 4343 §4 / draft 0x20: matching ignores case and the question is
// returned byte for byte, case included.
TEST_F(AnswerTest, CaseInsensitiveMatchQuestionEchoed) {
  auto request = query("wWw.ExAmPlE.CoM", A);
  Reply r = ask(request);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  ASSERT_EQ(r.answer().size(), 1u);
  EXPECT_EQ(r.answer()[0].rdata, "192.0.2.80");
  std::size_t qlen = request.size() - 12;
  ASSERT_GE(r.wire.size(), 12 + qlen);
  EXPECT_EQ(std::vector<uint8_t>(r.wire.begin() + 12, r.wire.begin() + 12 + static_cast<long>(qlen)),
            std::vector<uint8_t>(request.begin() + 12, request.end()));
}

// RFC 1035 §4.1.1: ID and RD are copied; RA stays clear (no recursion);
// RFC 6840 §5.9: CD is copied.
TEST_F(AnswerTest, IdAndRdEchoed) {
  Packet rd;
  rd.header(0xBEEF, 0x0100, 1, 0, 0, 0).question("www.example.com", A);
  Reply r1 = ask(rd.b);
  ASSERT_TRUE(r1.pkt);
  EXPECT_EQ(r1.id(), 0xBEEF);
  EXPECT_TRUE(r1.flags() & 0x0100);
  EXPECT_FALSE(r1.flags() & 0x0080);
  Packet nord;
  nord.header(0x0102, 0x0010, 1, 0, 0, 0).question("www.example.com", A);
  Reply r2 = ask(nord.b);
  ASSERT_TRUE(r2.pkt);
  EXPECT_EQ(r2.id(), 0x0102);
  EXPECT_FALSE(r2.flags() & 0x0100);
  EXPECT_TRUE(r2.flags() & 0x0010);
}

// ---- EDNS, RFC 6891 ----

// §7: no OPT in the request, none in the reply.
TEST_F(AnswerTest, NoOptWithoutEdns) {
  Reply r = ask(query("www.example.com", A));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.count(3), 0u);
  EXPECT_FALSE(ldns_pkt_edns(r.pkt.get()));
  EXPECT_FALSE(r.outcome.edns);
}

// §6.1.1 / §6.2.5: OPT in the request, OPT in the reply with our size.
TEST_F(AnswerTest, OptEchoedWithOurSize) {
  Reply r = ask(edns_query("www.example.com", A, 4096, false));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_EQ(r.count(3), 1u);
  EXPECT_TRUE(ldns_pkt_edns(r.pkt.get()));
  EXPECT_EQ(ldns_pkt_edns_udp_size(r.pkt.get()), 1232);
  EXPECT_EQ(ldns_pkt_edns_version(r.pkt.get()), 0);
  EXPECT_FALSE(ldns_pkt_edns_do(r.pkt.get()));
}

// RFC 3225 §3: the DO bit is copied into the reply.
TEST_F(AnswerTest, DoBitCopied) {
  Reply r = ask(edns_query("www.example.com", A, 1232, true));
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(ldns_pkt_edns_do(r.pkt.get()));
}

// §6.1.3: an unknown EDNS version gets BADVERS (16): 1 in the OPT's
// extended-rcode octet, 0 in the header, and an OPT of version 0.
TEST_F(AnswerTest, UnknownVersionIsBadvers) {
  Reply r = ask(edns_query("www.example.com", A, 1232, false, 1));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_EQ(ldns_pkt_edns_extended_rcode(r.pkt.get()), 1);
  EXPECT_EQ(ldns_pkt_edns_version(r.pkt.get()), 0);
  EXPECT_EQ(r.outcome.rcode, 16u);
  EXPECT_TRUE(r.answer().empty());
}

// §6.1.1: two OPT records is FORMERR.
TEST_F(AnswerTest, TwoOptsIsFormerr) {
  Packet p;
  p.header(0x1234, 0, 1, 0, 0, 2).question("www.example.com", A).opt(1232, 0, false).opt(1232, 0, false);
  Reply r = ask(p.b);
  ASSERT_FALSE(r.wire.empty());
  EXPECT_EQ(r.rcode(), 1u);
  EXPECT_EQ(r.id(), 0x1234);
  EXPECT_EQ(r.count(1), 0u);
}

// §7: "If there is a problem with processing the OPT record itself ... a
// FORMERR MUST be returned. If this occurs, the response MUST include an
// OPT record." Here an option's length runs past the OPT RDATA.
TEST_F(AnswerTest, MalformedOptFormerrKeepsOpt) {
  Packet p;
  p.header(0x1234, 0, 1, 0, 0, 1).question("www.example.com", A).opt(1232, 0, false, {0, 10, 0, 9, 1, 2});
  Reply r = ask(p.b);
  ASSERT_FALSE(r.wire.empty());
  EXPECT_EQ(r.rcode(), 1u);
  EXPECT_EQ(r.count(3), 1u);
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(ldns_pkt_edns(r.pkt.get()));
}

// ---- malformed and unsupported requests ----

// RFC 9619 §4: QDCOUNT must be 1 for QUERY.
TEST_F(AnswerTest, QdcountZeroIsFormerr) {
  Packet p;
  p.header(0x1234, 0, 0, 0, 0, 0);
  Reply r = ask(p.b);
  ASSERT_GE(r.wire.size(), 12u);
  EXPECT_EQ(r.rcode(), 1u);
  EXPECT_EQ(r.id(), 0x1234);
  EXPECT_TRUE(r.flags() & 0x8000);
}

TEST_F(AnswerTest, QdcountTwoIsFormerr) {
  Packet p;
  p.header(0x1234, 0, 2, 0, 0, 0).question("www.example.com", A).question("example.com", A);
  Reply r = ask(p.b);
  ASSERT_GE(r.wire.size(), 12u);
  EXPECT_EQ(r.rcode(), 1u);
  EXPECT_EQ(r.count(1), 0u);
}

// RFC 1035 §4.1.1: a response (QR=1) is never answered.
TEST_F(AnswerTest, ResponseGetsNoReply) {
  Packet p;
  p.header(0x1234, 0x8000, 1, 0, 0, 0).question("www.example.com", A);
  EXPECT_EQ(ask(p.b).outcome.size, 0u);
}

// RFC 1035 §4.1.1: without a whole header there is no ID to answer to.
TEST_F(AnswerTest, ShortPacketGetsNoReply) {
  std::vector<uint8_t> eleven(11, 0);
  Reply r = ask(eleven);
  EXPECT_EQ(r.outcome.size, 0u);
}

// RFC 1035 §2.3.4: a label over 63 octets.
TEST_F(AnswerTest, LongLabelIsFormerr) {
  Reply r = ask(query(std::string(64, 'a') + ".example.com", A));
  ASSERT_GE(r.wire.size(), 12u);
  EXPECT_EQ(r.rcode(), 1u);
  EXPECT_EQ(r.id(), 0x1234);
}

// RFC 1035 §4.1.4: a compression pointer in the question name.
TEST_F(AnswerTest, PointerInQuestionIsFormerr) {
  Packet p;
  p.header(0x1234, 0, 1, 0, 0, 0).u8(3).u8('w').u8('w').u8('w').u16(0xC000 | 12).u16(A).u16(1);
  Reply r = ask(p.b);
  ASSERT_GE(r.wire.size(), 12u);
  EXPECT_EQ(r.rcode(), 1u);
}

// RFC 1035 §4.1.2: QTYPE/QCLASS missing.
TEST_F(AnswerTest, TruncatedQuestionIsFormerr) {
  auto request = query("www.example.com", A);
  request.resize(request.size() - 3);
  Reply r = ask(request);
  ASSERT_GE(r.wire.size(), 12u);
  EXPECT_EQ(r.rcode(), 1u);
  EXPECT_EQ(r.id(), 0x1234);
}

// RFC 1035 §4.1.1: unsupported opcode (2, STATUS) is NOTIMP; the opcode
// is copied into the reply.
TEST_F(AnswerTest, StatusOpcodeIsNotimp) {
  Packet p;
  p.header(0x1234, 2u << 11, 1, 0, 0, 0).question("www.example.com", A);
  Reply r = ask(p.b);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 4u);
  EXPECT_EQ((r.flags() >> 11) & 0x0F, 2u);
  EXPECT_TRUE(r.answer().empty());
}

// RD and CD are defined for QUERY only (RFC 1035 §4.1.1, RFC 6840 §5.9):
// a reply to any other opcode copies neither (ISC's probe "opcodeflg"),
// while a QUERY's reply copies both.
TEST_F(AnswerTest, RdAndCdAreEchoedForQueryOnly) {
  constexpr unsigned kRdCd = 0x0100 | 0x0010;
  for (unsigned opcode : {0u, 2u, 4u, 5u}) {
    Packet p;
    p.header(0x1234, opcode << 11 | kRdCd, 1, 0, 0, 0).question("www.example.com", opcode == 4 ? SOA : A);
    Reply r = ask(p.b);
    ASSERT_GE(r.wire.size(), 12u) << opcode;
    EXPECT_EQ((r.flags() >> 11) & 0x0F, opcode);
    EXPECT_EQ(r.flags() & kRdCd, opcode == 0 ? kRdCd : 0u) << "opcode " << opcode;
  }
}

// RFC 8906 §8.2.8: the opcode is checked before the counts, so an unknown
// opcode without a question, and DSO (RFC 8490, opcode 6, QDCOUNT 0), get
// NOTIMP rather than FORMERR.
TEST_F(AnswerTest, UnknownOpcodeWithoutQuestionIsNotimp) {
  for (unsigned opcode : {3u, 6u, 15u}) {
    Packet p;
    p.header(0x1234, opcode << 11, 0, 0, 0, 0);
    Reply r = ask(p.b);
    ASSERT_GE(r.wire.size(), 12u) << opcode;
    EXPECT_EQ(r.rcode(), 4u) << opcode;
    EXPECT_EQ((r.flags() >> 11) & 0x0F, opcode);
    EXPECT_EQ(r.count(0), 0u);
  }
  Packet two;
  two.header(0x1234, 1u << 11, 2, 0, 0, 0).question("www.example.com", A).question("example.com", A);
  EXPECT_EQ(ask(two.b).rcode(), 4u);
}

// RFC 5001 §2.1: the NSID option (code 3, empty in the request) is answered
// with the configured value; without one, or without a request, nothing.
TEST_F(AnswerTest, NsidAnsweredWhenConfigured) {
  auto nsid_of = [](const Reply& r) -> std::string {
    ldns_rdf* data = ldns_pkt_edns_data(r.pkt.get());
    if (data == nullptr) return "(none)";
    const uint8_t* p = ldns_rdf_data(data);
    std::size_t size = ldns_rdf_size(data);
    for (std::size_t at = 0; at + 4 <= size; at += 4u + rpdns::dns::read_u16(p + at + 2)) {
      uint16_t len = rpdns::dns::read_u16(p + at + 2);
      if (rpdns::dns::read_u16(p + at) == 3 && at + 4 + len <= size) {
        return {reinterpret_cast<const char*>(p + at + 4), len};
      }
    }
    return "(none)";
  };
  Packet asking;
  asking.header(0x1234, 0, 1, 0, 0, 1).question("www.example.com", A).opt(1232, 0, false, {0, 3, 0, 0});
  Options options;
  options.nsid = "ns1.fra";
  Reply r = ask(asking.b, options);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_EQ(count_type(r.answer(), A), 1u);
  EXPECT_EQ(nsid_of(r), "ns1.fra");
  // Also with an error that carries an Extended DNS Error beside it.
  Packet refused;
  refused.header(0x1234, 0, 1, 0, 0, 1).question("www.example.org", A).opt(1232, 0, false, {0, 3, 0, 0});
  Reply other = ask(refused.b, options);
  ASSERT_TRUE(other.pkt);
  EXPECT_EQ(other.rcode(), 5u);
  EXPECT_EQ(nsid_of(other), "ns1.fra");
  // Not asked, or nothing configured: no option.
  Reply unasked = ask(edns_query("www.example.com", A, 1232, false), options);
  ASSERT_TRUE(unasked.pkt);
  EXPECT_EQ(nsid_of(unasked), "(none)");
  Reply unset = ask(asking.b);
  ASSERT_TRUE(unset.pkt);
  EXPECT_EQ(nsid_of(unset), "(none)");
}

// RFC 1035 §3.2.4: we serve class IN only; CHAOS is refused.
TEST_F(AnswerTest, ChaosClassIsRefused) {
  Packet p;
  p.header(0x1234, 0, 1, 0, 0, 0).question("www.example.com", A, 3);
  Reply r = ask(p.b);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 5u);
  EXPECT_TRUE(r.answer().empty());
}

// RFC 4892 §2: id.server and version.bind answer as CHAOS TXT when set.
TEST_F(AnswerTest, ChaosIdentityAndVersionWhenConfigured) {
  Options options;
  options.identity = "ns1.test";
  options.version = "rpdns test";
  Packet id;
  id.header(0x1234, 0, 1, 0, 0, 0).question("id.server", 16, 3);
  Reply r = ask(id.b, options);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  ASSERT_EQ(r.answer().size(), 1u);
  EXPECT_EQ(r.answer()[0].rdata, "\"ns1.test\"");
  EXPECT_EQ(ldns_rr_get_class(ldns_rr_list_rr(ldns_pkt_answer(r.pkt.get()), 0)), LDNS_RR_CLASS_CH);
  Packet version;
  version.header(0x1234, 0, 1, 0, 0, 0).question("VERSION.bind", 16, 3);
  Reply v = ask(version.b, options);
  ASSERT_TRUE(v.pkt);
  ASSERT_EQ(v.answer().size(), 1u);
  EXPECT_EQ(v.answer()[0].rdata, "\"rpdns test\"");
}

// Off by default: nothing about the server is given away.
TEST_F(AnswerTest, ChaosVersionRefusedByDefault) {
  Packet version;
  version.header(0x1234, 0, 1, 0, 0, 0).question("version.bind", 16, 3);
  Reply r = ask(version.b);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 5u);
  EXPECT_TRUE(r.answer().empty());
}

// Without minimal responses (RFC 1034 §4.3.2 step 3a, "may" add the NS),
// a positive answer carries the apex NS and their addresses.
TEST_F(AnswerTest, ApexNsInAuthorityWhenNotMinimal) {
  Options options;
  options.minimal_responses = false;
  Reply r = ask(query("www.example.com", A), options);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(count_type(r.answer(), A), 1u);
  EXPECT_EQ(count_type(r.authority(), NS), 2u);
  EXPECT_TRUE(has(r.additional(), "ns1.example.com.", A, "192.0.2.1"));
  // The default (minimal) answer has no authority section.
  Reply minimal = ask(query("www.example.com", A));
  EXPECT_TRUE(minimal.authority().empty());
}

// The additional section follows the authority section (RFC 1035 §4.1),
// even when the answer's own additional data (the MX hosts) is found before
// the apex NS is added: ldns reads the sections by their counts, so records
// out of order would land in the wrong section.
TEST_F(AnswerTest, NotMinimalWritesAuthorityBeforeAdditional) {
  Options options;
  options.minimal_responses = false;
  Reply r = ask(query("example.com", MX), options);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(count_type(r.answer(), MX), 1u);
  auto authority = r.authority();
  EXPECT_EQ(authority.size(), 2u);
  EXPECT_EQ(count_type(authority, NS), 2u);
  auto additional = r.additional();
  EXPECT_TRUE(has(additional, "mail.example.com.", A, "192.0.2.25"));
  EXPECT_TRUE(has(additional, "mail.example.com.", AAAA, "2001:db8::25"));
  EXPECT_TRUE(has(additional, "ns1.example.com.", A, "192.0.2.1"));
  EXPECT_TRUE(has(additional, "ns2.example.com.", A, "192.0.2.2"));
  EXPECT_EQ(count_type(additional, NS), 0u);
}

// The answer is not repeated: an NS host's own address is in the answer,
// not again in additional; the apex NS answered by ANY is not repeated in
// authority (NSD answers so too).
TEST_F(AnswerTest, NotMinimalRepeatsNothingFromTheAnswer) {
  Options options;
  options.minimal_responses = false;
  Reply r = ask(query("ns1.example.com", A), options);
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(has(r.answer(), "ns1.example.com.", A, "192.0.2.1"));
  EXPECT_EQ(count_type(r.authority(), NS), 2u);
  auto additional = r.additional();
  EXPECT_FALSE(has(additional, "ns1.example.com.", A));
  EXPECT_TRUE(has(additional, "ns1.example.com.", AAAA, "2001:db8::1"));
  EXPECT_TRUE(has(additional, "ns2.example.com.", A, "192.0.2.2"));

  Reply any = ask(query("svc.example", 255), options);
  ASSERT_TRUE(any.pkt);
  EXPECT_EQ(count_type(any.answer(), NS), 1u);
  EXPECT_TRUE(any.authority().empty());
}

// Negative answers keep their SOA alone, whatever the setting (RFC 2308 §3).
TEST_F(AnswerTest, NotMinimalLeavesNegativeAnswersAlone) {
  Options options;
  options.minimal_responses = false;
  Reply r = ask(query("nothere.example.com", A), options);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 3u);
  EXPECT_EQ(count_type(r.authority(), NS), 0u);
  EXPECT_EQ(count_type(r.authority(), SOA), 1u);
}

// ---- SVCB and HTTPS additional processing, RFC 9460 §4 ----

// ServiceMode (SvcPriority > 0): the TargetName's addresses.
TEST_F(AnswerTest, HttpsServiceModeAddsTargetAddresses) {
  Reply r = ask(query("www.svc.example", HTTPS));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(count_type(r.answer(), HTTPS), 1u);
  auto additional = r.additional();
  EXPECT_EQ(additional.size(), 2u);
  EXPECT_TRUE(has(additional, "web.svc.example.", A, "192.0.2.10"));
  EXPECT_TRUE(has(additional, "web.svc.example.", AAAA, "2001:db8::10"));
}

// TargetName "." in ServiceMode is the owner itself (RFC 9460 §2.5).
TEST_F(AnswerTest, HttpsServiceModeDotAddsOwnerAddresses) {
  Reply r = ask(query("self.svc.example", HTTPS));
  ASSERT_TRUE(r.pkt);
  auto additional = r.additional();
  EXPECT_EQ(additional.size(), 1u);
  EXPECT_TRUE(has(additional, "self.svc.example.", A, "192.0.2.11"));
}

// AliasMode (SvcPriority 0): the target's own records of the type, then
// the addresses they lead to.
TEST_F(AnswerTest, HttpsAliasModeAddsTargetRecords) {
  Reply r = ask(query("svc.example", HTTPS));
  ASSERT_TRUE(r.pkt);
  auto additional = r.additional();
  EXPECT_TRUE(has(additional, "pool.svc.example.", HTTPS));
  EXPECT_TRUE(has(additional, "pool.svc.example.", A, "192.0.2.12"));
  EXPECT_EQ(additional.size(), 2u);

  Reply svcb = ask(query("alias.svc.example", SVCB));
  ASSERT_TRUE(svcb.pkt);
  auto more = svcb.additional();
  EXPECT_TRUE(has(more, "svc.svc.example.", SVCB));
  EXPECT_TRUE(has(more, "web.svc.example.", A, "192.0.2.10"));
  EXPECT_TRUE(has(more, "web.svc.example.", AAAA, "2001:db8::10"));
}

TEST_F(AnswerTest, HttpsTargetOutsideTheZoneAddsNothing) {
  Reply r = ask(query("away.svc.example", HTTPS));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(count_type(r.answer(), HTTPS), 1u);
  EXPECT_TRUE(r.additional().empty());
}

// ---- occluded names, wildcard cuts ----

// Addresses at or below a zone cut are glue, not data of this zone: an MX
// or SRV answer does not carry them (NSD leaves them out too).
TEST_F(AnswerTest, MxAndSrvTargetsBelowACutAddNothing) {
  Reply mx = ask(query("svc.example", MX));
  ASSERT_TRUE(mx.pkt);
  EXPECT_EQ(count_type(mx.answer(), MX), 2u);
  auto additional = mx.additional();
  EXPECT_TRUE(has(additional, "mail.svc.example.", A, "192.0.2.30"));
  EXPECT_FALSE(has(additional, "mx.deleg.svc.example.", A));
  EXPECT_EQ(additional.size(), 1u);

  Reply srv = ask(query("_sip._udp.svc.example", SRV));
  ASSERT_TRUE(srv.pkt);
  EXPECT_EQ(count_type(srv.answer(), SRV), 1u);
  EXPECT_TRUE(srv.additional().empty());

  // The same addresses are still glue for the referral they belong to.
  Reply referral = ask(query("www.deleg.svc.example", A));
  ASSERT_TRUE(referral.pkt);
  EXPECT_FALSE(referral.aa());
  EXPECT_TRUE(has(referral.additional(), "ns.deleg.svc.example.", A, "192.0.2.21"));
}

// A wildcard that owns NS is a zone cut: names it would match get a
// referral to its NS, not an authoritative answer (as Knot DNS does).
TEST_F(AnswerTest, WildcardDelegationRefers) {
  for (uint16_t type : {A, NS, MX}) {
    Reply r = ask(query("x.wdeleg.svc.example", type));
    ASSERT_TRUE(r.pkt);
    EXPECT_EQ(r.rcode(), 0u);
    EXPECT_FALSE(r.aa()) << type;
    EXPECT_TRUE(r.answer().empty()) << type;
    auto authority = r.authority();
    EXPECT_EQ(count_type(authority, NS), 2u) << type;
    EXPECT_TRUE(has(authority, "*.wdeleg.svc.example.", NS, "ns.elsewhere.test.")) << type;
    EXPECT_TRUE(has(r.additional(), "ns1.wdeleg.svc.example.", A, "192.0.2.40")) << type;
  }
  // DS belongs to the parent side of a cut (RFC 4035 §3.1.4.1): NODATA here.
  Reply ds = ask(query("x.wdeleg.svc.example", DS));
  ASSERT_TRUE(ds.pkt);
  EXPECT_EQ(ds.rcode(), 0u);
  EXPECT_TRUE(ds.aa());
  EXPECT_TRUE(ds.answer().empty());
  EXPECT_EQ(count_type(ds.authority(), SOA), 1u);
}

// ---- truncation, RFC 1035 §4.2.1, RFC 2181 §9, RFC 6891 §7 ----

// 40 A records (about 670 bytes) exceed 512 without EDNS: TC set, no
// partial RRset, header and question kept.
TEST_F(AnswerTest, BigRrsetTruncatedWithoutEdns) {
  auto request = query("big.example.com", A);
  Reply r = ask(request);
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(r.tc());
  EXPECT_TRUE(r.outcome.truncated);
  EXPECT_LE(r.wire.size(), 512u);
  EXPECT_EQ(r.count(0), 1u);
  EXPECT_EQ(r.count(1), 0u);
  EXPECT_EQ(r.count(2), 0u);
  EXPECT_EQ(r.count(3), 0u);
  EXPECT_EQ(std::vector<uint8_t>(r.wire.begin() + 12, r.wire.end()),
            std::vector<uint8_t>(request.begin() + 12, request.end()));
}

// RFC 6891 §6.2.5: with EDNS 4096 the limit is our 1232, which fits.
TEST_F(AnswerTest, BigRrsetFitsWithEdns) {
  Reply r = ask(edns_query("big.example.com", A, 4096, false));
  ASSERT_TRUE(r.pkt);
  EXPECT_FALSE(r.tc());
  EXPECT_EQ(count_type(r.answer(), A), 40u);
  EXPECT_GT(r.wire.size(), 512u);
  EXPECT_LE(r.wire.size(), 1232u);
}

// RFC 6891 §7: a truncated EDNS reply is header, question and OPT.
TEST_F(AnswerTest, TruncatedEdnsReplyKeepsOpt) {
  Reply r = ask(edns_query("big.example.com", A, 512, false));
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(r.tc());
  EXPECT_TRUE(r.answer().empty());
  EXPECT_EQ(r.count(3), 1u);
  EXPECT_EQ(ldns_pkt_edns_udp_size(r.pkt.get()), 1232);
}

// ---- DNS cookies (RFC 7873 §5.2, RFC 9018) ----

// The RFC 9018 A.1 example: its secret, client cookie, client address and
// time, so the server cookie in the reply is the RFC's.
class CookieTest : public AnswerTest {
 protected:
  static constexpr uint32_t kNow = 1559731985;
  static constexpr const char* kA1 = "010000005cf79f111f8130c3eee29480";  // made at kNow
  static constexpr const char* kA2 = "010000005cf7a871d4a564a1442aca77";  // renewed 40 minutes later
  static constexpr const char* kClient = "2464c4abcf10c957";

  CookieTest() : cookies_(secrets()) {
    cookies_.set_clock(kNow);
    options_.cookies = &cookies_;
    peer_ = *rpdns::test::socket_address("198.51.100.100");
  }
  static std::vector<rpdns::dns::CookieSecret> secrets() {
    rpdns::dns::CookieSecret s{};
    rpdns::dns::parse_cookie_secret("e5e973e5a6b2a43f48e7dc849e37bfcf", s);
    return {s};
  }
  // A query (none for an empty name) whose OPT carries one COOKIE option of these bytes.
  static std::vector<uint8_t> with_cookie(const std::vector<uint8_t>& cookie,
                                          const std::string& name = "www.example.com") {
    return rpdns::test::cookie_query(cookie, name, 0x1234);
  }
  // The reply's COOKIE option in hex; "(none)" without one.
  static std::string cookie_of(const Reply& r) {
    if (!r.pkt) return "(undecodable)";
    ldns_rdf* data = ldns_pkt_edns_data(r.pkt.get());
    if (data == nullptr) return "(none)";
    const uint8_t* p = ldns_rdf_data(data);
    std::size_t size = ldns_rdf_size(data);
    for (std::size_t at = 0; at + 4 <= size; at += 4u + rpdns::dns::read_u16(p + at + 2)) {
      uint16_t len = rpdns::dns::read_u16(p + at + 2);
      if (rpdns::dns::read_u16(p + at) == rpdns::dns::edns_option::COOKIE && at + 4 + len <= size) {
        return rpdns::test::to_hex(p + at + 4, len);
      }
    }
    return "(none)";
  }
  // The 12-bit rcode: header bits and the OPT's upper eight (RFC 6891 §6.1.3).
  static unsigned full_rcode(const Reply& r) {
    return r.pkt ? (static_cast<unsigned>(ldns_pkt_edns_extended_rcode(r.pkt.get())) << 4) | r.rcode() : 0xFFFF;
  }
  Reply ask_cookie(const std::vector<uint8_t>& request, bool over_tcp = false) {
    return ask(request, options_, over_tcp, sa(peer_));
  }

  rpdns::dns::ServerCookies cookies_;
  Options options_;
  sockaddr_storage peer_{};
};

// §5.2.3: a client cookie alone gets the answer and a server cookie.
TEST_F(CookieTest, ClientCookieGetsAnswerAndServerCookie) {
  Reply r = ask_cookie(with_cookie(from_hex(kClient)));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(full_rcode(r), 0u);
  EXPECT_EQ(count_type(r.answer(), A), 1u);
  EXPECT_EQ(cookie_of(r), std::string(kClient) + kA1);
  EXPECT_EQ(r.outcome.cookie, rpdns::answer::CookieResult::client_only);
  EXPECT_FALSE(r.outcome.cookie_valid);
}

// §5.2.5: our own cookie is accepted and, while young, echoed unchanged.
TEST_F(CookieTest, ValidServerCookieIsEchoed) {
  cookies_.set_clock(kNow + 600);
  Reply r = ask_cookie(with_cookie(from_hex(std::string(kClient) + kA1)));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(full_rcode(r), 0u);
  EXPECT_EQ(count_type(r.answer(), A), 1u);
  EXPECT_EQ(cookie_of(r), std::string(kClient) + kA1);
  EXPECT_EQ(r.outcome.cookie, rpdns::answer::CookieResult::valid);
  EXPECT_TRUE(r.outcome.cookie_valid);
}

// RFC 9018 §4.3 and A.2: past half an hour it is still valid, and renewed.
TEST_F(CookieTest, OldServerCookieIsRenewed) {
  cookies_.set_clock(1559734385);
  Reply r = ask_cookie(with_cookie(from_hex(std::string(kClient) + kA1)));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(full_rcode(r), 0u);
  EXPECT_EQ(count_type(r.answer(), A), 1u);
  EXPECT_EQ(cookie_of(r), std::string(kClient) + kA2);
  EXPECT_TRUE(r.outcome.cookie_valid);
}

// §5.2.4 over UDP: a server cookie that is not ours gets BADCOOKIE (23),
// no data, and a fresh cookie to retry with.
TEST_F(CookieTest, ForgedServerCookieGetsBadcookieOverUdp) {
  std::string forged = std::string(kClient) + "010000005cf79f111f8130c3eee29481";
  Reply r = ask_cookie(with_cookie(from_hex(forged)));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(full_rcode(r), 23u);
  EXPECT_EQ(r.rcode(), 7u);   // the header's four bits of 23
  EXPECT_EQ(r.count(0), 1u);  // the question, echoed
  EXPECT_EQ(r.count(1), 0u);
  EXPECT_EQ(r.count(2), 0u);
  EXPECT_EQ(r.count(3), 1u);  // the OPT alone
  EXPECT_FALSE(r.aa());
  EXPECT_EQ(cookie_of(r), std::string(kClient) + kA1);
  EXPECT_EQ(r.outcome.cookie, rpdns::answer::CookieResult::invalid);
  EXPECT_FALSE(r.outcome.cookie_valid);
  EXPECT_EQ(r.outcome.rcode, 23u);
}

// Expired, from another address, or not an RFC 9018 cookie at all: BADCOOKIE too.
TEST_F(CookieTest, ExpiredOrForeignCookiesGetBadcookie) {
  cookies_.set_clock(kNow + 3601);
  EXPECT_EQ(full_rcode(ask_cookie(with_cookie(from_hex(std::string(kClient) + kA1)))), 23u);
  cookies_.set_clock(kNow);
  peer_ = *rpdns::test::socket_address("198.51.100.101");
  EXPECT_EQ(full_rcode(ask_cookie(with_cookie(from_hex(std::string(kClient) + kA1)))), 23u);
  peer_ = *rpdns::test::socket_address("198.51.100.100");
  EXPECT_EQ(full_rcode(ask_cookie(with_cookie(from_hex(std::string(kClient) + "0102030405060708")))), 23u);  // 8 bytes
  EXPECT_EQ(full_rcode(ask_cookie(with_cookie(std::vector<uint8_t>(40, 0xAB)))), 23u);                       // 32 bytes
}

// Over TCP the source is proven: the answer, with a fresh cookie.
TEST_F(CookieTest, ForgedServerCookieAnsweredOverTcp) {
  std::string forged = std::string(kClient) + "010000005cf79f111f8130c3eee29481";
  Reply r = ask_cookie(with_cookie(from_hex(forged)), true);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(full_rcode(r), 0u);
  EXPECT_EQ(count_type(r.answer(), A), 1u);
  EXPECT_EQ(cookie_of(r), std::string(kClient) + kA1);
  EXPECT_FALSE(r.outcome.cookie_valid);
}

// §5.2.2: a COOKIE option whose length is not 8 or 16 to 40 is FORMERR, with
// an OPT but no cookie; the lengths in range are not.
TEST_F(CookieTest, MalformedCookieIsFormerr) {
  for (std::size_t len : {0u, 1u, 7u, 9u, 15u, 41u, 60u}) {
    Reply r = ask_cookie(with_cookie(std::vector<uint8_t>(len, 0x42)));
    ASSERT_TRUE(r.pkt) << len;
    EXPECT_EQ(full_rcode(r), 1u) << len;
    EXPECT_EQ(r.count(1), 0u) << len;
    EXPECT_EQ(r.count(3), 1u) << len;
    EXPECT_EQ(cookie_of(r), "(none)") << len;
    EXPECT_EQ(r.outcome.cookie, rpdns::answer::CookieResult::malformed) << len;
  }
  for (std::size_t len : {8u, 16u, 24u, 40u}) {
    Reply r = ask_cookie(with_cookie(std::vector<uint8_t>(len, 0x42)));
    EXPECT_NE(full_rcode(r), 1u) << len;
  }
}

// Only the first COOKIE option counts (a second, malformed one is ignored).
TEST_F(CookieTest, FirstCookieOptionCounts) {
  std::vector<uint8_t> options = {0, 10, 0, 8};
  auto client = from_hex(kClient);
  options.insert(options.end(), client.begin(), client.end());
  options.insert(options.end(), {0, 10, 0, 3, 1, 2, 3});
  Packet p;
  p.header(0x1234, 0, 1, 0, 0, 1).question("www.example.com", A).opt(1232, 0, false, options);
  Reply r = ask_cookie(p.b);
  EXPECT_EQ(full_rcode(r), 0u);
  EXPECT_EQ(cookie_of(r), std::string(kClient) + kA1);
}

// §5.4: no question, a cookie: NOERROR and the cookie, nothing else. With a
// forged server cookie, BADCOOKIE; with no cookie at all it stays FORMERR.
TEST_F(CookieTest, CookieOnlyQuery) {
  Reply r = ask_cookie(with_cookie(from_hex(kClient), ""));
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(full_rcode(r), 0u);
  EXPECT_EQ(r.count(0), 0u);
  EXPECT_EQ(r.count(1), 0u);
  EXPECT_EQ(r.count(2), 0u);
  EXPECT_EQ(r.count(3), 1u);
  EXPECT_EQ(cookie_of(r), std::string(kClient) + kA1);
  EXPECT_EQ(r.outcome.question_end, 12u);

  Reply valid = ask_cookie(with_cookie(from_hex(std::string(kClient) + kA1), ""));
  EXPECT_EQ(full_rcode(valid), 0u);
  EXPECT_TRUE(valid.outcome.cookie_valid);

  Reply forged = ask_cookie(with_cookie(from_hex(std::string(kClient) + "010000005cf79f111f8130c3eee29481"), ""));
  EXPECT_EQ(full_rcode(forged), 23u);
  EXPECT_EQ(cookie_of(forged), std::string(kClient) + kA1);

  Packet no_cookie;
  no_cookie.header(0x1234, 0, 0, 0, 0, 1).opt(1232, 0, false);
  EXPECT_EQ(full_rcode(ask_cookie(no_cookie.b)), 1u);
  Packet no_opt;
  no_opt.header(0x1234, 0, 0, 0, 0, 0);
  EXPECT_EQ(ask_cookie(no_opt.b).rcode(), 1u);
  // A server without cookies does not know the request: FORMERR.
  EXPECT_EQ(full_rcode(ask(with_cookie(from_hex(kClient), ""))), 1u);
}

// Every reply to a request with a cookie carries one: errors, referrals
// and truncated replies too; and NSID still fits beside it.
TEST_F(CookieTest, EveryReplyCarriesTheCookie) {
  std::string want = std::string(kClient) + kA1;
  for (const char* name : {"www.example.org", "nothere.example.com", "version.bind"}) {
    Reply r = ask_cookie(with_cookie(from_hex(kClient), name));
    EXPECT_EQ(cookie_of(r), want) << name;
  }
  // A reply that does not fit in 512 bytes: truncated, the cookie kept.
  std::vector<uint8_t> option = {0, 10, 0, 8};
  auto client = from_hex(kClient);
  option.insert(option.end(), client.begin(), client.end());
  option.insert(option.end(), {0, 3, 0, 0});  // and NSID
  Packet big;
  big.header(0x1234, 0, 1, 0, 0, 1).question("big.example.com", A).opt(512, 0, false, option);
  options_.nsid = "ns1.fra";
  Reply r = ask_cookie(big.b);
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(r.tc());
  EXPECT_LE(r.wire.size(), 512u);
  EXPECT_EQ(cookie_of(r), want);
  EXPECT_NE(ldns_rdf_size(ldns_pkt_edns_data(r.pkt.get())), 28u);  // more than the cookie: the NSID too
}

// Without the cookie engine the option is ignored, malformed or not.
TEST_F(CookieTest, IgnoredWhenCookiesAreOff) {
  Reply r = ask(with_cookie(from_hex(kClient)));
  EXPECT_EQ(full_rcode(r), 0u);
  EXPECT_EQ(cookie_of(r), "(none)");
  EXPECT_EQ(full_rcode(ask(with_cookie(std::vector<uint8_t>(7, 1)))), 0u);
  EXPECT_EQ(r.outcome.cookie, rpdns::answer::CookieResult::none);
}

// RFC 6891 §6.1.3: options of an unknown EDNS version are not read.
TEST_F(CookieTest, BadversCarriesNoCookie) {
  std::vector<uint8_t> option = {0, 10, 0, 8};
  auto client = from_hex(kClient);
  option.insert(option.end(), client.begin(), client.end());
  Packet p;
  p.header(0x1234, 0, 1, 0, 0, 1).question("www.example.com", A).opt(1232, 1, false, option);
  Reply r = ask_cookie(p.b);
  EXPECT_EQ(full_rcode(r), 16u);
  EXPECT_EQ(cookie_of(r), "(none)");
}

}  // namespace

namespace {

// ---- secondary zones (RFC 1996 NOTIFY, RFC 1034 §4.3.5 expiry) ----

struct SecondaryFixture {
  rpdns::answer::Snapshot snapshot;
  rpdns::zone::ZoneSet& zones = snapshot.zones;
  sockaddr_in primary = rpdns::test::ipv4("192.0.2.1"), stranger = rpdns::test::ipv4("192.0.2.2");

  explicit SecondaryFixture(bool expired) {
    auto loaded = rpdns::zone::load_zone("example.com", std::string(RPDNS_TEST_ZONES) + "/unit/example.com.zone");
    auto child =
        rpdns::zone::load_zone("child.example.com", std::string(RPDNS_TEST_ZONES) + "/unit/child.example.com.zone");
    zones.add(loaded.zone);
    zones.add(child.zone);
    rpdns::zone::SecondaryState state;
    state.expired = expired;
    zones.set_secondary(loaded.zone->origin, state);
    snapshot.access.accept_notify(loaded.zone->origin, {{*rpdns::policy::Prefix::parse("192.0.2.1"), ""}});
  }
  rpdns::answer::Reply ask(const std::vector<uint8_t>& request, const sockaddr_in& from, std::vector<uint8_t>& out) {
    out.assign(rpdns::dns::kMaxMessageSize, 0);
    return respond(request.data(), request.size(), snapshot, {}, false, out.data(), sa(from));
  }
};

std::vector<uint8_t> notify(const std::string& zone) {
  Packet p;
  p.header(0x4321, 4 << 11 | 0x0400, 1, 0, 0, 0).question(zone, SOA);  // opcode NOTIFY, AA
  return p.b;
}

// RFC 1996 §3.7, §3.11: a NOTIFY from the zone's primary is answered with
// AA and the opcode echoed, and the refresh is the caller's to start.
TEST(SecondaryAnswers, NotifyFromThePrimaryIsAccepted) {
  SecondaryFixture f(false);
  std::vector<uint8_t> out;
  auto o = f.ask(notify("example.com"), f.primary, out);
  ASSERT_GT(o.size, 0u);
  EXPECT_EQ(header_rcode(out.data()), 0u);
  EXPECT_EQ((out[2] >> 3) & 0x0F, 4);  // opcode NOTIFY
  EXPECT_NE(out[2] & 0x04, 0);         // AA
  ASSERT_NE(o.notify, nullptr);
  EXPECT_EQ(o.notify->origin, wire("example.com"));
}

// RFC 1996 §3.7: a NOTIFY's QTYPE is SOA; any other is FORMERR (as Knot
// answers) and starts no refresh, even from the primary.
TEST(SecondaryAnswers, NotifyForAnotherTypeIsFormerr) {
  SecondaryFixture f(false);
  std::vector<uint8_t> out;
  for (unsigned qtype : {1u, 2u, 252u}) {
    Packet p;
    p.header(0x4321, 4 << 11 | 0x0400, 1, 0, 0, 0).question("example.com", qtype);
    auto o = f.ask(p.b, f.primary, out);
    EXPECT_EQ(header_rcode(out.data()), 1u) << qtype;
    EXPECT_EQ(o.notify, nullptr) << qtype;
  }
}

// A NOTIFY with the zone's SOA in its answer section (RFC 1996 §3.7)
// passes its serial on, the owner a pointer to the question or spelled
// out; a SOA of another name is no hint.
TEST(SecondaryAnswers, NotifyPassesTheSerialItCarries) {
  SecondaryFixture f(false);
  auto with_soa = [](bool pointer, const std::string& owner) {
    Packet p;
    p.header(0x4321, 4 << 11 | 0x0400, 1, 1, 0, 0).question("example.com", SOA);
    if (pointer)
      p.u16(0xC00C);
    else
      p.name(owner);
    p.u16(SOA).u16(1).u32(3600).u16(17 + 15 + 20).name("ns1.example.com").name("h.example.com");
    p.u32(77).u32(1).u32(2).u32(3).u32(4);
    return p.b;
  };
  std::vector<uint8_t> out;
  auto o = f.ask(with_soa(true, ""), f.primary, out);
  ASSERT_NE(o.notify, nullptr);
  EXPECT_EQ(o.notify_serial, std::optional<uint32_t>(77));
  o = f.ask(with_soa(false, "Example.COM"), f.primary, out);
  EXPECT_EQ(o.notify_serial, std::optional<uint32_t>(77));
  o = f.ask(with_soa(false, "other.example.com"), f.primary, out);
  ASSERT_NE(o.notify, nullptr);
  EXPECT_EQ(o.notify_serial, std::nullopt);
  o = f.ask(notify("example.com"), f.primary, out);
  EXPECT_EQ(o.notify_serial, std::nullopt);
}

// From anyone else, or for a zone we are the primary of: REFUSED; for no
// zone of ours: NOTAUTH; never a refresh.
TEST(SecondaryAnswers, OtherNotifiesAreRefused) {
  SecondaryFixture f(false);
  std::vector<uint8_t> out;
  auto o = f.ask(notify("example.com"), f.stranger, out);
  EXPECT_EQ(header_rcode(out.data()), 5u);
  EXPECT_EQ(o.notify, nullptr);
  o = f.ask(notify("child.example.com"), f.primary, out);
  EXPECT_EQ(header_rcode(out.data()), 5u);
  EXPECT_EQ(o.notify, nullptr);
  o = f.ask(notify("www.example.com"), f.primary, out);
  EXPECT_EQ(header_rcode(out.data()), 9u);
  o = f.ask(notify("example.org"), f.primary, out);
  EXPECT_EQ(header_rcode(out.data()), 9u);
  EXPECT_EQ(o.notify, nullptr);
}

// An expired secondary zone answers SERVFAIL, transfers included; other
// zones answer as usual.
TEST(SecondaryAnswers, ExpiredZoneIsServfail) {
  SecondaryFixture f(true);
  std::vector<uint8_t> out;
  f.ask(query("www.example.com", A), f.stranger, out);
  EXPECT_EQ(header_rcode(out.data()), 2u);
  f.ask(query("www.child.example.com", A), f.stranger, out);
  EXPECT_NE(header_rcode(out.data()), 2u);
  SecondaryFixture fresh(false);
  fresh.ask(query("www.example.com", A), fresh.stranger, out);
  EXPECT_EQ(header_rcode(out.data()), 0u);
}

}  // namespace
