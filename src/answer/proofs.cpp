// DNSSEC denial of existence for DO=1 in a signed zone: which NSEC
// (RFC 4035 §3.1.3) or NSEC3 (RFC 5155 §7.2) RRsets prove an NXDOMAIN, a
// NODATA, a wildcard answer or an insecure delegation. Found by binary
// search in the zone's chains (NSEC3: SHA-1 on the stack), queued while
// answering, written to the authority section last.
#include "answer/lookup.hpp"
#include "dns/nsec3.hpp"

namespace rpdns::answer {

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
    prove(node.find(dns::type::NSEC) != nullptr ? &node : zone_->nsec_covering(node.name()));
  } else if (zone_->denial == zone::Denial::nsec3) {
    if (ce_skip > 0) {
      nsec3_closest_encloser(name, ce_skip);
      nsec3_match(node.name());
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
    if (!nsec3_match(cut.name())) nsec3_closest_encloser(name, skip + 1);
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
    if (const RRset* rrset = proofs_[i]->find(type)) put(Section::authority, proofs_[i]->name(), *rrset);
  }
}

}  // namespace rpdns::answer
