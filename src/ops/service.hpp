// Telling systemd how the service is (Type=notify, sd_notify(3)): READY=1
// once the workers answer, so `systemctl start` returns when queries are
// served and units ordered after rpdns start then; RELOADING=1 and READY=1
// around a reload; STOPPING=1 at a stop; STATUS= lines `systemctl status`
// shows. Outside systemd (no NOTIFY_SOCKET), or built without libsystemd,
// these do nothing.
#pragma once

#include <string>

namespace rpdns::ops {

void notify_ready(const std::string& status);
// From the successor of an upgrade, before it tells its predecessor that it
// serves: it is the service's main process now (MAINPID=; the unit needs
// NotifyAccess=all). Sent before the old main process can exit, or systemd
// would take that exit for the service's end.
void notify_main_pid();
void notify_reloading();
void notify_status(const std::string& status);
void notify_stopping();

}  // namespace rpdns::ops
