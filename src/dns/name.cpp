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
  for (std::size_t pos = 0; pos < wire.size() && wire[pos] != 0;
       pos += static_cast<uint8_t>(wire[pos]) + 1u) {
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
      if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' ||
          c == '$') {
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

void lowercase(std::string& wire) {
  std::size_t pos = 0;
  while (pos < wire.size() && wire[pos] != 0) {
    auto len = static_cast<uint8_t>(wire[pos++]);
    for (unsigned i = 0; i < len && pos < wire.size(); ++i, ++pos) {
      wire[pos] = static_cast<char>(lower(static_cast<uint8_t>(wire[pos])));
    }
  }
}

}  // namespace rpdns::dns
