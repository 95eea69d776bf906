// Starting the process that takes over from this one at an upgrade: the
// executable at the path this one was started from (so a package upgrade
// that replaced the file starts the new version), with the same arguments,
// handed every listening socket in systemd's LISTEN_FDS protocol
// (sd_listen_fds(3): descriptors from 3, LISTEN_PID naming the receiver)
// and one end of a socket pair, RPDNS_UPGRADE_FD, on which the two
// processes agree the hand-over (app/upgrade.*).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace rpdns::ops {

struct Successor {
  pid_t pid = -1;
  int channel = -1;  // our end of the socket pair, close-on-exec
};

// Starts `program` with `args` (args[0] first) and this process's
// environment, handing it `fds` as descriptors 3, 4, ... in that order.
// Throws std::system_error when the process cannot be made; an executable
// that cannot run shows as a child that exits 127 at once.
Successor start_successor(const std::string& program, const std::vector<std::string>& args,
                          const std::vector<int>& fds);

// In a successor: the descriptor of the channel to the predecessor, taken
// from RPDNS_UPGRADE_FD (removed from the environment); -1 when this
// process is no successor.
int upgrade_channel();

// The path this program was started from (/proc/self/exe as it read at
// the first call: a file replaced since then is still named by its path).
const std::string& own_executable();

}  // namespace rpdns::ops
