// Splits an RFC 1035 §5.1 master file into entries: one logical line each,
// with parentheses joined, comments removed and the starting line number
// kept for error messages. The RR text itself is left to ldns.
#pragma once

#include <cstddef>
#include <istream>
#include <string>

namespace rpdns::zone {

class MasterReader {
 public:
  explicit MasterReader(std::istream& in) : in_(in) {}

  // Next non-blank entry. A leading blank is kept as one space, since it
  // means "same owner as the previous record". False at end of input.
  // `error` is set (and false returned) for unbalanced parentheses or quotes.
  bool next(std::string& entry, std::size_t& line, std::string& error);

 private:
  bool read_line(std::string& out);

  std::istream& in_;
  std::size_t line_ = 0;
};

}  // namespace rpdns::zone
