// The DNSSEC parts of a compiled zone: which denial it uses and the NSEC or
// NSEC3 chain answers search for proofs (RFC 4035 §3.1.3, RFC 5155 §7.2).
#include <algorithm>
#include <cstring>

#include "zone/zone.hpp"

namespace rpdns::zone {
namespace {

// The NSEC3 chain the apex NSEC3PARAM names: every NSEC3 record with the
// same parameters at a name one label below the apex whose label decodes to
// a hash (RFC 5155 §7.1). Other chains (a signer in mid-rollover) are left
// out of answers, as the NSEC3PARAM tells resolvers nothing of them.
void collect_nsec3(Zone& zone) {
  for (const Node& node : zone.nodes) {
    const RRset* nsec3 = node.find(dns::type::NSEC3);
    if (nsec3 == nullptr || dns::parent_name(node.name()) != zone.origin) continue;
    Nsec3Link link{{}, &node};
    auto label = node.name().substr(1, static_cast<uint8_t>(node.name()[0]));
    if (dns::base32hex_decode(label, link.hash) != static_cast<int>(dns::kNsec3HashSize)) continue;
    const uint8_t* rec = nsec3->records().data();
    bool ours = false;
    for (unsigned i = 0; i < nsec3->count; ++i) {
      uint16_t rdlen = dns::read_u16(rec + 4);
      ours |= zone.nsec3_params.same_chain({rec + 6, rdlen});
      rec += 6u + rdlen;
    }
    if (ours) zone.nsec3_chain.push_back(link);
  }
  std::sort(zone.nsec3_chain.begin(), zone.nsec3_chain.end(),
            [](const Nsec3Link& a, const Nsec3Link& b) { return std::memcmp(a.hash, b.hash, sizeof a.hash) < 0; });
}

}  // namespace

void Zone::build_denial() {
  const RRset* dnskey = apex->find(dns::type::DNSKEY);
  is_signed = dnskey != nullptr && soa->sig_count() > 0;
  if (!is_signed) return;
  const RRset* param = apex->find(dns::type::NSEC3PARAM);
  if (param != nullptr && nsec3_params.read(param->first_rdata()) && nsec3_params.algorithm == dns::kNsec3Sha1) {
    collect_nsec3(*this);
    if (!nsec3_chain.empty()) {
      denial = Denial::nsec3;
      return;
    }
    // No chain has its parameters (a signer mid-way through a change):
    // prove with NSEC, if the zone still has those.
  }
  for (const Node& node : nodes) {
    if (node.find(dns::type::NSEC) != nullptr) nsec_chain.push_back(&node);
  }
  std::sort(nsec_chain.begin(), nsec_chain.end(),
            [](const Node* a, const Node* b) { return dns::canonical_compare(a->name(), b->name()) < 0; });
  if (!nsec_chain.empty()) denial = Denial::nsec;
}

const Node* Zone::nsec_covering(std::string_view name) const {
  if (nsec_chain.empty()) return nullptr;
  auto after = std::upper_bound(nsec_chain.begin(), nsec_chain.end(), name, [](std::string_view n, const Node* node) {
    return dns::canonical_compare(n, node->name()) < 0;
  });
  // Before the first owner (the apex, so only for a name outside the zone):
  // the last NSEC, whose next name wraps around to the apex, covers it.
  return after == nsec_chain.begin() ? nsec_chain.back() : *(after - 1);
}

const Nsec3Link* Zone::nsec3_find(const uint8_t (&hash)[dns::kNsec3HashSize], bool& exact) const {
  exact = false;
  if (nsec3_chain.empty()) return nullptr;
  auto after = std::upper_bound(nsec3_chain.begin(), nsec3_chain.end(), hash, [](const auto& h, const Nsec3Link& l) {
    return std::memcmp(h, l.hash, dns::kNsec3HashSize) < 0;
  });
  if (after == nsec3_chain.begin()) return &nsec3_chain.back();  // wraps: the last link covers it
  const Nsec3Link& link = *(after - 1);
  exact = std::memcmp(link.hash, hash, dns::kNsec3HashSize) == 0;
  return &link;
}

}  // namespace rpdns::zone
