// DNSSEC answers (RFC 4035 §3.1, RFC 5155 §7.2): with DO=1 every RRset of
// the answer and authority sections carries its RRSIGs, and negative and
// wildcard answers carry the NSEC or NSEC3 records that prove them. The
// zones are tests/zones/unit/signed/*.zone, signed by ldns-signzone (see
// sign.sh there). Replies are decoded and their signatures verified with
// ldns; the proofs are checked here from the RFCs' definitions of "matches"
// and "covers", with the NSEC3 hashes computed by ldns.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "answer/answer.hpp"
#include "dns/wire.hpp"
#include "support/ldns_decode.hpp"
#include "support/loaded_zones.hpp"
#include "support/packet.hpp"
#include "zone/loader.hpp"

namespace {

using namespace rpdns::dns::type;

using RRList = std::unique_ptr<ldns_rr_list, decltype(&ldns_rr_list_deep_free)>;

// A field as ldns prints it, in lowercase.
std::string text(const ldns_rdf* rdf) { return rpdns::test::lowercase(rpdns::test::rdf_text(rdf)); }

std::string owner(const ldns_rr* rr) { return text(ldns_rr_owner(rr)); }
uint16_t type(const ldns_rr* rr) { return static_cast<uint16_t>(ldns_rr_get_type(rr)); }
uint16_t covered(const ldns_rr* rrsig) {
  return static_cast<uint16_t>(ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rrsig)));
}

std::vector<const ldns_rr*> records(const ldns_rr_list* list) {
  std::vector<const ldns_rr*> out;
  for (std::size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i)
    out.push_back(ldns_rr_list_rr(list, i));
  return out;
}

std::vector<const ldns_rr*> of_type(const ldns_rr_list* list, uint16_t t) {
  std::vector<const ldns_rr*> out;
  for (const ldns_rr* rr : records(list)) {
    if (type(rr) == t) out.push_back(rr);
  }
  return out;
}

struct Reply {
  rpdns::answer::Reply outcome;
  rpdns::test::Packet pkt;
  unsigned rcode() const { return ldns_pkt_get_rcode(pkt.get()); }
  const ldns_rr_list* answer() const { return ldns_pkt_answer(pkt.get()); }
  const ldns_rr_list* authority() const { return ldns_pkt_authority(pkt.get()); }
  const ldns_rr_list* additional() const { return ldns_pkt_additional(pkt.get()); }
};

class DnssecTest : public rpdns::test::LoadedZones<DnssecTest> {
 protected:
  static void SetUpTestSuite() {
    load(std::string(RPDNS_TEST_ZONES) + "/unit/signed/",
         {{"signed.example", "signed.example.zone"}, {"nsec3.example", "nsec3.example.zone"}});
  }

  // A query with EDNS (`size` bytes) and DO as given, over UDP.
  static Reply ask(const std::string& name, uint16_t qtype, bool do_bit = true, unsigned size = 1232) {
    rpdns::test::PacketBuilder p;
    p.header(0x1234, 0, 1, 0, 0, 1).question(name, qtype).opt(size, 0, do_bit);
    std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
    Reply r;
    r.outcome = rpdns::answer::respond(p.b.data(), p.b.size(), *zones_, {}, false, out.data());
    if (r.outcome.size > 0) r.pkt = rpdns::test::decode(out.data(), r.outcome.size);
    return r;
  }

  // The zone's DNSKEY RRset, as served.
  static RRList keys(const std::string& zone) {
    Reply r = ask(zone, DNSKEY);
    RRList list(ldns_rr_list_new(), ldns_rr_list_deep_free);
    for (const ldns_rr* rr : of_type(r.answer(), DNSKEY)) ldns_rr_list_push_rr(list.get(), ldns_rr_clone(rr));
    return list;
  }

