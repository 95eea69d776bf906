// The signals rpdns handles (HUP, USR1, USR2, INT, TERM), blocked in every thread
// from the first line of main and taken by one thread with sigwaitinfo, so
// that no signal can arrive in a thread or at a moment that is not ready
// for it: before this, a SIGHUP while the zones loaded killed the process.
#pragma once

#include <functional>
#include <thread>

namespace rpdns::app {

// Blocks the handled signals in the calling thread; every thread it starts
// afterwards inherits the block. Call first in main.
void block_signals();
// Restores the mask found by block_signals (for one-shot commands such as
// --check-config, which should die of Ctrl-C as any tool does).
void restore_signals();

// Waits for the blocked signals on a thread of its own and passes each to
// `handler`, on that thread.
class SignalThread {
 public:
  explicit SignalThread(std::function<void(int)> handler);
  ~SignalThread();  // stops and joins the thread
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

 private:
  std::function<void(int)> handler_;
  std::thread thread_;
};

// Ends the process by `signal`'s default action, as if it had not been
// handled (systemd and shells then see what they expect).
[[noreturn]] void die_of(int signal);

}  // namespace rpdns::app
