#include "dns/name.hpp"

#include <cstring>

namespace rpdns::dns {

bool Name::assign(std::string_view wire) {
  if (wire.empty() || wire.size() > kMaxNameLength) return false;
  std::size_t pos = 0;
  unsigned count = 0;
  while (true) {
    if (pos >= wire.size()) return false;
    auto label = static_cast<uint8_t>(wire[pos]);
    if (label == 0) break;
    if (label > kMaxLabelLength || count >= kMaxLabels) return false;
    offsets[count++] = static_cast<uint8_t>(pos);
    pos += label + 1u;
  }
  if (pos + 1 != wire.size()) return false;
  std::memcpy(data, wire.data(), wire.size());
  len = static_cast<uint8_t>(wire.size());
  labels = static_cast<uint8_t>(count);
  return true;
}

unsigned count_labels(std::string_view wire) {
  unsigned count = 0;
  for (std::size_t pos = 0; pos < wire.size() && wire[pos] != 0; pos += static_cast<uint8_t>(wire[pos]) + 1u) {
    ++count;
  }
  return count;
}

bool is_subdomain(std::string_view name, std::string_view parent) {
  if (name.size() < parent.size()) return false;
  std::size_t pos = 0;
  std::size_t skip = name.size() - parent.size();
  while (pos < skip) pos += static_cast<uint8_t>(name[pos]) + 1u;
  return pos == skip && name.substr(pos) == parent;
}

namespace {

// Start of each label of a wire name, the root label excluded; the count.
unsigned label_starts(std::string_view name, uint8_t (&starts)[kMaxLabels]) {
  unsigned count = 0;
  for (std::size_t pos = 0; pos < name.size() && name[pos] != 0 && count < kMaxLabels;
       pos += static_cast<uint8_t>(name[pos]) + 1u) {
    starts[count++] = static_cast<uint8_t>(pos);
  }
  return count;
}

}  // namespace

int canonical_compare(std::string_view a, std::string_view b) {
  uint8_t at[kMaxLabels], bt[kMaxLabels];
  unsigned na = label_starts(a, at), nb = label_starts(b, bt);
  for (unsigned i = 1; i <= na && i <= nb; ++i) {
    std::string_view la = a.substr(at[na - i] + 1u, static_cast<uint8_t>(a[at[na - i]]));
    std::string_view lb = b.substr(bt[nb - i] + 1u, static_cast<uint8_t>(b[bt[nb - i]]));
    // string_view compares as unsigned char (char_traits<char>::compare is memcmp).
    if (int c = la.compare(lb); c != 0) return c;
  }
  return static_cast<int>(na) - static_cast<int>(nb);
}

std::string_view parent_name(std::string_view name) {
  if (name.size() <= 1) return name;
  return name.substr(static_cast<uint8_t>(name[0]) + 1u);
}

std::string to_text(std::string_view wire) {
  std::string out;
  std::size_t pos = 0;
  while (pos < wire.size() && wire[pos] != 0) {
    auto len = static_cast<uint8_t>(wire[pos++]);
    for (unsigned i = 0; i < len && pos < wire.size(); ++i, ++pos) {
      auto c = static_cast<unsigned char>(wire[pos]);
      if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' || c == '$') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c <= 0x20 || c >= 0x7f) {
        char buf[5];
        buf[0] = '\\';
        buf[1] = static_cast<char>('0' + c / 100);
        buf[2] = static_cast<char>('0' + c / 10 % 10);
        buf[3] = static_cast<char>('0' + c % 10);
        buf[4] = 0;
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '.';
  }
  return out.empty() ? "." : out;
}

void lowercase(uint8_t* bytes, std::size_t len) {
  // Length octets are at most 63, below 'A': lowering every byte is safe.
  for (std::size_t i = 0; i < len; ++i) bytes[i] = lower(bytes[i]);
}

void lowercase(std::string& wire) { lowercase(reinterpret_cast<uint8_t*>(wire.data()), wire.size()); }

bool name_from_text(std::string_view text, std::string& wire) {
  std::string out;
  if (text.empty()) return false;
  if (text == ".") {
    wire.assign(1, '\0');
    return true;
  }
  std::size_t label_at = 0;
  out.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '.') {
      std::size_t label_len = out.size() - label_at - 1;
      if (label_len == 0) return false;  // empty label
      out[label_at] = static_cast<char>(label_len);
      if (i + 1 == text.size()) break;  // the final dot
      label_at = out.size();
      out.push_back(0);
      continue;
    }
    if (c == '\\') {
      if (++i >= text.size()) return false;
      if (text[i] >= '0' && text[i] <= '9') {
        if (i + 2 >= text.size() || text[i + 1] < '0' || text[i + 1] > '9' || text[i + 2] < '0' || text[i + 2] > '9') {
          return false;
        }
        unsigned v = (text[i] - '0') * 100u + (text[i + 1] - '0') * 10u + (text[i + 2] - '0');
        if (v > 255) return false;
        c = static_cast<unsigned char>(v);
        i += 2;
      } else {
        c = static_cast<unsigned char>(text[i]);
      }
    }
    out.push_back(static_cast<char>(lower(c)));
    if (out.size() - label_at - 1 > kMaxLabelLength) return false;
  }
  if (out[label_at] == 0) {
    std::size_t label_len = out.size() - label_at - 1;
    if (label_len == 0) return false;
    out[label_at] = static_cast<char>(label_len);
  }
  out.push_back(0);
  if (out.size() > kMaxNameLength) return false;
  wire = std::move(out);
  return true;
}

}  // namespace rpdns::dns