  // Every RRset of `section` has an RRSIG that verifies with the zone's
  // keys; returns what does not, empty when all is well.
  static std::string unsigned_rrsets(const ldns_rr_list* section, const std::string& zone) {
    RRList zone_keys = keys(zone);
    std::string problems;
    auto all = records(section);
    for (const ldns_rr* rr : all) {
      if (type(rr) == RRSIG) continue;
      // Once per RRset: at its first record.
      auto first = std::find_if(all.begin(), all.end(),
                                [&](const ldns_rr* o) { return type(o) == type(rr) && owner(o) == owner(rr); });
      if (*first != rr) continue;
      RRList rrset(ldns_rr_list_new(), ldns_rr_list_deep_free);
      RRList sigs(ldns_rr_list_new(), ldns_rr_list_deep_free);
      for (const ldns_rr* o : all) {
        if (owner(o) != owner(rr)) continue;
        if (type(o) == type(rr)) ldns_rr_list_push_rr(rrset.get(), ldns_rr_clone(o));
        if (type(o) == RRSIG && covered(o) == type(rr)) ldns_rr_list_push_rr(sigs.get(), ldns_rr_clone(o));
      }
      if (ldns_rr_list_rr_count(sigs.get()) == 0) {
        problems += owner(rr) + " type " + std::to_string(type(rr)) + ": no RRSIG\n";
        continue;
      }
      ldns_status status = ldns_verify_notime(rrset.get(), sigs.get(), zone_keys.get(), nullptr);
      if (status != LDNS_STATUS_OK) {
        problems += owner(rr) + " type " + std::to_string(type(rr)) + ": " + ldns_get_errorstr_by_id(status) + "\n";
      }
    }
    return problems;
  }
};

bool has(const ldns_rr_list* list, const std::string& name, uint16_t t) {
  auto all = records(list);
  return std::any_of(all.begin(), all.end(), [&](const ldns_rr* rr) { return owner(rr) == name && type(rr) == t; });
}

std::unique_ptr<ldns_rdf, decltype(&ldns_rdf_deep_free)> dname(const std::string& name) {
  return {ldns_dname_new_frm_str(name.c_str()), ldns_rdf_deep_free};
}

// RFC 4034 §4.1.1 / RFC 4035 §5.4: `nsec` covers `name` when name sorts
// strictly between its owner and its next name (the last NSEC wraps).
bool nsec_covers(const ldns_rr* nsec, const std::string& name) {
  auto n = dname(name);
  int after_owner = ldns_dname_compare(n.get(), ldns_rr_owner(nsec));
  int before_next = ldns_dname_compare(n.get(), ldns_rr_rdf(nsec, 0));
  bool wraps = ldns_dname_compare(ldns_rr_rdf(nsec, 0), ldns_rr_owner(nsec)) <= 0;
  return wraps ? after_owner > 0 || before_next < 0 : after_owner > 0 && before_next < 0;
}

bool nsec_proves_absent(const ldns_rr_list* list, const std::string& name) {
  auto nsecs = of_type(list, NSEC);
  return std::any_of(nsecs.begin(), nsecs.end(), [&](const ldns_rr* n) { return nsec_covers(n, name); });
}

bool bitmap_has(const ldns_rr* rr, std::size_t field, uint16_t t) {
  return ldns_nsec_bitmap_covers_type(ldns_rr_rdf(rr, field), static_cast<ldns_rr_type>(t));
}

// NSEC3 hashes as base32hex text, as owner labels carry them (RFC 5155 §3.3).
std::string nsec3_hash(const std::string& name) {
  auto n = dname(name);
  ldns_rdf* hashed = ldns_nsec3_hash_name(n.get(), 1, 0, 0, nullptr);  // the zone's NSEC3PARAM: 1 0 0 -
  std::string out = text(hashed);
  ldns_rdf_deep_free(hashed);
  return out.substr(0, out.find('.'));
}

std::string nsec3_owner_hash(const ldns_rr* rr) { return owner(rr).substr(0, owner(rr).find('.')); }
std::string nsec3_next_hash(const ldns_rr* rr) { return text(ldns_rr_rdf(rr, 4)); }

const ldns_rr* nsec3_matching(const ldns_rr_list* list, const std::string& name) {
  std::string hash = nsec3_hash(name);
  for (const ldns_rr* rr : of_type(list, NSEC3)) {
    if (nsec3_owner_hash(rr) == hash) return rr;
  }
  return nullptr;
}

// RFC 5155 §3.1.7: the hash sorts strictly between owner and next hash.
const ldns_rr* nsec3_covering(const ldns_rr_list* list, const std::string& name) {
  std::string hash = nsec3_hash(name);
  for (const ldns_rr* rr : of_type(list, NSEC3)) {
    std::string from = nsec3_owner_hash(rr), to = nsec3_next_hash(rr);
    bool covers = from < to ? from < hash && hash < to : hash > from || hash < to;
    if (covers) return rr;
  }
  return nullptr;
}

bool opt_out(const ldns_rr* nsec3) { return (ldns_rdf_data(ldns_rr_rdf(nsec3, 1))[0] & 1) != 0; }

