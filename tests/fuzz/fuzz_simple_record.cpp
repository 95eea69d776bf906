// libFuzzer target: whatever entry the fast record reader accepts, ldns must
// read to the same owner, type, TTL and RDATA (see zone/simple_record.hpp).
// ldns 1.8 reads only a TTL-first head, so an entry written class first
// (RFC 1035 §5.1) is compared through its TTL-first twin.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../support/ldns_reference.hpp"
#include "zone/master_reader.hpp"

namespace {

// "owner CLASS TTL rest" as "owner TTL CLASS rest"; `entry` itself otherwise.
std::string ttl_first(const std::string& entry) {
  rpdns::zone::EntryHead head;
  if (!rpdns::zone::split_entry_head(entry, head) || head.ttl_text.empty() || head.class_text.empty() ||
      head.class_text.data() > head.ttl_text.data()) {
    return entry;
  }
  std::string out = head.owner.empty() ? " " : std::string(head.owner) + " ";
  out.append(head.ttl_text).append(" ").append(head.class_text).append(" ").append(head.type);
  if (!head.rdata.empty()) out.append(" ").append(head.rdata);
  return out;
}

bool same(const rpdns::zone::SimpleRecord& a, const rpdns::zone::SimpleRecord& b) {
  return a.owner == b.owner && a.type == b.type && a.ttl == b.ttl && a.rdata == b.rdata;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string origin("\7Example\3com\0", 13);
  static const std::string previous("\3www\7example\3com\0", 17);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (text.find('\0') != std::string_view::npos) return 0;  // entries are C strings for ldns
  rpdns::zone::MasterReader reader(text);
  std::string entry, problem;
  std::size_t line = 0;
  while (reader.next(entry, line, problem)) {
    std::string twin = ttl_first(entry);
    if (twin != entry) {
      rpdns::zone::SimpleRecord a, b;
      bool read_a = rpdns::zone::read_simple_record(entry, origin, 300, previous, a);
      bool read_b = rpdns::zone::read_simple_record(twin, origin, 300, previous, b);
      if (read_a != read_b || (read_a && !same(a, b))) __builtin_trap();
    }
    if (!rpdns::test::fast_reader_disagreement(twin, origin, 300, previous).empty()) __builtin_trap();
  }
  return 0;
}
