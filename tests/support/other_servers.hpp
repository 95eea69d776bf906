// Other DNS servers beside rpdns, each our child in the foreground on a
// loopback port of its own: Knot DNS (knotd), NSD and BIND (named), which
// the differential and interop tests compare rpdns with and transfer
// zones to and from, and the validating resolver of the validation test.
// Their configurations are written here: every file a server writes goes
// into a directory of the test's, and nothing runs as another user.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "support/server_process.hpp"

namespace rpdns::test {

// ---- configurations ----

// knot.conf's "zone:" section serving `files` as they are.
std::string knot_zones(const ZoneFiles& files);

// Writes DIR/knot.conf for a knotd on 127.0.0.1:`port`: one worker of
// each kind, its database in DIR/db, relative zone file names under
// `storage`; it serves the zone files as they are, with no signing, no
// journal and nothing written back. `zones` is the text from "zone:" on
// (plus any key:, remote: and acl: sections before it). Returns the path.
std::string write_knot_config(const std::string& dir, uint16_t port, const std::string& storage,
                              const std::string& zones);

// Writes DIR/nsd.conf for an nsd on 127.0.0.1:`port` serving `files`:
// one server process, no chroot, no user switch, no remote control.
// Returns the path.
std::string write_nsd_config(const std::string& dir, uint16_t port, const ZoneFiles& files);

// Writes DIR/named.conf for a named on 127.0.0.1:`port` that neither
// recurses nor validates and sends NOTIFY only where a zone says
// (also-notify), with the HMAC-SHA256 key "transfer-key" of `secret`;
// `zones` is named.conf text after the options. Returns the path.
std::string write_named_config(const std::string& dir, uint16_t port, const std::string& zones,
                               const std::string& secret);

// ---- processes ----

// A child process of ours in the foreground, logging to one file, stopped
// by its PID.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { stop(); }

  void start(const std::string& binary, const std::vector<std::string>& args, const std::string& log);
  // True once it has exited (it is reaped then).
  bool exited();
  // SIGTERM, and SIGKILL after 5 s.
  void stop();
  // SIGKILL at once.
  void kill_now();
  pid_t pid() const { return pid_; }
  std::string log() const { return read_file(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// How to run one other implementation: `configure` writes its configuration
// into `dir` for a server on 127.0.0.1:`port` and returns the command-line
// arguments; `probe`, a served origin, is asked for its SOA until it answers.
struct ReferenceKind {
  std::string name;  // "knot", "nsd", "bind"; in cases.txt annotations
  std::string binary;
  std::function<std::vector<std::string>(const std::string& dir, uint16_t port)> configure;
  std::string probe;
};

// knotd serving `zones` (knot.conf text from "zone:" on, as in
// write_knot_config), its storage its own directory.
ReferenceKind knot_kind(const std::string& zones, const std::string& probe);
// nsd serving `files`.
ReferenceKind nsd_kind(const ZoneFiles& files, const std::string& probe);
// named, as write_named_config.
ReferenceKind bind_kind(const std::string& zones, const std::string& secret, const std::string& probe);

// A reference server on its own loopback port and temp directory, run in
// the foreground as our child and stopped by its PID. A start that fails
// is a test failure, with the server's log.
class Reference {
 public:
  Reference(ReferenceKind kind, const std::string& instance);
  Reference(const Reference&) = delete;
  Reference& operator=(const Reference&) = delete;
  ~Reference();

  void stop() { process_.stop(); }
  pid_t pid() const { return process_.pid(); }
  const std::string& name() const { return kind_.name; }
  bool running() const { return process_.pid() > 0; }
  uint16_t port() const { return port_; }
  std::string log() const { return process_.log(); }

 private:
  bool start();

  ReferenceKind kind_;
  std::string dir_;
  uint16_t port_ = 0;
  ChildProcess process_;
};

// knotd, as knot_kind.
class Knot : public Reference {
 public:
  Knot(const std::string& zones, const std::string& instance, const std::string& probe)
      : Reference(knot_kind(zones, probe), instance) {}
};

// ---- tools ----

// kdig, Knot's dig, asking 127.0.0.1:`port`: `args` come after the server.
RunResult kdig(uint16_t port, const std::vector<std::string>& args);

}  // namespace rpdns::test
