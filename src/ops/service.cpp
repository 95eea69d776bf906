#include "ops/service.hpp"

#ifdef RPDNS_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <unistd.h>

namespace rpdns::ops {
namespace {

void notify(const std::string& state) {
#ifdef RPDNS_SYSTEMD
  // 0: keep NOTIFY_SOCKET, so every later state reaches systemd too.
  sd_notify(0, state.c_str());
#else
  (void)state;
#endif
}

// A STATUS= line holds no newline: it would end the assignment.
std::string status_line(std::string status) {
  for (char& c : status) {
    if (c == '\n') c = ' ';
  }
  return "STATUS=" + status;
}

}  // namespace

void notify_ready(const std::string& status) { notify("READY=1\n" + status_line(status)); }
void notify_main_pid() { notify("MAINPID=" + std::to_string(getpid())); }
void notify_reloading() { notify("RELOADING=1\nSTATUS=reloading"); }
void notify_status(const std::string& status) { notify(status_line(status)); }
void notify_stopping() { notify("STOPPING=1\nSTATUS=stopping"); }

}  // namespace rpdns::ops
