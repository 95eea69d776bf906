// Listening sockets a process is handed instead of binding its own: by its
// predecessor at an upgrade (app/upgrade.*), or by systemd's socket
// activation. Both use systemd's protocol (sd_listen_fds(3)): LISTEN_PID
// names the process they are for, LISTEN_FDS how many descriptors start at
// 3. Each is matched to a listen address by what the kernel says it is
// (its type and bound address), not by its position or a name, so a
// socket unit may list them in any order.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <vector>

#include "config/config.hpp"

namespace rpdns::server {

class InheritedSockets {
 public:
  InheritedSockets() = default;
  // Takes the descriptors LISTEN_FDS names when LISTEN_PID is this process,
  // and removes both variables so no child of ours takes them again.
  // Descriptors that are not bound UDP sockets or listening TCP sockets are
  // closed.
  static InheritedSockets from_environment();
  InheritedSockets(const InheritedSockets&) = delete;
  InheritedSockets& operator=(const InheritedSockets&) = delete;
  InheritedSockets(InheritedSockets&&) = default;
  InheritedSockets& operator=(InheritedSockets&&) = default;
  ~InheritedSockets();  // closes those never taken

  // Hands over up to `count` of the sockets bound to `address`: UDP ones,
  // or listening TCP ones when `stream`. The caller owns them.
  std::vector<int> take(const config::ListenAddress& address, bool stream, std::size_t count);
  // Those not taken yet.
  std::size_t size() const { return sockets_.size(); }
  // Closes those not taken; returns how many there were.
  std::size_t close_rest();

  // For tests: adopts `fd` as if it had been inherited.
  void adopt(int fd);

 private:
  struct Socket {
    int fd;
    bool stream;
    sockaddr_storage address;
  };
  std::vector<Socket> sockets_;
};

}  // namespace rpdns::server
