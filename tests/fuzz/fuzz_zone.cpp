// libFuzzer target: the zone loader (our master-file reader around ldns)
// must reject or accept any file without crashing or leaking; and a zone it
// accepts, however odd, must be answerable. After a successful load a
// handful of queries go through answer::respond: names of the loaded zone
// (as they are, and with a label prepended, for wildcards and NXDOMAIN) and
// owner names taken from the input's lines, over UDP and TCP, with an AXFR
// streamed to its end. Every reply must decode with ldns and fit its limit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "answer/answer.hpp"
#include "dns/wire.hpp"
#include "xfr/transfer.hpp"
#include "zone/loader.hpp"

// After the standard headers: ldns's headers can redefine `bool`.
#include <ldns/ldns.h>

namespace {

constexpr uint16_t kTypes[] = {1, 2, 5, 6, 15, 16, 28, 33, 39, 43, 64, 65, 255, 99};

void check_message(const uint8_t* message, std::size_t size, std::size_t limit) {
  if (size > limit) __builtin_trap();
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, message, size) != LDNS_STATUS_OK) __builtin_trap();
  ldns_pkt_free(pkt);
}

// A query for the wire name `name`: ID, RD, one question, EDNS when `edns`.
std::vector<uint8_t> make_query(std::string_view name, uint16_t type, bool edns) {
  std::vector<uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? uint8_t{1} : uint8_t{0}};
  q.insert(q.end(), name.begin(), name.end());
  q.insert(q.end(), {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 1});
  if (edns) q.insert(q.end(), {0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0});  // 1232 bytes, DO
  return q;
}

// The owner field of the input's first lines, as wire names under the origin.
std::vector<std::string> input_names(const uint8_t* data, size_t size) {
  std::vector<std::string> names;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  while (!text.empty() && names.size() < 4) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    std::size_t token_end = line.find_first_of(" \t\r(");
    std::string owner(line.substr(0, token_end));
    if (owner.empty() || owner[0] == '$' || owner[0] == ';' || owner.find('\0') != std::string::npos) continue;
    if (owner == "@") owner = "example.com.";
    if (owner.back() != '.') owner += ".example.com.";
    ldns_rdf* rdf = ldns_dname_new_frm_str(owner.c_str());
    if (rdf == nullptr) continue;
    ldns_dname2canonical(rdf);
    names.emplace_back(reinterpret_cast<const char*>(ldns_rdf_data(rdf)), ldns_rdf_size(rdf));
    ldns_rdf_deep_free(rdf);
  }
  return names;
}

void ask(const std::shared_ptr<const rpdns::answer::Snapshot>& snapshot, std::string_view name, uint16_t type,
         unsigned variant) {
  bool tcp = (variant & 1) != 0;
  rpdns::answer::Options options;
  options.minimal_responses = (variant & 2) == 0;
  auto request = make_query(name, type, (variant & 4) != 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(5353);
  inet_pton(AF_INET, "192.0.2.53", &peer.sin_addr);
  std::size_t capacity = tcp ? rpdns::dns::kMaxMessageSize : std::max<std::size_t>(options.edns_udp_size, 512);
  std::vector<uint8_t> out(capacity);
  auto outcome = rpdns::answer::respond(request.data(), request.size(), *snapshot, options, tcp, out.data(),
                                        reinterpret_cast<const sockaddr*>(&peer));
  if (outcome.transfer != nullptr) {
    std::span<const uint8_t> question{request.data() + rpdns::dns::kHeaderSize,
                                      outcome.question_end - rpdns::dns::kHeaderSize};
    std::shared_ptr<const rpdns::zone::ZoneSet> zones(snapshot, &snapshot->zones);
    rpdns::xfr::TransferWriter writer(zones, *outcome.transfer, 0x1234, question);
    // A record too big for any message ends the transfer with SERVFAIL; fine.
    while (std::size_t n = writer.next(out.data())) check_message(out.data(), n, rpdns::dns::kMaxMessageSize);
    return;
  }
  if (outcome.size == 0) __builtin_trap();  // a well-formed query always gets a reply
  std::size_t limit = tcp ? rpdns::dns::kMaxMessageSize : (variant & 4) ? options.edns_udp_size : 512;
  check_message(out.data(), outcome.size, limit);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/rpdns-fuzz-zone-" + std::to_string(getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto result = rpdns::zone::load_zone("example.com", path);
  // Either a zone or at least one error naming the file, never both or neither.
  if (static_cast<bool>(result.zone) == !result.errors.empty()) __builtin_trap();
  if (!result.zone) return 0;

  auto allowed = rpdns::policy::Prefix::parse("192.0.2.0/24");
  auto built = std::make_shared<rpdns::answer::Snapshot>();
  built->zones.add(result.zone);
  built->access.allow_transfer(result.zone->origin, {{*allowed, ""}});
  std::shared_ptr<const rpdns::answer::Snapshot> snapshot = built;
  const auto& nodes = result.zone->nodes;

  unsigned variant = static_cast<unsigned>(size);
  unsigned turn = 0;
  auto next_type = [&] { return kTypes[(turn++ + size) % std::size(kTypes)]; };
  // Up to eight of the zone's names, spread over the zone, and each with a
  // label prepended (a wildcard match or NXDOMAIN, or a name below a cut).
  std::size_t step = nodes.size() / 8 + 1;
  for (std::size_t i = 0; i < nodes.size(); i += step) {
    std::string_view name = nodes[i].name();
    ask(snapshot, name, next_type(), variant++);
    if (name.size() + 2 <= rpdns::dns::kMaxNameLength) {
      std::string below = std::string("\x01z", 2) + std::string(name);
      ask(snapshot, below, next_type(), variant++);
    }
  }
  for (const auto& name : input_names(data, size)) {
    ask(snapshot, name, next_type(), variant++);
    ask(snapshot, name, 255, variant++);  // ANY
  }
  ask(snapshot, result.zone->origin, 252, 1);  // AXFR over TCP, from an allowed peer
  return 0;
}
