// dnstap (https://dnstap.info): each worker logs the queries it answered
// and its responses as AUTH_QUERY and AUTH_RESPONSE messages into its own
// Tap, a lock-free ring of fixed memory; the Writer's thread drains every
// ring into one Frame Streams connection (a Unix socket or TCP) with the
// content type "protobuf:dnstap.Dnstap". The query path never waits for
// the collector and never allocates: a message that finds its ring full is
// dropped and counted, and so is every message drained while the collector
// is away (absent, stopped or restarted); the writer reconnects by itself.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "dnstap/ring.hpp"
#include "stats/counters.hpp"

struct fstrm_writer;

namespace rpdns::dnstap {

struct Settings {
  std::string socket;    // the collector's Unix socket; or
  std::string tcp_host;  // its numeric address, with
  uint16_t tcp_port = 0;
  std::string identity;  // empty: left out of the messages
  std::string version;
  bool queries = true;    // AUTH_QUERY messages
  bool responses = true;  // AUTH_RESPONSE messages
  unsigned sample = 1;    // log one exchange in this many, per worker

  bool enabled() const { return !socket.empty() || tcp_port != 0; }
  bool operator==(const Settings&) const = default;
  // "unix:PATH" or "tcp:ADDR:PORT", for the log.
  std::string destination() const;
};

enum class Protocol { udp, tcp };

// What a worker saw of one exchange. Everything points into the worker's
// own buffers, which stay put until log() returns.
struct Exchange {
  Protocol protocol = Protocol::udp;
  const sockaddr* client = nullptr;
  const sockaddr* server = nullptr;  // our end, if known; a wildcard address is left out
  timespec query_time{};             // when the query was received
  timespec response_time{};          // when the response was made
  std::span<const uint8_t> query;
  std::span<const uint8_t> response;  // empty: no response was sent
};

// Realtime, as dnstap's times are.
inline timespec now() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

// One worker's end: only that worker calls log().
class Tap {
 public:
  Tap(const Settings& settings, stats::WorkerCounters& counters, std::size_t ring_bytes);
  // Encodes the exchange's query and response (as the settings choose) into
  // the ring; a message that does not fit is counted as dropped.
  void log(const Exchange& exchange);

 private:
  friend class Writer;
  const Settings& settings_;
  stats::WorkerCounters& counters_;  // dnstap_dropped here; the writer's thread counts the rest
  Ring ring_;
  unsigned skipped_ = 0;  // exchanges since the last one sampled
};

class Writer {
 public:
  // One Tap per worker, counting into `counters[i]`. Connects in the
  // background: a collector that is not there yet is no error. Throws
  // std::runtime_error when libfstrm refuses the settings.
  Writer(Settings settings, const std::vector<stats::WorkerCounters*>& counters);
  ~Writer();  // writes what the rings still hold, then closes
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Tap& tap(std::size_t worker) { return *taps_[worker]; }
  const Settings& settings() const { return settings_; }

 private:
  void run();
  void maybe_open();
  std::size_t drain(Tap& tap);

  Settings settings_;
  std::vector<std::unique_ptr<Tap>> taps_;
  fstrm_writer* writer_ = nullptr;
  // The writer's thread only:
  bool open_ = false;
  bool warned_ = false;  // the collector's absence was logged
  timespec last_attempt_{};
  // Between the writer's thread and the destructor, never a worker:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rpdns::dnstap
