#include "answer/answer.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <optional>

#include "dns/query.hpp"
#include "dns/writer.hpp"

namespace rpdns::answer {
namespace {

using dns::Name;
using dns::Section;
using zone::Node;
using zone::RRset;
using zone::Zone;

constexpr unsigned kMaxChain = 16;       // CNAME/DNAME links followed in one answer
constexpr unsigned kMaxAdditional = 32;  // names whose addresses go in additional
constexpr unsigned kMaxProofs = 8;       // NSEC/NSEC3 RRsets in one answer's authority section
constexpr uint8_t kYxDomain = 6;         // RFC 6672 §2.2
constexpr uint8_t kNotAuth = 9;          // RFC 2845 §1.7: not authorized

// "*." and `encloser` in `buf`; empty when that name would be too long.
std::string_view wildcard_of(std::string_view encloser, char (&buf)[dns::kMaxNameLength + 2]) {
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
  const Zone* zone() const { return zone_; }
  const Node* synthesized_by() const { return synthesized_by_; }

 private:
  enum class Next { done, follow };

  const Zone* first_zone(const Name& name) const;
  Next lookup(const Name& name, unsigned step);
  // `ce_skip` is nonzero for an answer from a wildcard: the labels of `name`
  // above its closest encloser, the wildcard's parent.
  Next answer_node(const Zone& zone, const Node& node, const Name& name, unsigned step, unsigned ce_skip = 0);
  bool answer_rrsig(const Node& node, std::string_view owner);
  Next synthesize_dname(const Node& node, const Name& name, unsigned below, unsigned step);
  void negative(const Zone& zone, uint8_t rcode);
  // `name` and `skip` place the cut (name.suffix(skip)) for its proof of no
  // DS; null for a wildcard that owns NS, which gets none.
  void referral(const Node& cut, unsigned step, const Name* name = nullptr, unsigned skip = 0);

  // DNSSEC proofs (RFC 4035 §3.1.3, RFC 5155 §7.2), for DO=1 in a signed
  // zone. They are queued while answering and written to the authority
  // section after the chain is followed, each with its RRSIGs.
  void deny_name(const Name& name, unsigned ce_skip);
  void deny_type(const Node& node, const Name& name, unsigned ce_skip);
  void prove_wildcard(const Name& name, unsigned ce_skip);
  void deny_ds(const Node& cut, const Name& name, unsigned skip);
  bool nsec3_match(std::string_view name);
  void nsec3_cover(std::string_view name);
  unsigned nsec3_closest_encloser(const Name& name, unsigned skip);
  void prove(const Node* node);
  void write_proofs();
  // Additional-section processing: the names an RRset points to are queued
  // while answering and their records written last, so the additional
  // section always follows the authority section (RFC 1035 §4.1) whatever
  // order the lookup finds things in. `cut` is set for a referral: glue
  // below it must fit, or TC is set. `owner` is the RRset's owner name
  // and node (SVCB TargetName "." means the owner).
  void add_additional(const RRset& rrset, std::string_view cut = {}, const Node* node = nullptr,
                      std::string_view owner = {});
  void add_svcb_additional(const RRset& rrset, const Node* node, std::string_view owner);
  void queue(const Node* node, std::string_view owner, bool required, uint16_t also = 0);
  void queue_target(const uint8_t* name, std::size_t avail, std::string_view cut, bool glue_ok, uint16_t also = 0);
  void write_additional();
  bool put_additional(const Node& node, std::string_view owner, uint16_t type);
  // Notes the RRset that answers the question and queues what it points to.
  void answered(const Node& node, std::string_view owner, const RRset& rrset);
  bool put(Section section, std::string_view owner, const RRset& rrset, uint32_t ttl_cap = dns::kNoTtlCap);
  bool put(Section section, std::string_view owner, const dns::RRsetWire& wire, uint32_t ttl_cap);
  bool seen(const Node* node);
  bool set_next(std::span<const uint8_t> target);

  void add_apex_ns(bool positive);

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
    std::string_view owner;  // node->name, or the query name for the owner of a wildcard match
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

const Zone* Responder::first_zone(const Name& name) const {
  const Zone* zone = zones_.find_zone(name);
  // RFC 4035 §3.1.4.1: DS lives on the parent side of a cut; when we serve
  // the parent too, it answers.
  if (zone != nullptr && q_.qtype == dns::type::DS && name.labels == zone->labels) {
    if (const Zone* parent = zones_.find_parent_zone(name)) return parent;
  }
  return zone;
}

uint8_t Responder::run() {
  const Name* name = &q_.qname;
  for (unsigned step = 0; step < kMaxChain && !truncated_; ++step) {
    if (lookup(*name, step) == Next::done) break;
    current_ = next_;
    name = &current_;
  }
  bool positive = rcode_ == dns::rcode::NOERROR && w_.count(Section::answer) > 0 && w_.count(Section::authority) == 0 &&
                  !truncated_;
  write_proofs();
  if (!options_.minimal_responses) add_apex_ns(positive);
  write_additional();
  return rcode_;
}

// The zone's NS in the authority section of a positive answer, for servers
// configured without minimal responses. Optional data: dropped, never a
// reason to truncate. Not beside DNSKEY and DS, the big answers of a
// signed zone, which NSD leaves without it too.
void Responder::add_apex_ns(bool positive) {
  if (!positive || truncated_ || q_.qtype == dns::type::DNSKEY || q_.qtype == dns::type::DS) return;
  const RRset* ns = zone_->apex->find(dns::type::NS);
  if (answered_type_ == dns::type::NS && answered_owner_ == zone_->origin) return;
  auto before = w_.mark();
  if (!w_.put_rrset(Section::authority, zone_->origin, dns::klass::IN, ns->wire())) return;
  if (dnssec_ && ns->sig_count > 0 &&
      !w_.put_rrset(Section::authority, zone_->origin, dns::klass::IN, ns->sig_wire())) {
    w_.restore(before);
    return;
  }
  add_additional(*ns);
}

bool Responder::put(Section section, std::string_view owner, const dns::RRsetWire& wire, uint32_t ttl_cap) {
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
bool Responder::put(Section section, std::string_view owner, const RRset& rrset, uint32_t ttl_cap) {
  if (!dnssec_ || rrset.sig_count == 0) return put(section, owner, rrset.wire(), ttl_cap);
  auto before = w_.mark();
  if (!put(section, owner, rrset.wire(), ttl_cap)) return false;
  if (put(section, owner, rrset.sig_wire(), ttl_cap)) return true;
  if (!truncated_) w_.restore(before);
  return false;
}

bool Responder::seen(const Node* node) {
  for (unsigned i = 0; i < visited_count_; ++i) {
    if (visited_[i] == node) return true;
  }
  if (visited_count_ <= kMaxChain) visited_[visited_count_++] = node;
  return false;
}

bool Responder::set_next(std::span<const uint8_t> target) {
  if (!next_.assign({reinterpret_cast<const char*>(target.data()), target.size()})) return false;
  dns::lowercase(next_.data, next_.len);
  return true;
}

Responder::Next Responder::lookup(const Name& name, unsigned step) {
  const Zone* zone = step == 0 ? first_zone(name) : zone_;
  if (zone == nullptr) {
    rcode_ = dns::rcode::REFUSED;
    return Next::done;
  }
  // A chain is followed only inside the zone it started in, as Knot DNS
  // does (NSD goes on into its other zones): data from another zone would
  // be out of bailiwick for a resolver that asked about this one.
  if (step > 0 && !dns::is_subdomain(name.view(), zone->origin)) return Next::done;
  if (step == 0 && zones_.expired(*zone)) {
    // A secondary copy past its expire time (RFC 1034 §4.3.5: "no longer
    // authoritative"), or none yet: SERVFAIL, as Knot and BIND answer.
    rcode_ = dns::rcode::SERVFAIL;
    return Next::done;
  }
  if (step == 0) {
    zone_ = zone;
    dnssec_ = q_.edns_do && zone->is_signed;
    w_.set_flags(dns::flag::AA);
  }

  // Walk down from the apex, one label at a time (RFC 1034 §4.3.2 step 3).
  const Node* encloser = nullptr;
  unsigned encloser_skip = 0;
  for (unsigned skip = name.labels - zone->labels;; --skip) {
    // The first step is the apex, which the zone holds already.
    const Node* node = skip == name.labels - zone->labels ? zone->apex : zone->find(name.suffix(skip));
    if (node == nullptr) break;
    encloser = node;
    encloser_skip = skip;
    bool ds_at_cut = skip == 0 && q_.qtype == dns::type::DS;
    if (node->is_delegation && !ds_at_cut) {
      referral(*node, step, &name, skip);
      return Next::done;
    }
    if (skip > 0) {
      if (node->find(dns::type::DNAME) != nullptr) {
        if (step == 0) synthesized_by_ = node;
        return synthesize_dname(*node, name, skip, step);
      }
    } else {
      return answer_node(*zone, *node, name, step);
    }
  }

  // Never taken, as every zone has its apex; said so for the static
  // analyzer, which otherwise follows a null apex here.
  if (encloser == nullptr) return Next::done;

  // No exact match: a wildcard child of the closest encloser (RFC 4592 §3.3.1).
  char wildcard[dns::kMaxNameLength + 2];
  if (std::string_view star_name = wildcard_of(encloser->name, wildcard); !star_name.empty()) {
    if (const Node* star = zone->find(star_name)) {
      // A wildcard that owns NS is a cut like any other: below it we are
      // not authoritative. Knot DNS refers with the wildcard's own NS. DS
      // is the parent side's data and stays an answer (NODATA), as at a
      // cut (RFC 4035 §3.1.4.1); Knot and NSD agree.
      if (star->is_delegation && q_.qtype != dns::type::DS) {
        referral(*star, step);
        return Next::done;
      }
      if (step == 0) synthesized_by_ = star;
      return answer_node(*zone, *star, name, step, encloser_skip);
    }
  }
  negative(*zone, dns::rcode::NXDOMAIN);
  if (dnssec_) deny_name(name, encloser_skip);
  return Next::done;
}

// RFC 8482 §4.2: one RRset of the name is enough for ANY. Like Knot DNS,
// the one with the lowest type (the loader keeps them sorted), but never
// the signatures alone.
const RRset* any_rrset(const Node& node) {
  for (const RRset& r : node.rrsets) {
    if (r.type != dns::type::RRSIG) return &r;
  }
  return node.rrsets.empty() ? nullptr : &node.rrsets.front();
}

// QTYPE RRSIG, like ANY (RFC 8482 §4.2) and as Knot DNS answers it: the
// signatures of one RRset, the lowest type signed, not every signature at
// the name, which would make a big reply to a small query. False when the
// name has none.
bool Responder::answer_rrsig(const Node& node, std::string_view owner) {
  for (const RRset& r : node.rrsets) {
    if (r.sig_count == 0) continue;
    if (put(Section::answer, owner, r.sig_wire(), dns::kNoTtlCap)) {
      answered_owner_ = owner;
      answered_type_ = dns::type::RRSIG;
    }
    return true;
  }
  return false;
}

Responder::Next Responder::answer_node(const Zone& zone, const Node& node, const Name& name, unsigned step,
                                       unsigned ce_skip) {
  if (seen(&node)) return Next::done;  // a CNAME loop: stop where it closes
  std::string_view owner = name.view();
  if (q_.qtype == dns::type::RRSIG && answer_rrsig(node, owner)) {
    if (dnssec_ && ce_skip > 0) prove_wildcard(name, ce_skip);
    return Next::done;
  }
  const RRset* rrset = q_.qtype == dns::type::ANY ? any_rrset(node) : node.find(q_.qtype);
  if (rrset != nullptr) {
    if (put(Section::answer, owner, *rrset)) answered(node, owner, *rrset);
    if (dnssec_ && ce_skip > 0) prove_wildcard(name, ce_skip);
    return Next::done;
  }
  const RRset* cname = node.find(dns::type::CNAME);
  if (cname == nullptr) {
    negative(zone, dns::rcode::NOERROR);  // NODATA, RFC 2308 §2.2
    if (dnssec_) deny_type(node, name, ce_skip);
    return Next::done;
  }
  if (!put(Section::answer, owner, *cname)) return Next::done;
  if (dnssec_ && ce_skip > 0) prove_wildcard(name, ce_skip);
  if (!set_next(cname->first_rdata())) return Next::done;
  return step + 1 < kMaxChain ? Next::follow : Next::done;
}

// RFC 6672 §3.3: answer with the DNAME, a CNAME synthesized from it, and
// follow the new name.
Responder::Next Responder::synthesize_dname(const Node& node, const Name& name, unsigned below, unsigned step) {
  const RRset* dname = node.find(dns::type::DNAME);
  if (seen(&node) || !put(Section::answer, node.name, *dname)) return Next::done;
  auto target = dname->first_rdata();
  std::size_t prefix = name.offsets[below];
  if (prefix + target.size() > dns::kMaxNameLength) {
    rcode_ = kYxDomain;
    return Next::done;
  }
  uint8_t record[6 + dns::kMaxNameLength];
  dns::write_u32(record, dname->ttl);
  dns::write_u16(record + 4, static_cast<uint16_t>(prefix + target.size()));
  std::memcpy(record + 6, name.data, prefix);
  std::memcpy(record + 6 + prefix, target.data(), target.size());
  dns::RRsetWire cname{dns::type::CNAME, 1, {record, 6 + prefix + target.size()}};
  if (!put(Section::answer, name.view(), cname, dns::kNoTtlCap) || q_.qtype == dns::type::CNAME) return Next::done;
  if (!set_next({record + 6, prefix + target.size()})) return Next::done;
  return step + 1 < kMaxChain ? Next::follow : Next::done;
}

void Responder::negative(const Zone& zone, uint8_t rcode) {
  rcode_ = rcode;
  put(Section::authority, zone.origin, *zone.soa, zone.negative_ttl());
}

// RFC 1034 §4.3.2 step 3b: not authoritative below a cut; hand out the
// child's NS and the glue needed to reach them.
void Responder::referral(const Node& cut, unsigned step, const Name* name, unsigned skip) {
  if (step == 0) w_.clear_flags(dns::flag::AA);
  const RRset* ns = cut.find(dns::type::NS);
  if (!put(Section::authority, cut.name, *ns)) return;
  // RFC 4035 §3.1.4: a signed zone's referral carries the child's DS with
  // its RRSIGs, or the proof that there is none (an insecure child).
  if (dnssec_ && name != nullptr) {
    if (const RRset* ds = cut.find(dns::type::DS)) {
      if (!put(Section::authority, cut.name, *ds)) return;
    } else {
      deny_ds(cut, *name, skip);
    }
  }
  add_additional(*ns, cut.name);
}

// NXDOMAIN: no exact match and no wildcard at the closest encloser
// (RFC 4035 §3.1.3.2; RFC 5155 §7.2.2, the closest encloser proof and the
// NSEC3 covering the wildcard).
void Responder::deny_name(const Name& name, unsigned ce_skip) {
  char buf[dns::kMaxNameLength + 2];
  if (zone_->denial == zone::Denial::nsec) {
    prove(zone_->nsec_covering(name.view()));
    std::string_view star = wildcard_of(name.suffix(ce_skip), buf);
    if (!star.empty()) prove(zone_->nsec_covering(star));
  } else if (zone_->denial == zone::Denial::nsec3) {
    unsigned closest = nsec3_closest_encloser(name, ce_skip);
    std::string_view star = wildcard_of(name.suffix(closest), buf);
    if (!star.empty()) nsec3_cover(star);
  }
}

// NODATA (RFC 4035 §3.1.3.1, RFC 5155 §7.2.3-4): the name's own NSEC or
// NSEC3, whose type bitmap lacks the type. An empty non-terminal has no
// NSEC: the one covering it proves there is nothing there. In an opt-out
// zone a name may have no NSEC3 (DS at an insecure cut): then the closest
// provable encloser proof, whose covering NSEC3 has the opt-out flag. For a
// wildcard's NODATA (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5) also the proof that
// the query name itself does not exist.
void Responder::deny_type(const Node& node, const Name& name, unsigned ce_skip) {
  if (zone_->denial == zone::Denial::nsec) {
    if (ce_skip > 0) prove(zone_->nsec_covering(name.view()));
    prove(node.find(dns::type::NSEC) != nullptr ? &node : zone_->nsec_covering(node.name));
  } else if (zone_->denial == zone::Denial::nsec3) {
    if (ce_skip > 0) {
      nsec3_closest_encloser(name, ce_skip);
      nsec3_match(node.name);
    } else if (!nsec3_match(name.view())) {
      nsec3_closest_encloser(name, 1);
    }
  }
}

// A wildcard answer (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6): the query name
// does not exist; the next closer name's NSEC3 cover is enough, as the
// wildcard's labels field tells the closest encloser.
void Responder::prove_wildcard(const Name& name, unsigned ce_skip) {
  if (zone_->denial == zone::Denial::nsec) {
    prove(zone_->nsec_covering(name.view()));
  } else if (zone_->denial == zone::Denial::nsec3) {
    nsec3_cover(name.suffix(ce_skip - 1));
  }
}

// An insecure delegation (RFC 4035 §3.1.4, RFC 5155 §7.2.7): the cut's NSEC
// or NSEC3 shows NS without DS; under opt-out the cut may have no NSEC3, and
// the closest provable encloser proof shows it could be unsigned.
void Responder::deny_ds(const Node& cut, const Name& name, unsigned skip) {
  if (zone_->denial == zone::Denial::nsec) {
    if (cut.find(dns::type::NSEC) != nullptr) prove(&cut);
  } else if (zone_->denial == zone::Denial::nsec3) {
    if (!nsec3_match(cut.name)) nsec3_closest_encloser(name, skip + 1);
  }
}

// Queues the NSEC3 whose hash is `name`'s; false when there is none.
bool Responder::nsec3_match(std::string_view name) {
  uint8_t hash[dns::kNsec3HashSize];
  dns::nsec3_hash(name, zone_->nsec3_params, hash);
  bool exact = false;
  const zone::Nsec3Link* link = zone_->nsec3_find(hash, exact);
  if (link != nullptr && exact) prove(link->node);
  return exact;
}

// Queues the NSEC3 covering `name`'s hash.
void Responder::nsec3_cover(std::string_view name) {
  uint8_t hash[dns::kNsec3HashSize];
  dns::nsec3_hash(name, zone_->nsec3_params, hash);
  bool exact = false;
  const zone::Nsec3Link* link = zone_->nsec3_find(hash, exact);
  if (link != nullptr && !exact) prove(link->node);
}

// RFC 5155 §7.2.1: from name.suffix(skip) up, the first ancestor with a
// matching NSEC3 (the closest provable encloser), and the NSEC3 covering
// the name one label below it (the next closer name). Returns its skip.
unsigned Responder::nsec3_closest_encloser(const Name& name, unsigned skip) {
  unsigned top = name.labels - zone_->labels;
  while (skip < top && !nsec3_match(name.suffix(skip))) ++skip;
  if (skip >= top) {
    skip = top;
    nsec3_match(zone_->origin);
  }
  if (skip > 0) nsec3_cover(name.suffix(skip - 1));
  return skip;
}

void Responder::prove(const Node* node) {
  if (node == nullptr) return;
  for (unsigned i = 0; i < proof_count_; ++i) {
    if (proofs_[i] == node) return;
  }
  if (proof_count_ < kMaxProofs) proofs_[proof_count_++] = node;
}

// RFC 4035 §3.1.3: a proof that does not fit makes the reply truncated.
void Responder::write_proofs() {
  uint16_t type = zone_ != nullptr && zone_->denial == zone::Denial::nsec3 ? dns::type::NSEC3 : dns::type::NSEC;
  for (unsigned i = 0; i < proof_count_; ++i) {
    if (const RRset* rrset = proofs_[i]->find(type)) put(Section::authority, proofs_[i]->name, *rrset);
  }
}

void Responder::answered(const Node& node, std::string_view owner, const RRset& rrset) {
  answered_owner_ = owner;
  answered_type_ = rrset.type;
  add_additional(rrset, {}, &node, owner);
}

// Puts `owner`'s RRset of `type` in the additional section, unless it is
// the answer itself; false when it exists but does not fit.
bool Responder::put_additional(const Node& node, std::string_view owner, uint16_t type) {
  const RRset* rrset = node.find(type);
  if (rrset == nullptr || (type == answered_type_ && owner == answered_owner_)) return true;
  return put(Section::additional, owner, *rrset);
}

void Responder::queue(const Node* node, std::string_view owner, bool required, uint16_t also) {
  for (unsigned i = 0; i < pending_count_; ++i) {
    if (pending_[i].owner == owner) {
      pending_[i].required |= required;
      return;
    }
  }
  if (pending_count_ < kMaxAdditional) pending_[pending_count_++] = {node, owner, also, required};
}

// `name` is an uncompressed name inside RDATA, at most `avail` bytes long.
// Only names in the answer's own zone count, as Knot DNS does: anything
// else is out of bailiwick for the resolver reading it. Data at or below a
// cut is glue, used only for NS (`glue_ok`); below a DNAME it is hidden.
// Glue below `cut` (a referral's) is required (RFC 9471 §3).
void Responder::queue_target(const uint8_t* name, std::size_t avail, std::string_view cut, bool glue_ok,
                             uint16_t also) {
  std::size_t len = dns::name_length(name, avail);
  Name target;
  if (len > avail || !target.assign({reinterpret_cast<const char*>(name), len})) return;
  dns::lowercase(target.data, target.len);  // RDATA keeps the file's case; cut and zone are canonical
  if (!dns::is_subdomain(target.view(), zone_->origin)) return;
  const Node* node = zone_->find(target.view());
  if (node == nullptr || (node->occluded && !glue_ok)) return;
  queue(node, node->name, !cut.empty() && dns::is_subdomain(target.view(), cut), also);
}

// RFC 1034 §3.7 / RFC 2782: addresses of the names an NS, MX or SRV answer
// points to, when they are in our zone.
void Responder::add_additional(const RRset& rrset, std::string_view cut, const Node* node, std::string_view owner) {
  if (rrset.type == dns::type::SVCB || rrset.type == dns::type::HTTPS) return add_svcb_additional(rrset, node, owner);
  int offset = dns::additional_name_offset(rrset.type);
  if (offset < 0) return;
  bool glue_ok = rrset.type == dns::type::NS;
  const uint8_t* rec = rrset.records.data();
  for (unsigned i = 0; i < rrset.count; ++i) {
    uint16_t rdlen = dns::read_u16(rec + 4);
    if (rdlen > offset) queue_target(rec + 6 + offset, rdlen - static_cast<std::size_t>(offset), cut, glue_ok);
    rec += 6u + rdlen;
  }
}

// RFC 9460 §4.1: a ServiceMode record (SvcPriority > 0) brings the A/AAAA
// of its TargetName, the owner's own when the target is "."; an AliasMode
// record (priority 0) brings the target's records of the same type, then
// their addresses.
void Responder::add_svcb_additional(const RRset& rrset, const Node* node, std::string_view owner) {
  const uint8_t* rec = rrset.records.data();
  for (unsigned i = 0; i < rrset.count; ++i) {
    uint16_t rdlen = dns::read_u16(rec + 4);
    if (rdlen >= 3) {
      bool alias = dns::read_u16(rec + 6) == 0;
      const uint8_t* target = rec + 8;
      if (target[0] == 0 && !alias && node != nullptr) {
        queue(node, owner, false);
      } else if (target[0] != 0) {
        queue_target(target, rdlen - 2u, {}, false, alias ? rrset.type : 0);
      }
    }
    rec += 6u + rdlen;
  }
}

// Written after the answer and authority sections. Entries may queue more
// (an alias target's SVCB names its own targets), up to kMaxAdditional.
void Responder::write_additional() {
  for (unsigned i = 0; i < pending_count_; ++i) {
    Pending p = pending_[i];
    if (p.also != 0 && p.node->find(p.also) != nullptr && put_additional(*p.node, p.owner, p.also)) {
      add_additional(*p.node->find(p.also), {}, p.node, p.owner);
    }
    bool fitted = put_additional(*p.node, p.owner, dns::type::A);
    fitted &= put_additional(*p.node, p.owner, dns::type::AAAA);
    // RFC 9471 §3: in-domain glue that does not fit makes the referral truncated.
    if (!fitted && p.required) w_.set_flags(dns::flag::TC);
  }
}

std::string_view signed_by(const Outcome& outcome) {
  return outcome.tsig_key != nullptr ? std::string_view(outcome.tsig_key->name) : std::string_view{};
}

// AXFR (RFC 5936) and IXFR (RFC 1995) for clients on the zone's access
// list. IXFR is answered with the SOA alone when the client is current, or
// over UDP (RFC 1995 §2: "try TCP"); otherwise with the whole zone.
uint8_t transfer(const dns::Query& q, const Snapshot& snapshot, bool over_tcp, const sockaddr* peer,
                 dns::ReplyWriter& w, Outcome& outcome) {
  const zone::ZoneSet& zones = snapshot.zones;
  const Zone* zone = zones.find_zone(q.qname);
  if (zone == nullptr || q.qname.labels != zone->labels) return kNotAuth;
  if (!snapshot.access.transfer_allowed(zone->origin, peer, signed_by(outcome))) return dns::rcode::REFUSED;
  if (zones.expired(*zone)) return dns::rcode::SERVFAIL;  // no copy to give
  bool current = q.has_ixfr_serial && !dns::serial_greater(zone->serial, q.ixfr_serial);
  if (q.qtype == dns::type::AXFR || (over_tcp && !current)) {
    outcome.transfer = zone;
    return dns::rcode::NOERROR;
  }
  w.set_flags(dns::flag::AA);
  if (!w.put_rrset(Section::answer, zone->origin, dns::klass::IN, zone->soa->wire())) w.truncate();
  return dns::rcode::NOERROR;
}

// NOTIFY (RFC 1996 §3): accepted for a secondary zone of ours from one of
// its primaries, with AA and the question echoed (§3.7); the caller starts
// the refresh. From anyone else REFUSED; for a name that is no zone apex of
// ours NOTAUTH, as for transfers. §3.7: its QTYPE is SOA; any other is
// FORMERR and starts nothing, as Knot answers.
uint8_t notify(const dns::Query& q, const Snapshot& snapshot, const sockaddr* peer, dns::ReplyWriter& w,
               Outcome& outcome) {
  if (!q.has_question || q.qtype != dns::type::SOA) return dns::rcode::FORMERR;
  const Zone* zone = snapshot.zones.find_zone(q.qname);
  if (zone == nullptr || q.qname.labels != zone->labels) return kNotAuth;
  if (snapshot.zones.secondary(*zone) == nullptr) return dns::rcode::REFUSED;
  // RFC 8945 §5.2: with a key set for the primary, its NOTIFY must be signed with it.
  if (!snapshot.access.notify_allowed(zone->origin, peer, signed_by(outcome))) return dns::rcode::REFUSED;
  w.set_flags(dns::flag::AA);
  outcome.notify = zone;
  if (q.has_notify_serial) outcome.notify_serial = q.notify_serial;
  return dns::rcode::NOERROR;
}

// A name a server answers with one of its configured strings.
struct ChaosName {
  std::string wire;                  // canonical wire form
  const std::string Options::*text;  // the Options field that answers it
};

ChaosName chaos_name(std::string_view text, const std::string Options::*field) {
  ChaosName name{{}, field};
  if (!dns::name_from_text(text, name.wire)) name.wire.clear();  // never: the names below are well formed
  return name;
}

// RFC 4892 §2: id.server and hostname.bind name the server, version.server
// and version.bind its software. Built once at start, before any query,
// so that the query path does not allocate.
const ChaosName kChaosNames[] = {
    chaos_name("id.server", &Options::identity),
    chaos_name("hostname.bind", &Options::identity),
    chaos_name("version.server", &Options::version),
    chaos_name("version.bind", &Options::version),
};

// RFC 4892: the server's identity and version as CHAOS TXT, when configured.
uint8_t answer_chaos(const dns::Query& q, const Options& options, dns::ReplyWriter& w) {
  const std::string* text = nullptr;
  for (const ChaosName& name : kChaosNames) {
    if (q.qname.view() == name.wire) {
      text = &(options.*name.text);
      break;
    }
  }
  bool txt = q.qtype == dns::type::TXT || q.qtype == dns::type::ANY;
  if (text == nullptr || text->empty() || !txt) return dns::rcode::REFUSED;
  std::size_t len = std::min<std::size_t>(text->size(), 255);
  uint8_t record[6 + 1 + 255];
  dns::write_u32(record, 0);
  dns::write_u16(record + 4, static_cast<uint16_t>(len + 1));
  record[6] = static_cast<uint8_t>(len);
  std::memcpy(record + 7, text->data(), len);
  dns::RRsetWire rrset{dns::type::TXT, 1, {record, 7 + len}};
  if (!w.put_rrset(Section::answer, q.qname.view(), dns::klass::CH, rrset)) w.truncate();
  return dns::rcode::NOERROR;
}

// RFC 7873 §5.2: checks the request's cookie and puts the one the reply
// carries in `out` (client cookie, then server cookie), its length in
// `out_len` (0: none). A valid server cookie is echoed as it came while it
// is young; anything else gets one made now (RFC 9018 §4.3).
CookieResult server_cookie(const dns::Query& q, const Options& options, const sockaddr* peer, uint8_t* out,
                           std::size_t& out_len) {
  out_len = 0;
  if (options.cookies == nullptr || !q.has_edns) return CookieResult::none;
  if (q.cookie_malformed) return CookieResult::malformed;
  if (q.cookie == nullptr) return CookieResult::none;
  dns::ServerCookies& cookies = *options.cookies;
  uint32_t now = cookies.now();
  std::memcpy(out, q.cookie, dns::kClientCookieSize);
  CookieResult result = CookieResult::client_only;
  if (q.cookie_len > dns::kClientCookieSize) {
    std::span<const uint8_t> presented{q.cookie + dns::kClientCookieSize, q.cookie_len - dns::kClientCookieSize};
    auto verdict = cookies.check(q.cookie, presented, peer, now);
    if (verdict == dns::ServerCookies::Verdict::valid) {
      std::memcpy(out + dns::kClientCookieSize, presented.data(), presented.size());
      out_len = q.cookie_len;
      return CookieResult::valid;
    }
    result = verdict == dns::ServerCookies::Verdict::renew ? CookieResult::valid : CookieResult::invalid;
  }
  if (cookies.make(q.cookie, peer, now, out + dns::kClientCookieSize)) out_len = dns::kCookieSize;
  return result;
}

// RFC 8945 §5.2: a signed request is checked before it is answered.
// Fills the outcome's tsig fields; returns the room its reply's TSIG needs.
std::size_t check_tsig(const uint8_t* request, std::size_t len, const dns::Query& q, const dns::tsig::Keyring& keys,
                       Outcome& outcome, dns::tsig::Record& record, bool& formerr) {
  if (!dns::tsig::parse_at(request, len, q.tsig_offset, record)) {
    formerr = true;
    return 0;
  }
  auto now = static_cast<uint64_t>(std::time(nullptr));
  dns::tsig::Verdict v = dns::tsig::verify_request(request, record, keys, now);
  if (v.formerr) {
    formerr = true;
    return 0;
  }
  outcome.tsig_error = v.error;
  if (v.error == 0 || v.error == dns::tsig::BADTIME) {
    // Signed replies: answers, and BADTIME so the client can trust the time it carries (§5.2.3).
    outcome.tsig_key = v.key;
    outcome.tsig_mac = v.mac;
    outcome.tsig_mac_len = v.mac_len;
    return dns::tsig::record_size(*v.key);
  }
  return record.key_name_len + record.algorithm_len + 28;  // an unsigned TSIG: no MAC, no other data
}

// Appends the reply's TSIG: signed with the request's key, or (BADKEY,
// BADSIG, BADTRUNC) unsigned with the request's names (§5.2.1, §5.2.2).
std::size_t sign_reply(uint8_t* out, std::size_t size, std::size_t capacity, const dns::tsig::Record& request,
                       const Outcome& outcome) {
  auto now = static_cast<uint64_t>(std::time(nullptr));
  if (outcome.tsig_key == nullptr)
    return dns::tsig::append_unsigned(out, size, capacity, request, now, outcome.tsig_error);
  std::span<const uint8_t> mac{outcome.tsig_mac.data(), outcome.tsig_mac_len};
  if (outcome.tsig_error == dns::tsig::BADTIME) {
    // The request's own time, so that the client's check passes, and ours as other data (§5.2.3).
    return dns::tsig::sign(out, size, capacity, *outcome.tsig_key, mac, request.time_signed, dns::tsig::BADTIME, now);
  }
  return dns::tsig::sign(out, size, capacity, *outcome.tsig_key, mac, now);
}

// RFC 7314 §3: how long a copy of `zone` taken now stays valid: a
// primary's SOA expire, a secondary's time left. -1 (no option) once a
// secondary's own copy has expired.
int64_t zone_expire(const Zone& zone, const zone::ZoneSet& zones) {
  if (const zone::SecondaryState* s = zones.secondary(zone)) {
    if (s->expired) return -1;
    return std::max<int64_t>(0, s->expires_at - static_cast<int64_t>(std::time(nullptr)));
  }
  auto rdata = zone.soa->first_rdata();
  return dns::read_u32(rdata.data() + rdata.size() - 8);  // serial refresh retry EXPIRE minimum
}

// The EXPIRE option of a SOA answer at a zone's apex (or an IXFR answered
// with the SOA alone). -1: none in the reply.
int64_t expire_seconds(const dns::Query& q, const zone::ZoneSet& zones, uint16_t rcode) {
  if (!q.edns_expire || rcode != dns::rcode::NOERROR || (q.qtype != dns::type::SOA && q.qtype != dns::type::IXFR))
    return -1;
  const Zone* zone = zones.find_zone(q.qname);
  if (zone == nullptr || zone->soa == nullptr || q.qname.labels != zone->labels) return -1;
  return zone_expire(*zone, zones);
}

std::size_t reply_limit(const dns::Query& q, const Options& options, bool over_tcp) {
  if (over_tcp) return dns::kMaxMessageSize;
  if (!q.has_edns) return dns::kClassicUdpSize;
  // RFC 6891 §6.2.5: sizes below 512 are treated as 512.
  std::size_t ours = std::max<std::size_t>(options.edns_udp_size, dns::kClassicUdpSize);
  return std::clamp<std::size_t>(q.edns_udp_size, dns::kClassicUdpSize, ours);
}

}  // namespace

Outcome respond(const uint8_t* request, std::size_t len, const Snapshot& snapshot, const Options& options,
                bool over_tcp, uint8_t* out, const sockaddr* peer) {
  const zone::ZoneSet& zones = snapshot.zones;
  Outcome outcome;
  dns::Query q;
  dns::ParseStatus status = dns::parse_query(request, len, q);
  if (status == dns::ParseStatus::drop) return outcome;
  outcome.edns = q.has_edns;
  outcome.qtype = q.qtype;
  // Echo the opcode (RFC 1035 §4.1.1); RD and CD only for QUERY, the one
  // opcode that defines them (RFC 1035 §4.1.1, RFC 6840 §5.9), as ISC's
  // compliance probe (opcodeflg) expects.
  uint16_t echoed = q.opcode == dns::opcode::QUERY ? dns::flag::RD | dns::flag::CD : 0;
  auto flags = static_cast<uint16_t>(dns::flag::QR | (q.flags & (dns::flag::OPCODE | echoed)));
  std::span<const uint8_t> question;
  if (q.has_question) question = {q.question, q.question_len};
  dns::ReplyWriter w;
  // RFC 5001 §2.1: NSID only to clients that ask, and its room is kept.
  std::string_view nsid = q.edns_nsid ? std::string_view(options.nsid) : std::string_view{};
  std::size_t opt_room = nsid.empty() ? 0 : dns::kEdnsOptionHeader + nsid.size();
  if (q.edns_expire) opt_room += dns::kEdnsOptionHeader + 4;  // RFC 7314: 4 bytes of seconds
  // Options of an EDNS version we do not speak are not read (RFC 6891 §6.1.3).
  bool badvers = q.has_edns && q.edns_version != 0;
  uint8_t cookie[dns::kCookieSize];
  std::size_t cookie_len = 0;
  if (status == dns::ParseStatus::ok && !badvers) {
    outcome.cookie = server_cookie(q, options, peer, cookie, cookie_len);
    outcome.cookie_valid = outcome.cookie == CookieResult::valid;
    if (cookie_len > 0) opt_room += dns::kEdnsOptionHeader + cookie_len;
  }
  // TSIG: only a signed request pays for the record it carries.
  std::optional<dns::tsig::Record> tsig;
  bool tsig_formerr = false;
  std::size_t tsig_room = 0;
  if (q.tsig_offset != 0 && status == dns::ParseStatus::ok) {
    tsig.emplace();
    tsig_room = check_tsig(request, len, q, snapshot.keys, outcome, *tsig, tsig_formerr);
    if (tsig_formerr) tsig.reset();
  }
  std::size_t limit = reply_limit(q, options, over_tcp);
  w.begin(out, limit - std::min(tsig_room, limit - dns::kHeaderSize), q.id, flags, question, q.has_edns, opt_room);

  uint16_t rcode = dns::rcode::NOERROR;
  int ede = dns::kNoEde;
  if (status == dns::ParseStatus::formerr || tsig_formerr) {
    rcode = dns::rcode::FORMERR;
  } else if (outcome.tsig_error != 0) {
    rcode = dns::tsig::kNotAuth;  // RFC 8945 §5.2: the error itself is in the reply's TSIG
  } else if (q.opcode == dns::opcode::NOTIFY) {
    rcode = notify(q, snapshot, peer, w, outcome);
  } else if (q.opcode != dns::opcode::QUERY) {
    rcode = dns::rcode::NOTIMP;
  } else if (badvers) {
    rcode = dns::rcode::BADVERS;  // RFC 6891 §6.1.3
  } else if (outcome.cookie == CookieResult::malformed) {
    rcode = dns::rcode::FORMERR;  // RFC 7873 §5.2.2
  } else if (outcome.cookie == CookieResult::invalid && !over_tcp) {
    // RFC 7873 §5.2.3 lets a server answer BADCOOKIE, with a fresh cookie
    // and no data: a client that forged or kept a stale cookie learns the
    // right one, and a spoofed source gets a reply no bigger than its
    // request. Over TCP the source is proven, so it is answered.
    rcode = dns::rcode::BADCOOKIE;
  } else if (!q.has_question) {
    // RFC 7873 §5.4: a QUERY with no question asks for a cookie (the
    // parser let it through only with one); without cookies it is FORMERR.
    rcode = options.cookies != nullptr ? dns::rcode::NOERROR : dns::rcode::FORMERR;
  } else if (q.qclass == dns::klass::CH) {
    rcode = answer_chaos(q, options, w);
  } else if (q.qclass != dns::klass::IN && q.qclass != dns::klass::ANY) {
    rcode = dns::rcode::REFUSED;  // QCLASS * is answered as IN, as Knot DNS does
  } else if (q.qtype == 0 || (q.qtype == dns::type::AXFR && !over_tcp)) {
    rcode = dns::rcode::NOTIMP;  // AXFR needs TCP (RFC 5936 §4.2); type 0 is reserved
  } else if (q.qtype == dns::type::AXFR || q.qtype == dns::type::IXFR) {
    rcode = transfer(q, snapshot, over_tcp, peer, w, outcome);
    if (outcome.transfer != nullptr) {
      outcome.question_end = dns::kHeaderSize + q.question_len;  // for the TransferWriter
      if (q.edns_expire) outcome.transfer_expire = zone_expire(*outcome.transfer, zones);
      return outcome;
    }
  } else {
    Responder responder(zones, options, q, w);
    rcode = responder.run();
    outcome.zone = responder.zone();
    outcome.synthesized_by = responder.synthesized_by();
    if (rcode == dns::rcode::REFUSED) ede = dns::kEdeNotAuthoritative;  // no zone of ours
  }
  if (q.has_edns) {
    w.put_opt(options.edns_udp_size, rcode, q.edns_do, ede, nsid, {cookie, cookie_len},
              expire_seconds(q, zones, rcode));
  }
  w.set_rcode(static_cast<uint8_t>(rcode & 0x0F));
  outcome.rcode = rcode;
  outcome.truncated = (w.data()[2] & 0x02) != 0;
  outcome.question_end = dns::kHeaderSize + (q.has_question ? q.question_len : 0);
  outcome.size = w.size();
  if (tsig) outcome.size = sign_reply(out, outcome.size, limit, *tsig, outcome);
  return outcome;
}

}  // namespace rpdns::answer
