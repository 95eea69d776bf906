#include "zone/master_reader.hpp"

namespace rpdns::zone {

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
bool plain(char c) {
  return c != '\\' && c != '"' && c != ';' && c != '(' && c != ')' && c != ' ' && c != '\t';
}

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

}  // namespace rpdns::zone
