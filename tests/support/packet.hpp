// DNS messages built byte by byte, so that tests can write malformed ones
// too: names in wire form and a builder of whole messages. No ldns here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/name.hpp"
#include "dns/wire.hpp"

namespace rpdns::test {

// "www.example.com" -> "\3www\7example\3com\0", built by hand from the text.
inline std::string wire(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t dot = text.find('.', start);
    if (dot == std::string::npos) dot = text.size();
    out += static_cast<char>(dot - start);
    out += text.substr(start, dot - start);
    start = dot + 1;
  }
  out += '\0';
  return out;
}

// The same as the type names cross rooms in.
inline dns::WireName wire_name(const std::string& text) { return dns::WireName(wire(text)); }

// The bytes of a string (a wire name, RDATA), as the zone layer takes them.
inline std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Builds a DNS message byte by byte.
struct PacketBuilder {
  std::vector<uint8_t> b;

  PacketBuilder& u8(unsigned v) {
    b.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  PacketBuilder& u16(unsigned v) { return u8(v >> 8).u8(v & 0xFF); }
  PacketBuilder& u32(uint32_t v) { return u16(v >> 16).u16(v & 0xFFFF); }
  PacketBuilder& header(unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  // Presentation name, case kept, uncompressed.
  PacketBuilder& name(const std::string& text) {
    for (char c : wire(text)) u8(static_cast<uint8_t>(c));
    return *this;
  }
  PacketBuilder& question(const std::string& text, unsigned qtype = dns::type::A, unsigned qclass = dns::klass::IN) {
    return name(text).u16(qtype).u16(qclass);
  }
  // OPT RR (RFC 6891 §6.1.2): root owner, CLASS = UDP size, TTL = ext-rcode,
  // version, DO and Z.
  PacketBuilder& opt(unsigned size, unsigned version, bool do_bit, const std::vector<uint8_t>& rdata = {}) {
    u8(0).u16(dns::type::OPT).u16(size).u8(0).u8(version).u16(do_bit ? 0x8000 : 0);
    u16(static_cast<unsigned>(rdata.size()));
    b.insert(b.end(), rdata.begin(), rdata.end());
    return *this;
  }
};

// One EDNS option (RFC 6891 §6.1.2): OPTION-CODE, OPTION-LENGTH, the data.
inline std::vector<uint8_t> edns_option(uint16_t code, const std::vector<uint8_t>& data) {
  PacketBuilder p;
  p.u16(code).u16(static_cast<unsigned>(data.size()));
  p.b.insert(p.b.end(), data.begin(), data.end());
  return p.b;
}

// A query for `name` A (no question when `name` is empty) whose OPT
// (1232 octets) carries one COOKIE option (RFC 7873 §4) of `cookie`.
inline std::vector<uint8_t> cookie_query(const std::vector<uint8_t>& cookie,
                                         const std::string& name = "www.example.com", uint16_t id = 4242) {
  PacketBuilder p;
  p.header(id, 0, name.empty() ? 0 : 1, 0, 0, 1);
  if (!name.empty()) p.question(name);
  p.opt(dns::kDefaultEdnsPayload, 0, false, edns_option(dns::edns_option::COOKIE, cookie));
  return p.b;
}

}  // namespace rpdns::test
