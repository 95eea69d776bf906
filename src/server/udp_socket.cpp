#include "server/udp_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace rpdns::server {
namespace {

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

void set_int(int fd, int level, int option, int value, const char* what) {
  if (setsockopt(fd, level, option, &value, sizeof value) != 0) fail(what);
}

// The options that may also be set on a socket that is already bound.
void set_receive_options(int fd, const config::ListenAddress& address, const UdpSocketOptions& options) {
  // Best effort: an unprivileged process gets at most rmem_max.
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer, sizeof options.receive_buffer);
  if (needs_pktinfo(address)) {
    if (address.ipv6)
      set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
    else
      set_int(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
  }
}

int open_one(const config::ListenAddress& address, const UdpSocketOptions& options) {
  int fd = socket(address.ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  try {
    set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
    if (options.reuseport) set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
    if (address.ipv6) set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
    set_receive_options(fd, address, options);
    sockaddr_storage addr;
    socklen_t len = address.to_sockaddr(addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) fail("bind");
  } catch (...) {
    close(fd);
    throw;
  }
  return fd;
}

}  // namespace

// A classic BPF program for the reuseport group: the value it returns is
// the index of the socket (in bind order) that receives the datagram.
void steer_group(int fd, config::Steering steering, unsigned count) {
  if (steering == config::Steering::hash) return;  // the kernel's 4-tuple hash
  uint32_t source = steering == config::Steering::cpu ? SKF_AD_CPU : SKF_AD_RANDOM;
  sock_filter code[] = {
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, static_cast<uint32_t>(SKF_AD_OFF) + source},  // A = cpu or random
      {BPF_ALU | BPF_MOD | BPF_K, 0, 0, count},                                      // A %= sockets
      {BPF_RET | BPF_A, 0, 0, 0},
  };
  sock_fprog program{static_cast<unsigned short>(std::size(code)), code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program) != 0) {
    fail("SO_ATTACH_REUSEPORT_CBPF");
  }
}

void adopt_udp_socket(int fd, const config::ListenAddress& address, const UdpSocketOptions& options) {
  set_receive_options(fd, address, options);
}

// Compared as addresses, not text: "::0", "0:0::0" and "0.0.0.0" all bind
// every local address.
bool needs_pktinfo(const config::ListenAddress& address) {
  sockaddr_storage addr;
  address.to_sockaddr(addr);
  if (address.ipv6) return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr);
  return reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr.s_addr == htonl(INADDR_ANY);
}

std::vector<int> open_udp_sockets(const config::ListenAddress& address, unsigned count,
                                  const UdpSocketOptions& options) {
  std::vector<int> fds;
  try {
    if (!options.reuseport) {
      int fd = open_one(address, options);
      fds.push_back(fd);
      for (unsigned i = 1; i < count; ++i) {
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) fail("dup");
        fds.push_back(copy);
      }
      return fds;
    }
    for (unsigned i = 0; i < count; ++i) fds.push_back(open_one(address, options));
    steer_group(fds.front(), options.steering, count);
  } catch (...) {
    for (int fd : fds) close(fd);
    throw;
  }
  return fds;
}

}  // namespace rpdns::server
