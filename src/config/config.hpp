// Configuration: the YAML file and the command line, validated into one
// Config value. Every error names where it came from (file:line or flag).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dns/name.hpp"
#include "dns/tsig.hpp"
#include "policy/connection_limit.hpp"
#include "policy/prefix.hpp"
#include "policy/rate_limit.hpp"

namespace rpdns::config {

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6 address, no brackets
  uint16_t port = 53;
  bool ipv6 = false;

  std::string to_string() const;  // "1.2.3.4:53" or "[::1]:53"
  // The socket address; returns its length.
  socklen_t to_sockaddr(sockaddr_storage& out) const;
};

// How the kernel picks a worker's socket in a SO_REUSEPORT group.
enum class Steering { hash, cpu, random };

// What a reload does with a zone file whose content changed while its
// serial did not grow (RFC 1982). `file`: the serial is the file's, so the
// change is refused and the old version kept (a secondary would never take
// it). `increment`: the change is served with the served serial plus one.
enum class SerialPolicy { file, increment };

// Key names below are canonical wire names of a key of Reloadable::keys
// (RFC 8945 §4.2), checked to exist; empty: unsigned.

// A server we talk to, with the key our messages to it are signed with.
struct KeyedAddress {
  ListenAddress address;
  std::string key;
};

// A primary a secondary zone follows (RFC 1996): where its SOA is checked,
// its zone transferred from, and its NOTIFYs accepted. SOA queries and
// transfers are signed with its key, and its NOTIFYs must be.
using Primary = KeyedAddress;

// A client allowed to transfer a zone: from `prefix`, and signed with `key`
// when one is set.
using TransferClient = policy::KeyedPrefix;

// A secondary told of new serials (RFC 1996), with a signed NOTIFY when `key` is set.
using NotifyTarget = KeyedAddress;

struct ZoneConfig {
  dns::WireName origin;                        // parsed once where it was read
  std::string file;                            // resolved against the config file's directory
  std::vector<TransferClient> allow_transfer;  // AXFR/IXFR clients; empty: nobody
  std::vector<NotifyTarget> notify;
  // Not empty: a secondary zone, whose `file` is the copy kept from the
  // last transfer.
  std::vector<Primary> primaries;
  // Bounds on one transfer of a secondary zone; 0: Config's.
  uint64_t max_zone_size = 0;
  unsigned transfer_timeout = 0;
  // The zone's own journal bounds and serial policy; unset: Reloadable's.
  std::optional<uint64_t> journal_size{};
  std::optional<unsigned> journal_depth{};
  std::optional<SerialPolicy> serial_policy{};
};

// A transfer past either bound is aborted and the copy kept: without them
// a primary that never ended an AXFR once grew the process to 6 GB. Bytes of DNS
// messages in one transfer: 1 GiB is some 10 to 20 million records, far
// above all but the largest TLDs, whose operators raise it; the compiled
// zone takes a few times that in memory, which a host serving it has.
constexpr uint64_t kDefaultMaxZoneSize = uint64_t{1} << 30;
// Seconds for one whole transfer: a 1 GiB zone in an hour is 2.4 Mbit/s,
// slower than any link between primary and secondary should be.
constexpr unsigned kDefaultTransferTimeout = 3600;

// TCP's limits; the server takes them as they are.
struct TcpSettings {
  unsigned idle_timeout = 10;                  // seconds a connection may sit idle
  unsigned io_timeout_ms = 1000;               // for a message body once its length has arrived
  policy::ConnectionLimitSettings per_client;  // open connections per client prefix
  unsigned max_connections = 1024;             // in total; each worker takes its share
};

// dnstap logging: off while neither socket nor tcp is set. A reload may
// change it; the server takes it beside its ServerSettings.
struct DnstapSettings {
  std::string socket;                // the collector's Unix socket
  std::optional<ListenAddress> tcp;  // or its TCP address
  std::string identity;              // the messages' identity; empty: none
  std::string version;               // their version; empty: none
  bool queries = true;               // log AUTH_QUERY messages
  bool responses = true;             // log AUTH_RESPONSE messages
  unsigned sample = 1;               // log one exchange in this many, per worker
};

using FileStamp = std::array<int64_t, 4>;
// The stamp of the file at `path`; nullopt when it cannot be read.
std::optional<FileStamp> file_stamp(const std::string& path);

