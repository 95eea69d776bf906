// Splits an RFC 1035 §5.1 master file into entries: one logical line each,
// with parentheses joined, comments removed and the starting line number
// kept for error messages. The RR text itself is left to ldns.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rpdns::zone {

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

}  // namespace rpdns::zone
