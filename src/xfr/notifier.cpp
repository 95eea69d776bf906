#include "xfr/notifier.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>

#include "dns/message.hpp"
#include "dns/name.hpp"
#include "dns/query_writer.hpp"
#include "dns/wire.hpp"

namespace rpdns::xfr {
namespace {

namespace asio = boost::asio;

// Waits of 1, 2, 4, 8 and 16 s after the five sends (RFC 1996 §3.6: retry, back off).
ExchangeOptions notify_options() {
  ExchangeOptions options;
  options.transport = Transport::udp_only;
  options.udp_waits.clear();
  for (int i = 0; i < 5; ++i) options.udp_waits.push_back(std::chrono::seconds(1 << i));
  return options;
}

// The secondary's answer (RFC 1996 §3.7): a reply to our NOTIFY, NOERROR.
std::string read_answer(const uint8_t* m, std::size_t len, bool& last) {
  last = true;
  dns::MessageReader reader(m, len);
  if (reader.problem() != nullptr) return reader.problem();
  const dns::Header& h = reader.header();
  if (!h.qr() || h.opcode() != dns::opcode::NOTIFY) return "not a reply to a NOTIFY";
  if (h.rcode() != dns::rcode::NOERROR) return "answered " + dns::rcode_text(h.rcode());
  return "";
}

}  // namespace

Notifier::Notifier() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}

Notifier::~Notifier() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<NotifyTarget> notify_targets(const std::vector<dns::tsig::Key>& keys, const config::ZoneConfig& zone) {
  std::vector<NotifyTarget> out;
  for (const auto& t : zone.notify) {
    NotifyTarget target{t.address, std::nullopt};
    if (const dns::tsig::Key* key = config::find_key(keys, t.key)) target.key = *key;
    out.push_back(std::move(target));
  }
  return out;
}

// Header (opcode NOTIFY, AA) and the zone's SOA as question (RFC 1996 §3.7),
// signed once when there is a key: each resend is the same message
// (RFC 8945 §5.1), within the fudge.
void Notifier::send(const dns::WireName& origin, uint32_t serial, const NotifyTarget& target) {
  std::string what = "notify " + origin.text() + " serial " + std::to_string(serial);
  auto& slot = in_flight_[origin.text() + " " + target.address.to_string()];
  if (auto previous = slot.lock()) cancel(*previous);
  dns::OutgoingQuery query{
      .id = random_id(), .opcode = dns::opcode::NOTIFY, .aa = true, .qname = origin.wire(), .qtype = dns::type::SOA};
  slot = exchange(io_, target.address, query, target.key, notify_options(), read_answer,
                  [what, to = target.address.to_string()](const ExchangeEnd& end) {
                    if (end.error.empty()) return spdlog::info("{} to {}: answered", what, to);
                    spdlog::warn("{}: {}", what, end.error);
                  });
}

void Notifier::notify(const dns::WireName& origin, uint32_t serial, const std::vector<NotifyTarget>& targets) {
  for (const auto& target : targets) asio::post(io_, [this, origin, serial, target] { send(origin, serial, target); });
}

}  // namespace rpdns::xfr
