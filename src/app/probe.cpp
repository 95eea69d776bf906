#include "app/probe.hpp"

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <iostream>

#include "dns/message.hpp"
#include "dns/name.hpp"
#include "dns/query_writer.hpp"
#include "dns/wire.hpp"
#include "xfr/exchange.hpp"

namespace rpdns::probe {
namespace {

// An authoritative NOERROR reply: "" or what it is instead.
std::string describe(const uint8_t* reply, std::size_t len, bool& last) {
  last = true;
  dns::MessageReader reader(reply, len);
  if (reader.problem() != nullptr) return reader.problem();
  const dns::Header& h = reader.header();
  if (!h.qr()) return "not a reply";
  if (h.rcode() != dns::rcode::NOERROR)
    return "rcode " + std::to_string(h.rcode()) + " (" + dns::rcode_text(h.rcode()) + ")";
  if (!h.aa()) return "answer is not authoritative";
  return "";
}

}  // namespace

int run(const config::ListenAddress& server, const std::string& name) {
  std::string qname;
  if (!dns::name_from_text(name, qname)) {
    std::cout << "probe: bad name '" << name << "'\n";
    return 1;
  }
  boost::asio::io_context io;
  dns::OutgoingQuery query{.id = xfr::random_id(), .qname = qname, .qtype = dns::type::SOA};
  xfr::ExchangeOptions options;
  options.transport = xfr::Transport::udp_only;
  options.udp_waits = {std::chrono::seconds(2)};
  std::string problem = "no reply";
  xfr::exchange(io, server, query, std::nullopt, options, describe,
                [&problem](const xfr::ExchangeEnd& end) { problem = end.error; });
  io.run();
  if (!problem.empty()) {
    std::cout << "probe " << name << " SOA: " << problem << '\n';
    return 1;
  }
  std::cout << "probe " << server.to_string() << " " << name << " SOA: ok (authoritative)\n";
  return 0;
}

}  // namespace rpdns::probe
