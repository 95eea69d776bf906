// libFuzzer target: whatever entry the fast record reader accepts, ldns must
// read to the same owner, type, TTL and RDATA (see zone/simple_record.hpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../support/ldns_reference.hpp"
#include "zone/master_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string origin("\7Example\3com\0", 13);
  static const std::string previous("\3www\7example\3com\0", 17);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (text.find('\0') != std::string_view::npos) return 0;  // entries are C strings for ldns
  rpdns::zone::MasterReader reader(text);
  std::string entry, problem;
  std::size_t line = 0;
  while (reader.next(entry, line, problem)) {
    if (!rpdns::test::fast_reader_disagreement(entry, origin, 300, previous).empty()) __builtin_trap();
  }
  return 0;
}
