#include "zone/simple_record.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "dns/name.hpp"
#include "dns/wire.hpp"
#include "zone/master_reader.hpp"

namespace rpdns::zone {
namespace {

bool plain_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
}

// Appends `text` as a wire name: "@" is the origin, a name without the
// final dot is relative to it. Only plain labels; escapes are declined.
bool append_name(std::string_view text, std::string_view origin, std::string& out) {
  std::size_t start = out.size();
  if (text == "@") {
    out.append(origin);
    return true;
  }
  bool absolute = !text.empty() && text.back() == '.';
  if (absolute) text.remove_suffix(1);
  if (text.empty()) return false;  // the root, or nothing: left to ldns
  while (true) {
    std::size_t dot = text.find('.');
    std::string_view label = text.substr(0, dot);
    if (label.empty() || label.size() > dns::kMaxLabelLength) return false;
    for (char c : label) {
      if (!plain_label_char(c)) return false;
    }
    out += static_cast<char>(label.size());
    out.append(label);
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  if (absolute)
    out += '\0';
  else
    out.append(origin);
  return out.size() - start <= dns::kMaxNameLength;
}

// A decimal number of at most `max`, digits only (no units, no sign).
bool read_number(std::string_view text, uint32_t max, uint32_t& value) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  value = static_cast<uint32_t>(v);
  return true;
}

bool append_address(std::string_view text, int family, std::string& out) {
  char buffer[64];
  if (text.empty() || text.size() >= sizeof(buffer)) return false;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  unsigned char address[16];
  if (inet_pton(family, buffer, address) != 1) return false;
  out.append(reinterpret_cast<const char*>(address), family == AF_INET ? 4 : 16);
  return true;
}

// One or more quoted strings, one space apart, printable ASCII and no
// escapes inside: each becomes a <character-string> (RFC 1035 §3.3).
bool append_quoted_strings(std::string_view text, std::string& out) {
  if (text.empty()) return false;
  while (!text.empty()) {
    if (text.front() != '"') return false;
    std::size_t close = text.find('"', 1);
    if (close == std::string_view::npos) return false;
    std::string_view piece = text.substr(1, close - 1);
    if (piece.size() > 255) return false;
    for (char c : piece) {
      if (c < 0x20 || c > 0x7e || c == '\\') return false;
    }
    out += static_cast<char>(piece.size());
    out.append(piece);
    text.remove_prefix(close + 1);
    if (text.empty()) break;
    if (text.front() != ' ' || text.size() == 1) return false;
    text.remove_prefix(1);
  }
  return out.size() <= 65535;
}

bool read_rdata(uint16_t type, std::string_view rest, std::string_view origin, std::string& rdata) {
  if (type == dns::type::TXT) return append_quoted_strings(rest, rdata);
  std::string_view first = next_token(rest);
  switch (type) {
    case dns::type::A:
      return rest.empty() && append_address(first, AF_INET, rdata);
    case dns::type::AAAA:
      return rest.empty() && append_address(first, AF_INET6, rdata);
    case dns::type::NS:
    case dns::type::CNAME:
    case dns::type::PTR:
      return rest.empty() && append_name(first, origin, rdata);
    case dns::type::MX: {
      uint32_t preference = 0;
      std::string_view exchange = next_token(rest);
      if (!rest.empty() || !read_number(first, 65535, preference)) return false;
      rdata += static_cast<char>(preference >> 8);
      rdata += static_cast<char>(preference & 0xff);
      return append_name(exchange, origin, rdata);
    }
    default:
      return false;
  }
}

uint16_t simple_type(std::string_view token) {
  if (equals_nocase(token, "a")) return dns::type::A;
  if (equals_nocase(token, "aaaa")) return dns::type::AAAA;
  if (equals_nocase(token, "ns")) return dns::type::NS;
  if (equals_nocase(token, "cname")) return dns::type::CNAME;
  if (equals_nocase(token, "ptr")) return dns::type::PTR;
  if (equals_nocase(token, "mx")) return dns::type::MX;
  if (equals_nocase(token, "txt")) return dns::type::TXT;
  return 0;
}

}  // namespace

bool read_simple_record(std::string_view entry, std::string_view origin, uint32_t default_ttl,
                        std::string_view previous_owner, SimpleRecord& out) {
  out.owner.clear();
  out.rdata.clear();
  EntryHead head;
  if (entry.empty() || !split_entry_head(entry, head)) return false;
  if (head.owner.empty()) {
    if (previous_owner.empty()) return false;
    out.owner.assign(previous_owner);
  } else if (!append_name(head.owner, origin, out.owner)) {
    return false;
  }
  dns::lowercase(out.owner);
  // TTL and class in either order (RFC 1035 §5.1), but only a decimal TTL
  // below 2^31 and class IN: units, clamping and other classes are left to ldns.
  out.ttl = default_ttl;
  if (!head.ttl_text.empty() && !read_number(head.ttl_text, 0x7fffffff, out.ttl)) return false;
  if (head.rr_class != dns::klass::IN) return false;
  out.type = simple_type(head.type);
  return out.type != 0 && read_rdata(out.type, head.rdata, origin, out.rdata);
}

}  // namespace rpdns::zone
