#include "zone/master_reader.hpp"

#include <algorithm>
#include <utility>

#include "dns/wire.hpp"

namespace rpdns::zone {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(dns::lower(static_cast<uint8_t>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

}  // namespace

bool MasterReader::read_line(std::string_view& out) {
  if (pos_ >= text_.size()) return false;
  std::size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  out = text_.substr(pos_, end - pos_);
  pos_ = end + 1;
  ++line_;
  if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
  return true;
}

namespace {

// Characters with no meaning of their own to the reader: copied in runs.
bool plain(char c) { return c != '\\' && c != '"' && c != ';' && c != '(' && c != ')' && c != ' ' && c != '\t'; }

}  // namespace

bool MasterReader::next(std::string& entry, std::size_t& line, std::string& error) {
  std::string_view text;
  while (read_line(text)) {
    entry.clear();
    line = line_;
    int depth = 0;
    bool quoted = false;
    bool first = true;
    while (true) {
      for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (plain(c)) {
          std::size_t end = i + 1;
          while (end < text.size() && plain(text[end])) ++end;
          entry.append(text.substr(i, end - i));
          i = end - 1;
        } else if (c == '\\' && i + 1 < text.size()) {
          entry += c;
          entry += text[++i];
        } else if (quoted) {
          entry += c;
          if (c == '"') quoted = false;
        } else if (c == '"') {
          quoted = true;
          entry += c;
        } else if (c == ';') {
          break;
        } else if (c == '(') {
          ++depth;
          entry += ' ';
        } else if (c == ')') {
          if (--depth < 0) {
            error = "unbalanced ')'";
            return false;
          }
          entry += ' ';
        } else if (c == '\t' || c == ' ') {
          if (first || (!entry.empty() && entry.back() != ' ')) entry += ' ';
        } else {
          entry += c;
        }
        first = false;
      }
      if (depth == 0 && !quoted) break;
      entry += ' ';
      first = false;
      if (!read_line(text)) {
        error = quoted ? "unterminated quoted string" : "unbalanced '('";
        return false;
      }
    }
    while (!entry.empty() && entry.back() == ' ') entry.pop_back();
    if (entry.find_first_not_of(' ') != std::string::npos) return true;
  }
  return false;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

uint64_t unit_seconds(char c) {
  switch (dns::lower(static_cast<uint8_t>(c))) {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return 86400;
    case 'w':
      return 604800;
    default:
      return 0;
  }
}

enum class ClassField { no, yes, bad };

// RFC 1035 §3.2.4 class mnemonics, and RFC 3597 §5 "CLASSnnn".
ClassField read_class(std::string_view token, uint16_t& value) {
  static constexpr std::pair<std::string_view, uint16_t> kNames[] = {{"in", 1}, {"cs", 2}, {"ch", 3}, {"hs", 4}};
  for (const auto& [name, number] : kNames) {
    if (equals_nocase(token, name)) {
      value = number;
      return ClassField::yes;
    }
  }
  if (token.size() <= 5 || !equals_nocase(token.substr(0, 5), "class")) return ClassField::no;
  if (token.size() > 10) return ClassField::bad;
  uint32_t number = 0;
  for (char c : token.substr(5)) {
    if (!is_digit(c)) return ClassField::bad;
    number = number * 10 + static_cast<uint32_t>(c - '0');
  }
  if (number > 65535) return ClassField::bad;
  value = static_cast<uint16_t>(number);
  return ClassField::yes;
}

}  // namespace

bool parse_ttl(std::string_view text, uint64_t& seconds) {
  if (text.empty() || !is_digit(text.front())) return false;
  uint64_t total = 0, number = 0;
  bool digits = false;
  for (char c : text) {
    if (is_digit(c)) {
      number = std::min(number * 10 + static_cast<uint64_t>(c - '0'), kTtlTooBig);
      digits = true;
    } else if (uint64_t unit = unit_seconds(c); unit != 0 && digits) {
      total = std::min(total + number * unit, kTtlTooBig);
      number = 0;
      digits = false;
    } else {
      return false;  // a unit with no number before it, or not a TTL at all
    }
  }
  seconds = std::min(total + number, kTtlTooBig);
  return true;
}

bool split_entry_head(std::string_view entry, EntryHead& head) {
  head = EntryHead{};
  std::string_view rest = entry;
  if (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  else
    head.owner = next_token(rest);
  // Up to one TTL and one class, in either order (RFC 1035 §5.1).
  for (int field = 0; field < 2 && !rest.empty(); ++field) {
    std::string_view token = rest.substr(0, rest.find(' '));
    uint16_t rr_class = 0;
    if (head.ttl_text.empty() && !token.empty() && is_digit(token.front())) {
      if (!parse_ttl(token, head.ttl)) {
        head.bad_field = token;
        return false;
      }
      head.ttl_text = token;
    } else if (ClassField c = head.class_text.empty() ? read_class(token, rr_class) : ClassField::no;
               c != ClassField::no) {
      if (c == ClassField::bad) {
        head.bad_field = token;
        return false;
      }
      head.class_text = token;
      head.rr_class = rr_class;
    } else {
      break;
    }
    next_token(rest);
  }
  head.type = next_token(rest);
  head.rdata = rest;
  return true;
}

// (ldns reads the length as a 16-bit value modulo 65536, and its text
// buffer holds only 32 KiB of hex, so this is done here.)
std::string decode_generic_rdata(std::string_view text, std::string& out) {
  out.clear();
  std::string_view rest = text.substr(std::min<std::size_t>(text.size(), 3));  // past "\# "
  std::size_t space = rest.find(' ');
  std::string_view length_text = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  uint32_t length = 0;
  if (length_text.empty() || length_text.size() > 5)
    return "bad generic RDATA length '" + std::string(length_text) + "'";
  for (char c : length_text) {
    if (c < '0' || c > '9') return "bad generic RDATA length '" + std::string(length_text) + "'";
    length = length * 10 + static_cast<uint32_t>(c - '0');
  }
  if (length > 65535) return "generic RDATA length " + std::string(length_text) + " is more than 65535";
  int high = -1;
  for (char c : rest) {
    if (c == ' ') continue;
    int v = hex_value(c);
    if (v < 0) return "generic RDATA holds a character that is not hex";
    if (high < 0) {
      high = v;
    } else {
      out += static_cast<char>(high << 4 | v);
      high = -1;
    }
  }
  if (high >= 0 || out.size() != length) {
    return "generic RDATA length is " + std::to_string(length) + " but " + std::to_string(out.size()) +
           (high >= 0 ? " and a half" : "") + " bytes of hex follow";
  }
  return {};
}

}  // namespace rpdns::zone
