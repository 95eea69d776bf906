#include "app/signals.hpp"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace rpdns::app {
namespace {

sigset_t handled() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGTERM}) sigaddset(&set, s);
  return set;
}

sigset_t original_mask;
// Set before the thread is woken to leave, so that the wake-up signal is not
// taken for an operator's.
std::atomic<bool> leaving{false};

}  // namespace

void block_signals() {
  sigset_t set = handled();
  pthread_sigmask(SIG_BLOCK, &set, &original_mask);
}

void restore_signals() { pthread_sigmask(SIG_SETMASK, &original_mask, nullptr); }

SignalThread::SignalThread(std::function<void(int)> handler)
    : handler_(std::move(handler)), thread_([this] {
        sigset_t set = handled();
        for (;;) {
          int signal = sigwaitinfo(&set, nullptr);
          if (leaving.load()) return;
          if (signal > 0) handler_(signal);
          // EINTR (a signal outside the set, e.g. a debugger's): wait again.
        }
      }) {}

SignalThread::~SignalThread() {
  leaving.store(true);
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
  leaving.store(false);
}

void die_of(int signal) {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigaction(signal, &action, nullptr);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signal);
  raise(signal);  // still blocked: pending for this thread
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  std::_Exit(128 + signal);  // not reached unless the default is to ignore it
}

}  // namespace rpdns::app
