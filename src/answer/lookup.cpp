// The lookup of RFC 1034 §4.3.2: the zone, then the node one label at a
// time, with CNAME and DNAME chains, wildcards (RFC 4592), referrals and
// negative answers (RFC 2308). Proofs and the additional section are
// queued from here and written by proofs.cpp and additional.cpp.
#include "answer/lookup.hpp"

namespace rpdns::answer {
namespace {

using zone::RRset;

constexpr uint8_t kYxDomain = 6;  // RFC 6672 §2.2

// RFC 8482 §4.2: one RRset of the name is enough for ANY. Like Knot DNS,
// the one with the lowest type (the loader keeps them sorted), but never
// the signatures alone.
const RRset* any_rrset(const zone::Node& node) {
  for (const RRset& r : node.rrsets()) {
    if (r.type != dns::type::RRSIG) return &r;
  }
  return node.rrsets().empty() ? nullptr : &node.rrsets().front();
}

}  // namespace

const zone::Zone* Responder::first_zone(const Name& name) const {
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
  if (dnssec_ && ns->sig_count() > 0 &&
      !w_.put_rrset(Section::authority, zone_->origin, dns::klass::IN, ns->sig_wire())) {
    w_.restore(before);
    return;
  }
  add_additional(*ns);
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
  return wildcard(*zone, *encloser, name, encloser_skip, step);
}

// No exact match: a wildcard child of the closest encloser (RFC 4592
// §3.3.1), or else the name does not exist.
Responder::Next Responder::wildcard(const Zone& zone, const Node& encloser, const Name& name, unsigned encloser_skip,
                                    unsigned step) {
  char buf[dns::kMaxNameLength + 2];
  if (std::string_view star_name = wildcard_of(encloser.name(), buf); !star_name.empty()) {
    if (const Node* star = zone.find(star_name)) {
      // A wildcard that owns NS is a cut like any other: below it we are
      // not authoritative. Knot DNS refers with the wildcard's own NS. DS
      // is the parent side's data and stays an answer (NODATA), as at a
      // cut (RFC 4035 §3.1.4.1); Knot and NSD agree.
      if (star->is_delegation && q_.qtype != dns::type::DS) {
        referral(*star, step);
        return Next::done;
      }
      if (step == 0) synthesized_by_ = star;
      return answer_node(zone, *star, name, step, encloser_skip);
    }
  }
  negative(zone, dns::rcode::NXDOMAIN);
  if (dnssec_) deny_name(name, encloser_skip);
  return Next::done;
}

// QTYPE RRSIG, like ANY (RFC 8482 §4.2) and as Knot DNS answers it: the
// signatures of one RRset, the lowest type signed, not every signature at
// the name, which would make a big reply to a small query. False when the
// name has none.
bool Responder::answer_rrsig(const Node& node, std::string_view owner) {
  for (const RRset& r : node.rrsets()) {
    if (r.sig_count() == 0) continue;
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
  if (seen(&node) || !put(Section::answer, node.name(), *dname)) return Next::done;
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
  if (!put(Section::authority, cut.name(), *ns)) return;
  // RFC 4035 §3.1.4: a signed zone's referral carries the child's DS with
  // its RRSIGs, or the proof that there is none (an insecure child).
  if (dnssec_ && name != nullptr) {
    if (const RRset* ds = cut.find(dns::type::DS)) {
      if (!put(Section::authority, cut.name(), *ds)) return;
    } else {
      deny_ds(cut, *name, skip);
    }
  }
  add_additional(*ns, cut.name());
}

}  // namespace rpdns::answer
