// Opening the UDP sockets of one listen address: one per worker in a
// SO_REUSEPORT group (optionally steered by a classic BPF program), or one
// socket shared by every worker.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace rpdns::server {

struct UdpSocketOptions {
  int receive_buffer = 4 << 20;  // SO_RCVBUF; the kernel caps it at net.core.rmem_max
  bool reuseport = true;         // false: one socket, duplicated for each worker
  config::Steering steering = config::Steering::hash;
};

// Returns `count` bound, non-blocking descriptors for `address` (the same
// socket `count` times over when !reuseport). Throws std::system_error.
std::vector<int> open_udp_sockets(const config::ListenAddress& address, unsigned count,
                                  const UdpSocketOptions& options);

// Sets up a UDP socket this process did not open (inherited, see
// inherited.hpp) as open_udp_sockets would have: the receive buffer and,
// on a wildcard address, the destination address of each datagram.
// Throws std::system_error.
void adopt_udp_socket(int fd, const config::ListenAddress& address, const UdpSocketOptions& options);

// Steers the reuseport group `fd` belongs to over `count` sockets, as
// `steering` says (nothing for the kernel's hash). Throws std::system_error.
void steer_group(int fd, config::Steering steering, unsigned count);

// True when replies must carry the address the query was sent to (the
// socket is bound to the wildcard address).
bool needs_pktinfo(const config::ListenAddress& address);

}  // namespace rpdns::server