// ---- signatures ----

// RFC 4035 §3.1.1: the answer RRset with its RRSIG; with DO=0 no DNSSEC
// records at all (RFC 4035 §3.2.1).
TEST_F(DnssecTest, PositiveAnswerCarriesItsSignature) {
  for (const std::string zone : {"signed.example.", "nsec3.example."}) {
    Reply r = ask("www." + zone, A);
    ASSERT_TRUE(r.pkt);
    EXPECT_EQ(r.rcode(), 0u);
    EXPECT_EQ(of_type(r.answer(), A).size(), 1u);
    ASSERT_EQ(of_type(r.answer(), RRSIG).size(), 1u) << zone;
    EXPECT_EQ(covered(of_type(r.answer(), RRSIG)[0]), A);
    EXPECT_EQ(unsigned_rrsets(r.answer(), zone), "");
    EXPECT_TRUE(ldns_pkt_edns_do(r.pkt.get()));
  }
}

TEST_F(DnssecTest, WithoutDoNothingOfDnssecIsAdded) {
  for (const auto& [name, qtype] : {std::pair{"www.signed.example", A}, std::pair{"nothere.signed.example", A},
                                    std::pair{"www.signed.example", MX}, std::pair{"foo.wild.nsec3.example", A},
                                    std::pair{"nothere.nsec3.example", A}, std::pair{"insecure.signed.example", A}}) {
    Reply r = ask(name, qtype, false);
    ASSERT_TRUE(r.pkt);
    for (const ldns_rr_list* s : {r.answer(), r.authority(), r.additional()}) {
      EXPECT_TRUE(of_type(s, RRSIG).empty()) << name;
      EXPECT_TRUE(of_type(s, NSEC).empty()) << name;
      EXPECT_TRUE(of_type(s, NSEC3).empty()) << name;
      EXPECT_TRUE(of_type(s, DS).empty()) << name;
    }
  }
}

// RFC 4035 §3.1.1: RRSIGs of additional data go with it, or the data goes;
// never an RRset without its signature.
TEST_F(DnssecTest, AdditionalDataIsSignedOrAbsent) {
  Reply r = ask("signed.example.", MX);
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(has(r.additional(), "mail.signed.example.", A));
  EXPECT_EQ(unsigned_rrsets(r.additional(), "signed.example."), "");
  EXPECT_EQ(unsigned_rrsets(r.answer(), "signed.example."), "");
}

// Twelve signed address RRsets do not all fit beside six MX: those that
// do not fit are left out with their signatures, and no TC (RFC 4035 §3.1.1).
TEST_F(DnssecTest, AdditionalThatDoesNotFitGoesWithItsSignatures) {
  Reply r = ask("many.signed.example.", MX);
  ASSERT_TRUE(r.pkt);
  EXPECT_FALSE(ldns_pkt_tc(r.pkt.get()));
  EXPECT_EQ(of_type(r.answer(), MX).size(), 6u);
  std::size_t addresses = of_type(r.additional(), A).size() + of_type(r.additional(), AAAA).size();
  EXPECT_GT(addresses, 0u);
  EXPECT_LT(addresses, 12u);
  EXPECT_EQ(unsigned_rrsets(r.additional(), "signed.example."), "");
}

// The same request with a 512-byte buffer: what does not fit is left out
// or the reply is truncated, but nothing is sent unsigned.
TEST_F(DnssecTest, SmallBufferNeverSplitsAnRrsetFromItsSignatures) {
  for (const auto& [name, qtype] : {std::pair{"signed.example.", MX}, std::pair{"nothere.signed.example.", A},
                                    std::pair{"foo.wild.nsec3.example.", MX}, std::pair{"nothere.nsec3.example.", A},
                                    std::pair{"signed.example.", DNSKEY}}) {
    Reply r = ask(name, qtype, true, 512);
    ASSERT_TRUE(r.pkt);
    std::string zone = std::string(name).find("nsec3") != std::string::npos ? "nsec3.example." : "signed.example.";
    for (const ldns_rr_list* s : {r.answer(), r.authority(), r.additional()}) {
      EXPECT_EQ(unsigned_rrsets(s, zone), "") << name;
    }
    if (!ldns_pkt_tc(r.pkt.get()) && r.rcode() == 3) {
      EXPECT_TRUE(nsec_proves_absent(r.authority(), name) || nsec3_covering(r.authority(), name) != nullptr);
    }
  }
}

