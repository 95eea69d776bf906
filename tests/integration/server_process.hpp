// Test harness: runs the real rpdns binary on an ephemeral loopback port and
// talks to it over UDP, encoding and decoding with ldns (an independent codec).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// After the standard headers: ldns's headers can redefine `bool`.
#include <ldns/ldns.h>

namespace rpdns::test {

// Starts `binary` with `args`, stdout and stderr to `log_path`; with
// `nofile`, under that RLIMIT_NOFILE (soft and hard).
pid_t spawn_process(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path,
                    uint64_t nofile = 0);
// CPU time (user + system) that process `pid` has used so far, in seconds.
double cpu_seconds(pid_t pid);
// Waits for pid up to `timeout`; returns its exit code, or -1 after killing it.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout);

// A free UDP port on 127.0.0.1 (bound and released; good enough for tests).
uint16_t free_udp_port();

struct RunResult {
  int exit_code = -1;  // -1 when it did not exit in time
  std::string output;  // stdout and stderr together
};

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

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

struct PacketDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketDeleter>;

// Encodes `pkt` and frees it.
std::vector<uint8_t> to_wire_and_free(ldns_pkt* pkt);

// Builds a query (RD clear) for name/type, optionally with EDNS.
std::vector<uint8_t> make_query(const std::string& name, ldns_rr_type type, bool edns = false, uint16_t id = 4242);

// Sends raw bytes to 127.0.0.1:port and returns the raw reply, or nullopt on timeout.
std::optional<std::vector<uint8_t>> exchange_raw(uint16_t port, const std::vector<uint8_t>& request,
                                                 std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

// make_query + exchange_raw + ldns_wire2pkt. Null on timeout or undecodable reply.
Packet query(uint16_t port, const std::string& name, ldns_rr_type type, bool edns = false,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

// Text of every RR in a section, one per line, as ldns prints it.
std::string section_text(const ldns_rr_list* list);

std::string read_file(const std::string& path);
std::string temp_dir();
// A fresh directory under temp_dir() for the running test: PREFIX-PID-TESTNAME.
std::string test_dir(const std::string& prefix);

}  // namespace rpdns::test
