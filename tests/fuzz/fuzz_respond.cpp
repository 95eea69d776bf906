// libFuzzer target: the whole request -> reply path against the test zones,
// as the server runs it. The first byte of the input (the high byte of the
// request's ID, which answering ignores) picks the setting: UDP or TCP,
// minimal responses or not, the EDNS size we advertise, and a peer that the
// zones' transfer access list allows or not. The reply goes into a buffer
// exactly as big as production's (max(512, edns_udp_size) over UDP, 64 KiB
// over TCP), so an overrun is an ASan report. Every reply must decode with
// ldns (an independent codec) and stay within the size the client may
// receive; a transfer is streamed to its end by xfr::TransferWriter, each
// message checked the same way. Two inputs in three run with DNS cookies
// on (a fixed secret and clock).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "answer/answer.hpp"
#include "dns/query.hpp"
#include "xfr/transfer.hpp"
#include "zone/loader.hpp"

// After the standard headers: ldns's headers can redefine `bool`.
#include <ldns/ldns.h>

namespace {

const std::shared_ptr<const rpdns::answer::Snapshot>& snapshot() {
  static const auto set = [] {
    auto s = std::make_shared<rpdns::answer::Snapshot>();
    auto allowed = rpdns::policy::Prefix::parse("192.0.2.0/24");
    auto allowed6 = rpdns::policy::Prefix::parse("2001:db8::/32");
    if (!allowed || !allowed6) __builtin_trap();
    for (const char* name : {"diff.example", "child.diff.example", "other.test"}) {
      auto loaded = rpdns::zone::load_zone(name, std::string(RPDNS_FUZZ_ZONES) + "/" + name + ".zone");
      if (!loaded.zone) __builtin_trap();
      // The IPv6 prefix wants a TSIG key: signed transfer requests take the checked path.
      s->zones.add(loaded.zone);
      s->access.allow_transfer(loaded.zone->origin,
                               {{*allowed, ""}, {*allowed6, std::string("\x0ctransfer-key\x00", 14)}});
    }
    // A key, so that fuzzed TSIG records with its name reach the MAC check.
    s->keys.add({std::string("\x0ctransfer-key\x00", 14), rpdns::dns::tsig::Algorithm::hmac_sha256,
                 std::vector<uint8_t>(32, 7)});
    return std::shared_ptr<const rpdns::answer::Snapshot>(s);
  }();
  return set;
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
  std::size_t ours = options.edns_udp_size < 512 ? 512 : options.edns_udp_size;
  if (!q.has_edns) return 512;
  std::size_t asked = q.edns_udp_size < 512 ? 512 : q.edns_udp_size;
  return asked < ours ? asked : ours;
}

void check_message(const uint8_t* message, std::size_t size, std::size_t limit) {
  if (size > limit) __builtin_trap();
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, message, size) != LDNS_STATUS_OK) __builtin_trap();
  ldns_pkt_free(pkt);
}

// The peers the fuzzer picks from: on the access list (v4, v6) or not.
sockaddr_storage peer(unsigned choice) {
  sockaddr_storage ss{};
  if (choice & 1) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(5353);
    inet_pton(AF_INET6, (choice & 2) ? "2001:db8::53" : "2001:db9::53", &a->sin6_addr);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(5353);
    inet_pton(AF_INET, (choice & 2) ? "192.0.2.53" : "198.51.100.53", &a->sin_addr);
  }
  return ss;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  unsigned control = size > 0 ? data[0] : 0;
  bool tcp = (control & 0x01) != 0;
  rpdns::answer::Options options;
  options.minimal_responses = (control & 0x02) == 0;
  // What a configuration may set (edns-udp-size: 512..65535), the default among them.
  static constexpr uint16_t kUdpSizes[] = {1232, 512, 1400, 4096};
  options.edns_udp_size = kUdpSizes[(control >> 2) & 3];
  sockaddr_storage from = peer(control >> 4);
  if (size % 3 != 1) options.cookies = &cookies();

  // Exactly production's buffer: ASan sees a write past it.
  std::size_t capacity = tcp ? rpdns::dns::kMaxMessageSize : std::max<std::size_t>(options.edns_udp_size, 512);
  std::vector<uint8_t> out(capacity);
  auto outcome = rpdns::answer::respond(data, size, *snapshot(), options, tcp, out.data(),
                                        reinterpret_cast<const sockaddr*>(&from));
  if (outcome.transfer != nullptr) {
    if (!tcp || outcome.size != 0 || outcome.question_end < rpdns::dns::kHeaderSize || outcome.question_end > size)
      __builtin_trap();
    std::span<const uint8_t> question{data + rpdns::dns::kHeaderSize, outcome.question_end - rpdns::dns::kHeaderSize};
    std::shared_ptr<const rpdns::zone::ZoneSet> zones(snapshot(), &snapshot()->zones);
    rpdns::xfr::TransferWriter writer(zones, *outcome.transfer, rpdns::dns::read_u16(data), question);
    // The test zones are small: a few messages at most, never a runaway.
    for (int messages = 0;; ++messages) {
      if (messages > 1000) __builtin_trap();
      std::size_t n = writer.next(out.data());
      if (n == 0) break;
      check_message(out.data(), n, rpdns::dns::kMaxMessageSize);
    }
    if (writer.failed()) __builtin_trap();  // every record of these zones fits a message
    return 0;
  }
  if (outcome.size == 0) return 0;
  check_message(out.data(), outcome.size, tcp ? rpdns::dns::kMaxMessageSize : udp_limit(data, size, options));
  return 0;
}
