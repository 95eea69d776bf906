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

// True when replies must carry the address the query was sent to (the
// socket is bound to the wildcard address).
bool needs_pktinfo(const config::ListenAddress& address);

}  // namespace rpdns::server
