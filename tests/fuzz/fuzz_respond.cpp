// libFuzzer target: the whole request -> reply path against the test zones.
// Every reply must decode with ldns (an independent codec) and stay within
// the size the client may receive.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "answer/answer.hpp"
#include "dns/query.hpp"
#include "zone/loader.hpp"

// After the standard headers: ldns's headers can redefine `bool`.
#include <ldns/ldns.h>

namespace {

const rpdns::zone::ZoneSet& zones() {
  static const rpdns::zone::ZoneSet* set = [] {
    auto* s = new rpdns::zone::ZoneSet;
    for (const char* name : {"diff.example", "child.diff.example", "other.test"}) {
      auto loaded = rpdns::zone::load_zone(name, std::string(RPDNS_FUZZ_ZONES) + "/" + name + ".zone");
      if (!loaded.zone) __builtin_trap();
      s->add(loaded.zone);
    }
    return s;
  }();
  return *set;
}

// Cookies on, with a fixed secret and clock, for two inputs in three.
rpdns::dns::ServerCookies& cookies() {
  static rpdns::dns::ServerCookies* c = [] {
    static const rpdns::dns::CookieSecret secret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    auto* made = new rpdns::dns::ServerCookies({&secret, 1});
    made->set_clock(1559731985);
    return made;
  }();
  return *c;
}

std::size_t udp_limit(const uint8_t* data, size_t size, const rpdns::answer::Options& options) {
  rpdns::dns::Query q;
  rpdns::dns::parse_query(data, size, q);
  if (!q.has_edns) return 512;
  std::size_t asked = q.edns_udp_size < 512 ? 512 : q.edns_udp_size;
  return asked < options.edns_udp_size ? asked : options.edns_udp_size;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<uint8_t> out(rpdns::dns::kMaxMessageSize);
  rpdns::answer::Options options;
  options.minimal_responses = (size % 3) != 0;
  if (size % 3 != 1) options.cookies = &cookies();
  bool tcp = (size % 2) == 1;
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_addr.s_addr = htonl(0xC0000207);  // 192.0.2.7
  auto outcome =
      rpdns::answer::respond(data, size, zones(), options, tcp, out.data(), reinterpret_cast<const sockaddr*>(&peer));
  if (outcome.size == 0) return 0;
  std::size_t limit = tcp ? rpdns::dns::kMaxMessageSize : udp_limit(data, size, options);
  if (outcome.size > limit) __builtin_trap();
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, out.data(), outcome.size) != LDNS_STATUS_OK) __builtin_trap();
  ldns_pkt_free(pkt);
  return 0;
}
