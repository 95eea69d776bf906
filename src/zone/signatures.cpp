#include "zone/signatures.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>

namespace rpdns::zone {
namespace {

constexpr std::size_t kRrsigExpiration = 8;  // RDATA offset: type, algorithm, labels, original TTL
constexpr std::size_t kRrsigKeyTag = 16;     // after expiration and inception

void warn(LoadWarnings& warnings, const std::string& file, std::string message) {
  warnings.add({file, 0, std::move(message)});
}

std::string name_and_type(std::string_view owner, uint16_t type) { return dns::to_text(owner) + " " + type_text(type); }

// RRsets a signer signs (RFC 4035 §2.2): all authoritative data. At a cut
// only DS and NSEC are the parent's (the NS is the child's); glue and data
// below a DNAME are not this zone's to sign.
bool must_be_signed(const Node& node, const RRset& rrset) {
  if (rrset.type == dns::type::RRSIG) return false;
  if (node.is_delegation) return rrset.type == dns::type::DS || rrset.type == dns::type::NSEC;
  return !node.occluded;
}

void check_unsigned(const Zone& zone, const std::string& file, LoadWarnings& warnings) {
  for (const Node& node : zone.nodes) {
    for (const RRset& rrset : node.rrsets()) {
      if (rrset.sig_count() == 0 && must_be_signed(node, rrset)) {
        warn(warnings, file, name_and_type(node.name(), rrset.type) + ": not signed (the zone has a DNSKEY RRset)");
      }
    }
  }
}

// RFC 4034 §4.1.1: each NSEC names the next owner in canonical order, the
// last one the apex.
void check_nsec_chain(const Zone& zone, const std::string& file, LoadWarnings& warnings) {
  const auto& chain = zone.nsec_chain;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    auto rdata = chain[i]->find(dns::type::NSEC)->first_rdata();
    std::size_t len = dns::name_length(rdata.data(), rdata.size());
    if (len > rdata.size()) continue;  // ldns checked the RDATA; nothing sensible to say
    std::string next(reinterpret_cast<const char*>(rdata.data()), len);
    dns::lowercase(next);
    std::string_view expected = chain[(i + 1) % chain.size()]->name();
    if (next != expected) {
      warn(warnings, file,
           "NSEC at " + dns::to_text(chain[i]->name()) + " names " + dns::to_text(next) + " next, but the next name " +
               "with an NSEC is " + dns::to_text(expected) + ": the NSEC chain is broken");
    }
  }
}

// RFC 5155 §3.1.7: each NSEC3 of the chain names the next hash in order,
// the last one the first.
void check_nsec3_chain(const Zone& zone, const std::string& file, LoadWarnings& warnings) {
  const auto& chain = zone.nsec3_chain;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const RRset* nsec3 = chain[i].node->find(dns::type::NSEC3);
    const uint8_t* rec = nsec3->records().data();
    for (unsigned r = 0; r < nsec3->count; rec += 6u + dns::read_u16(rec + 4), ++r) {
      std::span<const uint8_t> rdata{rec + 6, dns::read_u16(rec + 4)};
      if (!zone.nsec3_params.same_chain(rdata)) continue;
      std::size_t at = 5u + rdata[4];  // the hash length, after the salt
      if (at >= rdata.size() || at + 1 + rdata[at] > rdata.size()) continue;
      const uint8_t* expected = chain[(i + 1) % chain.size()].hash;
      if (rdata[at] != dns::kNsec3HashSize || std::memcmp(rdata.data() + at + 1, expected, rdata[at]) != 0) {
        warn(warnings, file,
             "NSEC3 at " + dns::to_text(chain[i].node->name()) +
                 ": its next hashed owner is not the next hash of the chain: the NSEC3 chain is broken");
      }
    }
  }
}

template <class Visit>
void each_rrsig(const Zone& zone, Visit visit) {
  for (const Node& node : zone.nodes) {
    const RRset* sigs = node.find(dns::type::RRSIG);
    if (sigs == nullptr) continue;
    const uint8_t* rec = sigs->records().data();
    for (unsigned i = 0; i < sigs->count; rec += 6u + dns::read_u16(rec + 4), ++i) {
      if (dns::read_u16(rec + 4) >= kRrsigKeyTag + 2) visit(node, rec + 6);
    }
  }
}

}  // namespace

int64_t signature_time(uint32_t field, int64_t now) {
  return now + static_cast<int32_t>(field - static_cast<uint32_t>(now));
}

std::string utc_text(int64_t unix_time) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

void inspect_signatures(Zone& zone, const std::string& file, LoadWarnings& warnings, int64_t now) {
  zone.first_expiration = 0;
  each_rrsig(zone, [&](const Node& node, const uint8_t* rdata) {
    int64_t expires = signature_time(dns::read_u32(rdata + kRrsigExpiration), now);
    if (zone.first_expiration == 0 || expires < zone.first_expiration) {
      zone.first_expiration = expires;
      zone.first_expiring = name_and_type(node.name(), dns::read_u16(rdata));
    }
  });
  if (zone.apex->find(dns::type::DNSKEY) == nullptr) return;
  check_unsigned(zone, file, warnings);
  if (zone.apex->find(dns::type::NSEC3PARAM) != nullptr && zone.denial != Denial::nsec3) {
    warn(warnings, file,
         "NSEC3PARAM at " + dns::to_text(zone.origin) +
             " but no NSEC3 chain with its parameters: negative answers will carry no proof");
  }
  if (zone.denial == Denial::nsec) check_nsec_chain(zone, file, warnings);
  if (zone.denial == Denial::nsec3) check_nsec3_chain(zone, file, warnings);
  if (zone.denial == Denial::none && zone.is_signed) {
    warn(warnings, file, "signed zone " + dns::to_text(zone.origin) + " has neither NSEC nor NSEC3 records");
  }
}

void check_expiration(const Zone& zone, int64_t now, unsigned warning_days, const std::string& file,
                      LoadWarnings& warnings) {
  int64_t soon = now + int64_t{warning_days} * 86400;
  // Unsigned, or its first signature to expire is far off: nothing to say,
  // and no walk over the zone (a reload checks 100,000 zones this way).
  if (zone.first_expiration == 0 || zone.first_expiration > soon) return;
  each_rrsig(zone, [&](const Node& node, const uint8_t* rdata) {
    int64_t expires = signature_time(dns::read_u32(rdata + kRrsigExpiration), now);
    if (expires > soon) return;
    std::string what = "RRSIG " + name_and_type(node.name(), dns::read_u16(rdata)) + " (key tag " +
                       std::to_string(dns::read_u16(rdata + kRrsigKeyTag)) + ")";
    if (expires <= now) {
      warn(warnings, file, what + " expired at " + utc_text(expires) + ": validating resolvers call it bogus");
    } else {
      warn(warnings, file,
           what + " expires at " + utc_text(expires) + ", within " + std::to_string(warning_days) +
               " days (signature-warning-days): re-sign the zone");
    }
  });
}

}  // namespace rpdns::zone
