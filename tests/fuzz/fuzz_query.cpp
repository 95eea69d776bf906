// libFuzzer target: the request parser must never read out of bounds,
// whatever the bytes.
#include <cstddef>
#include <cstdint>

#include "dns/query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rpdns::dns::Query q;
  auto status = rpdns::dns::parse_query(data, size, q);
  // A parsed question must lie inside the input.
  if (status == rpdns::dns::ParseStatus::ok && q.has_question) {
    if (q.question < data || q.question + q.question_len > data + size) __builtin_trap();
  }
  return 0;
}
