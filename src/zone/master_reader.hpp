// Splits an RFC 1035 §5.1 master file into entries: one logical line each,
// with parentheses joined, comments removed and the starting line number
// kept for error messages. The RR text itself is left to ldns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/wire.hpp"

namespace rpdns::zone {

// Helpers for the entries MasterReader gives (tokens one space apart),
// shared by the fast reader and the head splitter.

// Splits off the next space-separated token; empty at the end.
inline std::string_view next_token(std::string_view& rest) {
  std::size_t space = rest.find(' ');
  std::string_view token = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  return token;
}

// ASCII case-insensitive comparison; `lower_word` is in lowercase already.
inline bool equals_nocase(std::string_view a, std::string_view lower_word) {
  if (a.size() != lower_word.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (dns::lower(static_cast<uint8_t>(a[i])) != static_cast<uint8_t>(lower_word[i])) return false;
  }
  return true;
}

class MasterReader {
 public:
  // `text` is the whole file; it must outlive the reader.
  explicit MasterReader(std::string_view text) : text_(text) {}

  // Next non-blank entry. A leading blank is kept as one space, since it
  // means "same owner as the previous record". False at end of input.
  // `error` is set (and false returned) for unbalanced parentheses or quotes.
  bool next(std::string& entry, std::size_t& line, std::string& error);

 private:
  bool read_line(std::string_view& out);

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 0;
};

// The fields of an entry before its RDATA. RFC 1035 §5.1 writes an entry as
// "<domain-name> <TTL> <class> <type> <RDATA>" or with "<class> <TTL>",
// owner, TTL and class each optional. Quoted strings and escapes can only
// appear in the RDATA, so the fields before it are plain tokens.
struct EntryHead {
  std::string_view owner;       // empty when the entry starts with a blank
  std::string_view ttl_text;    // empty when no TTL is given
  uint64_t ttl = 0;             // its value; kTtlTooBig or more when it does not fit 32 bits
  std::string_view class_text;  // empty when no class is given
  uint16_t rr_class = 1;        // IN unless given
  std::string_view type;        // empty when missing
  std::string_view rdata;       // what follows the type
  std::string_view bad_field;   // set when split_entry_head fails: the malformed TTL or class
};

inline constexpr uint64_t kTtlTooBig = uint64_t{1} << 32;

// Splits `entry` (as MasterReader::next gives it) into its head fields. A
// field starting with a digit is a TTL, one spelt as a class (IN, CS, CH,
// HS, CLASSnnn, any case) is the class; the first other field is the type.
// False, with `head.bad_field` set, for a TTL or class field that is malformed.
bool split_entry_head(std::string_view entry, EntryHead& head);

// A TTL field or $TTL value: decimal seconds, or with BIND's units as ldns
// and the other servers take them ("1h30m", "2w", "90s"). `seconds` is
// capped at kTtlTooBig. False when `text` is not a TTL.
bool parse_ttl(std::string_view text, uint64_t& seconds);

// RFC 3597 §5: "\# <length> <hex>..." is the generic form of any RDATA.
inline bool is_generic_rdata(std::string_view rdata) { return rdata == "\\#" || rdata.starts_with("\\# "); }

// Decodes generic RDATA (RFC 3597 §5) into `out`; empty on success, else
// what is wrong.
std::string decode_generic_rdata(std::string_view text, std::string& out);

}  // namespace rpdns::zone
