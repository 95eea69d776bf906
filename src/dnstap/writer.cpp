#include "dnstap/writer.hpp"

#include <fstrm.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/uio.h>

#include <array>
#include <csignal>
#include <stdexcept>
#include <string_view>

#include "dnstap/encode.hpp"
#include "dnstap/transport.hpp"

namespace rpdns::dnstap {
namespace {

constexpr std::string_view kContentType = "protobuf:dnstap.Dnstap";
constexpr std::size_t kRingBytes = std::size_t{1} << 20;  // per worker: some thousand messages
constexpr std::size_t kBatch = 64;                        // messages per write
constexpr auto kIdle = std::chrono::milliseconds(10);     // how long an idle writer sleeps
constexpr time_t kReopenSeconds = 1;                      // between connection attempts

// libfstrm's writer (its framing) over our own transport (transport.hpp).
fstrm_writer* make_writer(const Settings& settings) {
  fstrm_rdwr* transport = make_transport(settings);
  if (transport == nullptr) return nullptr;
  fstrm_writer_options* options = fstrm_writer_options_init();
  fstrm_writer_options_add_content_type(options, kContentType.data(), kContentType.size());
  fstrm_writer* writer = fstrm_writer_init(options, &transport);
  fstrm_writer_options_destroy(&options);
  if (transport != nullptr) fstrm_rdwr_destroy(&transport);  // not taken: the writer failed
  return writer;
}

}  // namespace

std::string Settings::destination() const {
  if (!socket.empty()) return "unix:" + socket;
  return "tcp:" + (tcp_host.find(':') != std::string::npos ? "[" + tcp_host + "]" : tcp_host) + ":" +
         std::to_string(tcp_port);
}

Tap::Tap(const Settings& settings, stats::WorkerCounters& counters, std::size_t ring_bytes)
    : settings_(settings), counters_(counters), ring_(ring_bytes) {}

void Tap::log(const Exchange& exchange) {
  if (++skipped_ < settings_.sample) return;
  skipped_ = 0;
  if (settings_.queries && !exchange.query.empty() && !encode(ring_, settings_, exchange, false))
    counters_.dnstap_dropped.add();
  if (settings_.responses && !exchange.response.empty() && !encode(ring_, settings_, exchange, true))
    counters_.dnstap_dropped.add();
}

Writer::Writer(Settings settings, const std::vector<stats::WorkerCounters*>& counters)
    : settings_(std::move(settings)), writer_(make_writer(settings_)) {
  if (writer_ == nullptr) throw std::runtime_error("dnstap: libfstrm cannot write to " + settings_.destination());
  settings_.sample = std::max(1u, settings_.sample);
  for (auto* c : counters) taps_.push_back(std::make_unique<Tap>(settings_, *c, kRingBytes));
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  fstrm_writer_destroy(&writer_);
}

void Writer::run() {
  // A collector that goes away must not kill the process with SIGPIPE.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    maybe_open();
    std::size_t moved = 0;
    for (auto& tap : taps_) moved += drain(*tap);
    lock.lock();
    if (moved == 0) wake_.wait_for(lock, kIdle, [this] { return stopping_; });
  }
  lock.unlock();
  // What the workers logged before they stopped still goes.
  for (auto& tap : taps_) {
    while (drain(*tap) > 0) {
    }
  }
  if (open_) fstrm_writer_close(writer_);
}

void Writer::maybe_open() {
  if (open_) return;
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  if (last_attempt_.tv_sec != 0 && t.tv_sec - last_attempt_.tv_sec < kReopenSeconds) return;
  last_attempt_ = t;
  open_ = fstrm_writer_open(writer_) == fstrm_res_success;
  if (open_) {
    spdlog::info("dnstap: writing to {}", settings_.destination());
    warned_ = false;
  } else if (!warned_) {
    spdlog::warn("dnstap: cannot reach the collector at {}; messages are dropped until it comes back",
                 settings_.destination());
    warned_ = true;
  }
}

// Moves up to kBatch messages of one ring to the collector, or drops them
// when it is away; returns how many left the ring.
std::size_t Writer::drain(Tap& tap) {
  std::array<iovec, kBatch> iov{};
  std::size_t n = 0;
  uint64_t position = tap.ring_.tail();
  uint64_t next = position;
  for (; n < kBatch; ++n) {
    auto record = tap.ring_.peek(position, next);
    if (record.empty()) break;
    iov[n] = {const_cast<uint8_t*>(record.data()), record.size()};
    position = next;
  }
  if (n == 0) return 0;
  if (open_ && fstrm_writer_writev(writer_, iov.data(), static_cast<int>(n)) != fstrm_res_success) {
    spdlog::warn("dnstap: lost the collector at {}; reconnecting", settings_.destination());
    fstrm_writer_close(writer_);
    open_ = false;
    warned_ = true;
  }
  (open_ ? tap.counters_.dnstap_sent : tap.counters_.dnstap_lost).add(n);
  tap.ring_.release(position);
  return n;
}

}  // namespace rpdns::dnstap