// An NXDOMAIN with its proofs needs more than 512 bytes here: TC, and an
// empty reply rather than one without its proof (RFC 4035 §3.1.3).
TEST_F(DnssecTest, NxdomainThatDoesNotFitIsTruncated) {
  Reply r = ask("nothere.nsec3.example.", A, true, 512);
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(ldns_pkt_tc(r.pkt.get()));
  EXPECT_EQ(ldns_rr_list_rr_count(r.authority()), 0u);
  Reply big = ask("nothere.nsec3.example.", A, true, 1232);
  EXPECT_FALSE(ldns_pkt_tc(big.pkt.get()));
}

// Like Knot DNS: QTYPE RRSIG gets the signatures of one RRset (the lowest
// type), not all of a name's.
TEST_F(DnssecTest, RrsigQueryGetsOneRrsetsSignatures) {
  Reply r = ask("www.signed.example.", RRSIG);
  ASSERT_TRUE(r.pkt);
  auto sigs = of_type(r.answer(), RRSIG);
  ASSERT_FALSE(sigs.empty());
  for (const ldns_rr* s : sigs) EXPECT_EQ(covered(s), A);
}

// ---- NSEC (RFC 4035 §3.1.3) ----

TEST_F(DnssecTest, NsecNxdomainProvesNameAndWildcardAbsent) {
  Reply r = ask("nothere.signed.example.", A);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 3u);
  EXPECT_TRUE(has(r.authority(), "signed.example.", SOA));
  EXPECT_TRUE(nsec_proves_absent(r.authority(), "nothere.signed.example."));
  EXPECT_TRUE(nsec_proves_absent(r.authority(), "*.signed.example."));
  EXPECT_EQ(unsigned_rrsets(r.authority(), "signed.example."), "");
}

TEST_F(DnssecTest, NsecNodataShowsTheTypeMissing) {
  Reply r = ask("www.signed.example.", MX);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_EQ(ldns_rr_list_rr_count(r.answer()), 0u);
  auto nsecs = of_type(r.authority(), NSEC);
  ASSERT_EQ(nsecs.size(), 1u);
  EXPECT_EQ(owner(nsecs[0]), "www.signed.example.");
  EXPECT_TRUE(bitmap_has(nsecs[0], 1, A));
  EXPECT_FALSE(bitmap_has(nsecs[0], 1, MX));
  EXPECT_EQ(unsigned_rrsets(r.authority(), "signed.example."), "");
}

// An empty non-terminal has no NSEC of its own: the one covering it.
TEST_F(DnssecTest, NsecNodataAtEmptyNonTerminal) {
  Reply r = ask("b.c.signed.example.", A);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(nsec_proves_absent(r.authority(), "b.c.signed.example."));
  EXPECT_EQ(unsigned_rrsets(r.authority(), "signed.example."), "");
}

// RFC 4035 §3.1.3.3: the expanded answer (its RRSIG's labels field names
// the wildcard) and the NSEC proving the query name itself absent.
TEST_F(DnssecTest, NsecWildcardAnswerProvesTheNameAbsent) {
  Reply r = ask("foo.wild.signed.example.", A);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  ASSERT_TRUE(has(r.answer(), "foo.wild.signed.example.", A));
  auto sigs = of_type(r.answer(), RRSIG);
  ASSERT_EQ(sigs.size(), 1u);
  EXPECT_EQ(owner(sigs[0]), "foo.wild.signed.example.");
  EXPECT_EQ(ldns_rdf2native_int8(ldns_rr_rrsig_labels(sigs[0])), 3);  // wild.signed.example
  EXPECT_EQ(unsigned_rrsets(r.answer(), "signed.example."), "");
  EXPECT_TRUE(nsec_proves_absent(r.authority(), "foo.wild.signed.example."));
  EXPECT_EQ(unsigned_rrsets(r.authority(), "signed.example."), "");
}

// RFC 4035 §3.1.3.4: wildcard NODATA, the name absent and the wildcard's
// own NSEC without the type.
TEST_F(DnssecTest, NsecWildcardNodata) {
  Reply r = ask("foo.wild.signed.example.", MX);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_TRUE(nsec_proves_absent(r.authority(), "foo.wild.signed.example."));
  bool wildcard_nsec = false;
  for (const ldns_rr* n : of_type(r.authority(), NSEC)) {
    if (owner(n) == "*.wild.signed.example.") wildcard_nsec = !bitmap_has(n, 1, MX) && bitmap_has(n, 1, A);
  }
  EXPECT_TRUE(wildcard_nsec);
}

