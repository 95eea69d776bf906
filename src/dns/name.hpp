// Domain names in canonical wire form: uncompressed labels, lowercase ASCII,
// ending with the root label. Held as std::string_view over bytes so they can
// key hash maps and be compared with memcmp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "dns/wire.hpp"

namespace rpdns::dns {

// A name parsed from a packet, with its label offsets so that every ancestor
// (suffix) can be looked up without re-walking the name. Fixed size: the
// query path keeps one per worker and never allocates.
struct Name {
  uint8_t data[kMaxNameLength];
  uint8_t offsets[kMaxLabels];  // start of each label, the root label excluded
  uint8_t len = 0;              // bytes, root label included
  uint8_t labels = 0;           // labels, root excluded

  std::string_view view() const { return {reinterpret_cast<const char*>(data), len}; }
  // The name with its first `skip` labels removed; skip == labels gives the root.
  std::string_view suffix(unsigned skip) const {
    unsigned start = skip >= labels ? len - 1u : offsets[skip];
    return {reinterpret_cast<const char*>(data) + start, static_cast<std::size_t>(len - start)};
  }
  // Fills in from a canonical wire name; false when it is not well formed.
  bool assign(std::string_view wire);
};

unsigned count_labels(std::string_view wire);
// Bytes of the uncompressed wire name at `p`, root label included, reading
// at most `max` bytes; more than `max` when the name does not end within them.
inline std::size_t name_length(const uint8_t* p, std::size_t max) {
  std::size_t pos = 0;
  while (pos < max && p[pos] != 0) pos += p[pos] + 1u;
  return pos + 1;
}
// True when `name` equals `parent` or lies below it (label-aligned).
bool is_subdomain(std::string_view name, std::string_view parent);
// Canonical DNS name order (RFC 4034 §6.1) of two canonical wire names:
// label by label from the root, each label as unsigned bytes, a label that
// is a prefix of another sorting first. Negative, zero or positive.
int canonical_compare(std::string_view a, std::string_view b);
// `name` without its first label; the root stays the root.
std::string_view parent_name(std::string_view name);
// Presentation form with a trailing dot, escaping as RFC 4343 / RFC 1035 §5.1.
std::string to_text(std::string_view wire);
// Lowercases ASCII letters in a wire name in place.
void lowercase(std::string& wire);
// Lowercases ASCII letters of `len` bytes in place (a wire name, whose
// length octets are never letters).
void lowercase(uint8_t* bytes, std::size_t len);
// A presentation-form name ("example.com", with or without the final dot;
// "\." and "\DDD" escapes, RFC 1035 §5.1) in canonical wire form. False
// when a label is empty or too long, or the name is too long.
bool name_from_text(std::string_view text, std::string& wire);

// A name in canonical wire form, owned: how a name crosses rooms (a zone's
// origin from the configuration, the zone a NOTIFY names, a reload's
// report), so that the wire form cannot be taken for presentation text or
// the other way round. The query path keeps its fixed-size Name above and
// string_views into the zone, and never builds one.
class WireName {
 public:
  WireName() = default;  // no name at all: empty(), not the root
  // `wire` must be a well-formed wire name (from name_from_text, a zone, a
  // checked message); it is lowercased here, as canonical form wants.
  explicit WireName(std::string wire) : wire_(std::move(wire)) { lowercase(wire_); }
  // A presentation-form name, as name_from_text reads it; nullopt when it
  // is no name.
  static std::optional<WireName> from_text(std::string_view text) {
    std::string wire;
    if (!name_from_text(text, wire)) return std::nullopt;
    return WireName(std::move(wire));
  }

  std::string_view wire() const { return wire_; }
  std::string text() const { return to_text(wire_); }
  bool empty() const { return wire_.empty(); }

  // Byte order of the wire forms: enough to key maps. Canonical DNS order
  // (RFC 4034 §6.1) is canonical_compare's.
  friend auto operator<=>(const WireName&, const WireName&) = default;

 private:
  std::string wire_;
};

}  // namespace rpdns::dns

template <>
struct std::hash<rpdns::dns::WireName> {
  std::size_t operator()(const rpdns::dns::WireName& name) const noexcept {
    return std::hash<std::string_view>{}(name.wire());
  }
};
