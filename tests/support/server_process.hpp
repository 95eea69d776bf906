// Test harness: runs the real rpdns binary on an ephemeral loopback port and
// talks to it over UDP, encoding and decoding with ldns (an independent codec);
// runs other programs to completion; asks a server for a zone's serial or a
// name's rcode, and polls until something holds.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/files.hpp"
#include "support/ldns_decode.hpp"
#include "support/ldns_query.hpp"
#include "support/net.hpp"

namespace rpdns::test {

// Starts `binary` with `args`, stdout and stderr to `log_path`; with
// `nofile`, under that RLIMIT_NOFILE (soft and hard).
pid_t spawn_process(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path,
                    uint64_t nofile = 0);
// CPU time (user + system) that process `pid` has used so far, in seconds.
double cpu_seconds(pid_t pid);
// Waits for pid up to `timeout`; returns its exit code, or -1 after killing it.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout);

struct RunResult {
  int exit_code = -1;  // -1 when it did not exit in time
  std::string output;  // stdout and stderr together
};

// A small zone `origin` (no final dot) of serial `serial` whose www has
// the address `www`, as master-file text of six lines.
std::string zone_text(const std::string& origin, unsigned serial, const std::string& www);

// Zone files a server loads: each origin with its file, the files in `dir`.
struct ZoneFiles {
  std::string dir;
  std::vector<std::pair<std::string, std::string>> zones;  // origin, file name
};

// rpdns's arguments: `before`, then one "--zone ORIGIN=DIR/FILE" for each of `files`.
std::vector<std::string> zone_args(const ZoneFiles& files, std::vector<std::string> before = {});

// Runs `binary` to completion (killed after `timeout`).
RunResult run_tool(const std::string& binary, const std::vector<std::string>& args,
                   std::chrono::seconds timeout = std::chrono::seconds(10));

// Runs rpdns to completion (for --check-config and start-up failures).
RunResult run_rpdns(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(20));

class ServerProcess {
 public:
  // Starts rpdns with `args` plus --listen 127.0.0.1:<port>, and waits until
  // it answers a query for `probe_name`.
  // With `nofile`, the server runs under that descriptor limit.
  explicit ServerProcess(std::vector<std::string> args, const std::string& probe_name = "example.com.",
                         uint64_t nofile = 0);
  ~ServerProcess();

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Sends SIGTERM and waits; returns the exit status and everything it logged.
  RunResult stop(std::chrono::seconds timeout = std::chrono::seconds(10));
  // Everything it has logged so far.
  std::string log() const;
  // After an upgrade: `successor` is the server now (it logs to the same
  // file). The caller has made itself a subreaper (PR_SET_CHILD_SUBREAPER),
  // so that the successor becomes its child once the old process is gone.
  void follow(pid_t successor) { pid_ = successor; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

// Sends raw bytes to 127.0.0.1:port and returns the raw reply, or nullopt on timeout.
std::optional<std::vector<uint8_t>> exchange_raw(uint16_t port, const std::vector<uint8_t>& request,
                                                 std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

// make_query + exchange_raw + ldns_wire2pkt. Null on timeout or undecodable reply.
Packet query(uint16_t port, const std::string& name, ldns_rr_type type, bool edns = false,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

// The queries each worker answered, by worker number, as rpdns logs them
// when it stops.
std::map<int, long> queries_per_worker(const std::string& log);

// The rcode of the reply to `name` A, -1 when none came.
int rcode_of(uint16_t port, const std::string& name,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

// The serial of `zone`'s SOA in an authoritative answer, as text; "" when
// there is none (SERVFAIL, REFUSED, or no reply).
std::string serial_of(uint16_t port, const std::string& zone);

// Polls `check` every `step` until it holds or `within` has passed; then
// once more.
template <class Check>
bool eventually(Check check, std::chrono::milliseconds within,
                std::chrono::milliseconds step = std::chrono::milliseconds(50)) {
  for (auto end = std::chrono::steady_clock::now() + within; std::chrono::steady_clock::now() < end;) {
    if (check()) return true;
    std::this_thread::sleep_for(step);
  }
  return check();
}

}  // namespace rpdns::test