// What the server room takes as it is: its sockets, its workers and what
// they answer with. All restart-only: the sockets and workers are made
// once, and the workers hold the rest.
struct ServerSettings {
  std::vector<ListenAddress> listen;
  unsigned workers = 0;          // 0 until resolved: then the number of CPUs
  unsigned batch_size = 64;      // datagrams per recvmmsg/sendmmsg
  int receive_buffer = 4 << 20;  // SO_RCVBUF of each UDP socket
  bool cpu_affinity = false;     // pin worker i to CPU i
  Steering steering = Steering::hash;
  bool shared_socket = false;  // listen-mode: shared (one socket, N threads)
  TcpSettings tcp;
  policy::RateLimitSettings rrl;  // response rate limiting; off while responses_per_second is 0
  uint16_t edns_udp_size = dns::kDefaultEdnsPayload;
  bool minimal_responses = true;
  std::string identity;  // CHAOS id.server; empty: REFUSED
  std::string version;   // CHAOS version.bind; empty: REFUSED
  std::string nsid;      // NSID option value (RFC 5001), "hostname" resolved; empty: none
  // DNS cookie secrets (RFC 9018): the first makes server cookies, all of
  // them verify (a rollover). Empty: a random secret per process.
  std::vector<std::array<uint8_t, 16>> cookie_secrets;
};

// What a reload may change, and all it takes from the configuration read
// again: the zones and what loading them uses. The reload room takes it
// as it is.
struct Reloadable {
  std::vector<ZoneConfig> zones;     // one per origin
  std::vector<dns::tsig::Key> keys;  // TSIG keys (RFC 8945), by wire name
  // Warn at load and reload of RRSIGs that expire within this many days.
  unsigned signature_warning_days = 7;
  // Each zone's journal of changes, for IXFR (RFC 1995): at most this many
  // bytes and this many versions; the oldest go first. Depth 0: none kept.
  uint64_t journal_size = uint64_t{4} << 20;
  unsigned journal_depth = 20;
  SerialPolicy serial_policy = SerialPolicy::file;
  DnstapSettings dnstap;  // taken up by the running workers at a reload
};

// The whole configuration: one part a reload may change, and the rest,
// restart-only, which a reload keeps as it is running (the schema's
// `apply` column says which key is where; a test holds them together).
struct Config {
  ServerSettings server;
  Reloadable reloadable;
  // Restart-only settings of the process rather than of one room, kept here:
  // the logger, the privileges dropped, the stats endpoint and the control
  // socket are set up once by app/ around the rooms.
  std::string log_level = "info";
  std::optional<ListenAddress> stats_listen;  // Prometheus /metrics over HTTP; off when unset
  std::string control_socket;                 // rpdnsctl's Unix socket; empty: none
  // Drop to this user (and group) after binding; empty: stay as started.
  std::string user;
  std::string group;
  // The default bounds on a secondary's transfers. Restart-only, yet read by
  // the reload room (its secondaries) beside Reloadable, where a zone's own
  // bounds override them; kept here since they bound the process as a whole.
  uint64_t max_zone_size = kDefaultMaxZoneSize;         // per zone unless it sets its own
  unsigned transfer_timeout = kDefaultTransferTimeout;  // seconds; likewise
  // At an upgrade (app/upgrade.hpp), how long the old process lets its
  // open TCP connections finish their queries and transfers.
  unsigned shutdown_grace = 5;

  // Not settings: where they were read from.
  std::string source;  // the config file, empty when none
  // That file's size, modification and change times and inode, taken just
  // before it was read: the same stamp later means the same file, so a
  // reload need not parse it again. Empty when there is no file.
  std::optional<FileStamp> source_stamp;
};

// Parses "ADDR", "ADDR:PORT" or "[ADDR]:PORT"; nullopt when malformed.
std::optional<ListenAddress> parse_listen(const std::string& text);

// Loads and validates a YAML file. Appends "file:line: key: problem" errors.
std::optional<Config> load_file(const std::string& path, std::vector<std::string>& errors);

// The zone of `zones` named `origin`; null when none.
const ZoneConfig* find_zone(const std::vector<ZoneConfig>& zones, const dns::WireName& origin);

// The key of `keys` named `wire_name`; null when none (or the name is empty).
const dns::tsig::Key* find_key(const std::vector<dns::tsig::Key>& keys, const std::string& wire_name);

// Parses "NAME:ALGORITHM:SECRET" (--key); "" or the problem.
std::string parse_key(const std::string& text, dns::tsig::Key& out);

// Fills in defaults that depend on the machine (listen addresses, workers).
void apply_defaults(Config& config);

bool valid_log_level(const std::string& level);

}  // namespace rpdns::config
