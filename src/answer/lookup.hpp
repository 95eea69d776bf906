// The authoritative algorithm for one QUERY (RFC 1034 §4.3.2): the zone and
// the node, CNAME and DNAME chains, wildcards, referrals, negative answers
// (lookup.cpp); the DNSSEC denial proofs (proofs.cpp); the additional
// section (additional.cpp). One class over three files: they share the
// reply being written and what was queued for it.
#pragma once

#include <cstring>
#include <span>
#include <string_view>

#include "answer/answer.hpp"
#include "dns/query.hpp"
#include "dns/writer.hpp"

namespace rpdns::answer {

constexpr unsigned kMaxChain = 16;       // CNAME/DNAME links followed in one answer
constexpr unsigned kMaxAdditional = 32;  // names whose addresses go in additional
constexpr unsigned kMaxProofs = 8;       // NSEC/NSEC3 RRsets in one answer's authority section

// "*." and `encloser` in `buf`; empty when that name would be too long.
inline std::string_view wildcard_of(std::string_view encloser, char (&buf)[dns::kMaxNameLength + 2]) {
  if (encloser.size() + 2 > dns::kMaxNameLength) return {};
  buf[0] = 1;
  buf[1] = '*';
  std::memcpy(buf + 2, encloser.data(), encloser.size());
  return {buf, encloser.size() + 2};
}

// Walks one query through the zones, possibly across a CNAME/DNAME chain.
class Responder {
 public:
  Responder(const zone::ZoneSet& zones, const Options& options, const dns::Query& q, dns::ReplyWriter& w)
      : zones_(zones), options_(options), q_(q), w_(w) {}

  // Fills the writer; returns the rcode.
  uint8_t run();
  const zone::Zone* zone() const { return zone_; }
  const zone::Node* synthesized_by() const { return synthesized_by_; }

 private:
  using Name = dns::Name;
  using Node = zone::Node;
  using RRset = zone::RRset;
  using Section = dns::Section;
  using Zone = zone::Zone;
  enum class Next { done, follow };

  // lookup.cpp
  const Zone* first_zone(const Name& name) const;
  Next lookup(const Name& name, unsigned step);
  Next wildcard(const Zone& zone, const Node& encloser, const Name& name, unsigned encloser_skip, unsigned step);
  // `ce_skip` is nonzero for an answer from a wildcard: the labels of `name`
  // above its closest encloser, the wildcard's parent.
  Next answer_node(const Zone& zone, const Node& node, const Name& name, unsigned step, unsigned ce_skip = 0);
  bool answer_rrsig(const Node& node, std::string_view owner);
  Next synthesize_dname(const Node& node, const Name& name, unsigned below, unsigned step);
  void negative(const Zone& zone, uint8_t rcode);
  // `name` and `skip` place the cut (name.suffix(skip)) for its proof of no
  // DS; null for a wildcard that owns NS, which gets none.
  void referral(const Node& cut, unsigned step, const Name* name = nullptr, unsigned skip = 0);
  void add_apex_ns(bool positive);
  bool seen(const Node* node);
  bool set_next(std::span<const uint8_t> target);

  // proofs.cpp: DNSSEC proofs (RFC 4035 §3.1.3, RFC 5155 §7.2), for DO=1 in
  // a signed zone. They are queued while answering and written to the
  // authority section after the chain is followed, each with its RRSIGs.
  void deny_name(const Name& name, unsigned ce_skip);
  void deny_type(const Node& node, const Name& name, unsigned ce_skip);
  void prove_wildcard(const Name& name, unsigned ce_skip);
  void deny_ds(const Node& cut, const Name& name, unsigned skip);
  bool nsec3_match(std::string_view name);
  void nsec3_cover(std::string_view name);
  unsigned nsec3_closest_encloser(const Name& name, unsigned skip);
  void prove(const Node* node);
  void write_proofs();

  // additional.cpp: the names an RRset points to are queued while
  // answering and their records written last, so the additional section
  // always follows the authority section (RFC 1035 §4.1) whatever order the
  // lookup finds things in. `cut` is set for a referral: glue below it must
  // fit, or TC is set. `owner` is the RRset's owner name and node (SVCB
  // TargetName "." means the owner).
  void add_additional(const RRset& rrset, std::string_view cut = {}, const Node* node = nullptr,
                      std::string_view owner = {});
  void add_svcb_additional(const RRset& rrset, const Node* node, std::string_view owner);
  void queue(const Node* node, std::string_view owner, bool required, uint16_t also = 0);
  void queue_target(const uint8_t* name, std::size_t avail, std::string_view cut, bool glue_ok, uint16_t also = 0);
  void write_additional();
  bool put_additional(const Node& node, std::string_view owner, uint16_t type);
  // Notes the RRset that answers the question and queues what it points to.
  void answered(const Node& node, std::string_view owner, const RRset& rrset);

  // Every section's writes go through these; defined here so that each of
  // the three files can inline them in its loops.
  bool put(Section section, std::string_view owner, const RRset& rrset, uint32_t ttl_cap = dns::kNoTtlCap);
  bool put(Section section, std::string_view owner, const dns::RRsetWire& wire, uint32_t ttl_cap);

  const zone::ZoneSet& zones_;
  const Options& options_;
  const dns::Query& q_;
  dns::ReplyWriter& w_;
  const Zone* zone_ = nullptr;            // the zone the answer comes from
  bool dnssec_ = false;                   // DO=1 and the zone is signed: RRSIGs and proofs go in
  const Node* synthesized_by_ = nullptr;  // the wildcard or DNAME that matched the query name
  Name next_;
  Name current_;
  const Node* visited_[kMaxChain + 1];
  unsigned visited_count_ = 0;
  // The RRset that answered the question, so that neither the authority nor
  // the additional section repeats it (NSD leaves such repeats out too).
  std::string_view answered_owner_;
  uint16_t answered_type_ = 0;
  struct Pending {
    const Node* node;
    std::string_view owner;  // node->name(), or the query name for the owner of a wildcard match
    uint16_t also;           // an RRset of this type before the addresses (SVCB AliasMode), or 0
    bool required;           // in-domain glue of a referral (RFC 9471 §3)
  };
  Pending pending_[kMaxAdditional];
  unsigned pending_count_ = 0;
  const Node* proofs_[kMaxProofs];  // nodes whose NSEC or NSEC3 RRset proves a denial
  unsigned proof_count_ = 0;
  uint8_t rcode_ = dns::rcode::NOERROR;
  bool truncated_ = false;
};

inline bool Responder::put(Section section, std::string_view owner, const dns::RRsetWire& wire, uint32_t ttl_cap) {
  if (truncated_) return false;
  if (w_.put_rrset(section, owner, dns::klass::IN, wire, ttl_cap)) return true;
  // RFC 2181 §9: never a partial RRset; a missing additional RRset is no loss.
  if (section != Section::additional) {
    w_.truncate();
    truncated_ = true;
  }
  return false;
}

// With DNSSEC an RRset goes with its RRSIGs or not at all (RFC 4035
// §3.1.1): if they do not fit, the RRset is taken back out too.
inline bool Responder::put(Section section, std::string_view owner, const RRset& rrset, uint32_t ttl_cap) {
  if (!dnssec_ || rrset.sig_count() == 0) return put(section, owner, rrset.wire(), ttl_cap);
  auto before = w_.mark();
  if (!put(section, owner, rrset.wire(), ttl_cap)) return false;
  if (put(section, owner, rrset.sig_wire(), ttl_cap)) return true;
  if (!truncated_) w_.restore(before);
  return false;
}

}  // namespace rpdns::answer