// A CNAME into a wildcard: both links signed, and the wildcard's proof.
TEST_F(DnssecTest, NsecCnameIntoWildcard) {
  Reply r = ask("towild.signed.example.", A);
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(has(r.answer(), "towild.signed.example.", CNAME));
  EXPECT_TRUE(has(r.answer(), "foo.wild.signed.example.", A));
  EXPECT_EQ(unsigned_rrsets(r.answer(), "signed.example."), "");
  EXPECT_TRUE(nsec_proves_absent(r.authority(), "foo.wild.signed.example."));
}

// RFC 4035 §3.1.4: a signed child's DS with its RRSIG; for an unsigned
// child the cut's NSEC, which has NS and no DS.
TEST_F(DnssecTest, NsecReferrals) {
  Reply secure = ask("host.secure.signed.example.", A);
  ASSERT_TRUE(secure.pkt);
  EXPECT_FALSE(ldns_pkt_aa(secure.pkt.get()));
  EXPECT_TRUE(has(secure.authority(), "secure.signed.example.", NS));
  EXPECT_TRUE(has(secure.authority(), "secure.signed.example.", DS));
  EXPECT_EQ(unsigned_rrsets(secure.authority(), "signed.example.").find("type 43"), std::string::npos);
  EXPECT_TRUE(has(secure.additional(), "ns.secure.signed.example.", A));

  Reply insecure = ask("host.insecure.signed.example.", A);
  ASSERT_TRUE(insecure.pkt);
  EXPECT_FALSE(has(insecure.authority(), "insecure.signed.example.", DS));
  auto nsecs = of_type(insecure.authority(), NSEC);
  ASSERT_EQ(nsecs.size(), 1u);
  EXPECT_EQ(owner(nsecs[0]), "insecure.signed.example.");
  EXPECT_TRUE(bitmap_has(nsecs[0], 1, NS));
  EXPECT_FALSE(bitmap_has(nsecs[0], 1, DS));
  // The NS of a cut is the child's and is not signed here; the NSEC is.
  EXPECT_EQ(unsigned_rrsets(insecure.authority(), "signed.example.").find("type 47"), std::string::npos);
}

// RFC 4035 §3.1.4.1: DS is answered from the parent side of the cut.
TEST_F(DnssecTest, NsecDsAtCuts) {
  Reply secure = ask("secure.signed.example.", DS);
  ASSERT_TRUE(secure.pkt);
  EXPECT_TRUE(ldns_pkt_aa(secure.pkt.get()));
  EXPECT_TRUE(has(secure.answer(), "secure.signed.example.", DS));
  EXPECT_EQ(unsigned_rrsets(secure.answer(), "signed.example."), "");

  Reply insecure = ask("insecure.signed.example.", DS);
  ASSERT_TRUE(insecure.pkt);
  EXPECT_TRUE(ldns_pkt_aa(insecure.pkt.get()));
  EXPECT_EQ(ldns_rr_list_rr_count(insecure.answer()), 0u);
  EXPECT_TRUE(has(insecure.authority(), "insecure.signed.example.", NSEC));
  EXPECT_EQ(unsigned_rrsets(insecure.authority(), "signed.example."), "");
}

TEST_F(DnssecTest, AnyWithDoIsOneSignedRrset) {
  Reply r = ask("www.signed.example.", ANY);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(of_type(r.answer(), A).size(), 1u);
  EXPECT_EQ(of_type(r.answer(), TXT).size(), 0u);
  EXPECT_EQ(unsigned_rrsets(r.answer(), "signed.example."), "");
}

// ---- NSEC3 (RFC 5155 §7.2) ----

// §7.2.2: closest encloser (the apex) matched, next closer name covered,
// wildcard at the closest encloser covered.
TEST_F(DnssecTest, Nsec3NxdomainIsTheClosestEncloserProof) {
  Reply r = ask("deep.nothere.nsec3.example.", A);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 3u);
  EXPECT_NE(nsec3_matching(r.authority(), "nsec3.example."), nullptr);
  EXPECT_NE(nsec3_covering(r.authority(), "nothere.nsec3.example."), nullptr);
  EXPECT_NE(nsec3_covering(r.authority(), "*.nsec3.example."), nullptr);
  EXPECT_EQ(unsigned_rrsets(r.authority(), "nsec3.example."), "");
}

