#include "app/probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <random>

#include "dns/name.hpp"
#include "dns/wire.hpp"

namespace rpdns::probe {
namespace {

std::string describe(const uint8_t* reply, ssize_t len, uint16_t id) {
  if (len < static_cast<ssize_t>(dns::kHeaderSize)) return "reply too short";
  if (dns::read_u16(reply) != id) return "reply with the wrong ID";
  uint16_t flags = dns::read_u16(reply + 2);
  if ((flags & dns::flag::QR) == 0) return "not a reply";
  if ((flags & 0x0F) != dns::rcode::NOERROR) return "rcode " + std::to_string(flags & 0x0F);
  if ((flags & dns::flag::AA) == 0) return "answer is not authoritative";
  return "";
}

}  // namespace

int run(const config::ListenAddress& server, const std::string& name) {
  std::string qname;
  if (!dns::name_from_text(name, qname)) {
    std::cout << "probe: bad name '" << name << "'\n";
    return 1;
  }
  auto id = static_cast<uint16_t>(std::random_device{}());
  uint8_t query[dns::kHeaderSize + dns::kMaxNameLength + 4] = {};
  dns::write_u16(query, id);
  dns::write_u16(query + 4, 1);
  std::memcpy(query + dns::kHeaderSize, qname.data(), qname.size());
  std::size_t len = dns::kHeaderSize + qname.size();
  dns::write_u16(query + len, dns::type::SOA);
  dns::write_u16(query + len + 2, dns::klass::IN);
  len += 4;

  sockaddr_storage addr;
  socklen_t addr_len = server.to_sockaddr(addr);
  int fd = socket(server.ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  sendto(fd, query, len, 0, reinterpret_cast<sockaddr*>(&addr), addr_len);
  pollfd p{fd, POLLIN, 0};
  std::string problem = "no reply within 2 s";
  if (poll(&p, 1, 2000) == 1) {
    uint8_t reply[dns::kMaxMessageSize];
    ssize_t got = recv(fd, reply, sizeof reply, 0);
    problem = describe(reply, got, id);
  }
  close(fd);
  if (!problem.empty()) {
    std::cout << "probe " << server.to_string() << " " << name << " SOA: " << problem << '\n';
    return 1;
  }
  std::cout << "probe " << server.to_string() << " " << name << " SOA: ok (authoritative)\n";
  return 0;
}

}  // namespace rpdns::probe
