// The additional section (RFC 1034 §3.7, RFC 2782, RFC 9460 §4.1): the
// addresses of the names an answer or referral points to, when they are in
// the answer's own zone, and a referral's in-domain glue (RFC 9471 §3).
#include "answer/lookup.hpp"

namespace rpdns::answer {

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
  queue(node, node->name(), !cut.empty() && dns::is_subdomain(target.view(), cut), also);
}

// RFC 1034 §3.7 / RFC 2782: addresses of the names an NS, MX or SRV answer
// points to, when they are in our zone.
void Responder::add_additional(const RRset& rrset, std::string_view cut, const Node* node, std::string_view owner) {
  if (rrset.type == dns::type::SVCB || rrset.type == dns::type::HTTPS) return add_svcb_additional(rrset, node, owner);
  int offset = dns::additional_name_offset(rrset.type);
  if (offset < 0) return;
  bool glue_ok = rrset.type == dns::type::NS;
  const uint8_t* rec = rrset.records().data();
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
  const uint8_t* rec = rrset.records().data();
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

}  // namespace rpdns::answer
