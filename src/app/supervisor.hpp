// rpdns as a container's first process (PID 1). An upgrade (SIGUSR2) ends
// the old process once its successor serves, and PID 1 ending would end the
// container; so as PID 1 rpdns splits in two at start: the child serves,
// and the parent stays behind as a small supervisor that
//   - passes each signal it gets (HUP, USR1, USR2, INT, TERM) on to every
//     rpdns process below it: the server, and during an upgrade its
//     successor too (which inherits the old one's role once it is gone;
//     each ignores what does not concern it: a draining process ignores HUP,
//     a loading one HUP and USR2);
//   - reaps every process that ends below it, as PID 1 must;
//   - exits when none is left: 0 when a server stopped cleanly after a stop
//     signal, else with the status of the last one that ended.
// Not a general init: it does what rpdns needs, so the image needs none
// (and with `docker run --init` rpdns is not PID 1: do not use it).
#pragma once

namespace rpdns::app {

// Returns at once unless this process is PID 1; as PID 1, forks: returns
// in the child, which goes on to serve, and never returns in the parent.
// Call before any thread starts, with the handled signals blocked.
void supervise_if_first_process();

}  // namespace rpdns::app