// §7.2.3: the NSEC3 matching the name, without the type.
TEST_F(DnssecTest, Nsec3Nodata) {
  Reply r = ask("www.nsec3.example.", MX);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  const ldns_rr* match = nsec3_matching(r.authority(), "www.nsec3.example.");
  ASSERT_NE(match, nullptr);
  EXPECT_TRUE(bitmap_has(match, 5, A));
  EXPECT_FALSE(bitmap_has(match, 5, MX));
  EXPECT_EQ(unsigned_rrsets(r.authority(), "nsec3.example."), "");
}

TEST_F(DnssecTest, Nsec3NodataAtEmptyNonTerminal) {
  Reply r = ask("b.c.nsec3.example.", A);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_NE(nsec3_matching(r.authority(), "b.c.nsec3.example."), nullptr);
}

// §7.2.6: a wildcard answer with the NSEC3 covering the next closer name.
TEST_F(DnssecTest, Nsec3WildcardAnswer) {
  Reply r = ask("foo.wild.nsec3.example.", A);
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(has(r.answer(), "foo.wild.nsec3.example.", A));
  EXPECT_EQ(unsigned_rrsets(r.answer(), "nsec3.example."), "");
  EXPECT_NE(nsec3_covering(r.authority(), "foo.wild.nsec3.example."), nullptr);
  EXPECT_EQ(unsigned_rrsets(r.authority(), "nsec3.example."), "");
}

// §7.2.5: wildcard NODATA, the closest encloser proof and the wildcard's
// own NSEC3 without the type.
TEST_F(DnssecTest, Nsec3WildcardNodata) {
  Reply r = ask("foo.wild.nsec3.example.", MX);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 0u);
  EXPECT_NE(nsec3_matching(r.authority(), "wild.nsec3.example."), nullptr);
  EXPECT_NE(nsec3_covering(r.authority(), "foo.wild.nsec3.example."), nullptr);
  const ldns_rr* star = nsec3_matching(r.authority(), "*.wild.nsec3.example.");
  ASSERT_NE(star, nullptr);
  EXPECT_FALSE(bitmap_has(star, 5, MX));
}

// §7.2.7 with opt-out: the unsigned delegation has no NSEC3; the closest
// provable encloser (the apex) is matched and the cut's name covered by an
// NSEC3 with the opt-out flag.
TEST_F(DnssecTest, Nsec3OptOutReferral) {
  Reply r = ask("host.insecure.nsec3.example.", A);
  ASSERT_TRUE(r.pkt);
  EXPECT_FALSE(ldns_pkt_aa(r.pkt.get()));
  EXPECT_TRUE(has(r.authority(), "insecure.nsec3.example.", NS));
  EXPECT_FALSE(has(r.authority(), "insecure.nsec3.example.", DS));
  EXPECT_NE(nsec3_matching(r.authority(), "nsec3.example."), nullptr);
  const ldns_rr* cover = nsec3_covering(r.authority(), "insecure.nsec3.example.");
  ASSERT_NE(cover, nullptr);
  EXPECT_TRUE(opt_out(cover));

  Reply ds = ask("insecure.nsec3.example.", DS);
  ASSERT_TRUE(ds.pkt);
  EXPECT_EQ(ds.rcode(), 0u);
  EXPECT_NE(nsec3_covering(ds.authority(), "insecure.nsec3.example."), nullptr);
}

TEST_F(DnssecTest, Nsec3SecureReferralCarriesDs) {
  Reply r = ask("host.secure.nsec3.example.", A);
  ASSERT_TRUE(r.pkt);
  EXPECT_TRUE(has(r.authority(), "secure.nsec3.example.", DS));
  EXPECT_EQ(unsigned_rrsets(r.authority(), "nsec3.example.").find("type 43"), std::string::npos);
}

// §7.2.9: NSEC3 owner names are treated as nonexistent.
TEST_F(DnssecTest, Nsec3OwnerNamesDoNotExist) {
  std::string hashed = nsec3_hash("www.nsec3.example.") + ".nsec3.example.";
  Reply r = ask(hashed, NSEC3);
  ASSERT_TRUE(r.pkt);
  EXPECT_EQ(r.rcode(), 3u);
  Reply a = ask(hashed, A, false);
  EXPECT_EQ(a.rcode(), 3u);
}

}  // namespace
