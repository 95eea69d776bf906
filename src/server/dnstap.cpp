// The server's side of dnstap: the writer made from the configuration, each
// worker given its tap, and a reload's new settings taken up while serving.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "server/server.hpp"

namespace rpdns::server {
namespace {

// How long a reload waits for every worker to let go of the old writer.
constexpr auto kSwitchTimeout = std::chrono::seconds(5);

dnstap::Settings dnstap_settings(const config::DnstapSettings& c) {
  dnstap::Settings s;
  s.socket = c.socket;
  if (c.socket.empty() && c.tcp) {
    s.tcp_host = c.tcp->host;
    s.tcp_port = c.tcp->port;
  }
  s.identity = c.identity;
  s.version = c.version;
  s.queries = c.queries;
  s.responses = c.responses;
  s.sample = std::max(1u, c.sample);
  return s;
}

void log_settings(const dnstap::Settings& s) {
  if (!s.enabled()) {
    spdlog::info("dnstap: off");
    return;
  }
  spdlog::info("dnstap: {}{} to {}, one exchange in {}", s.queries ? "queries" : "",
               s.queries && s.responses ? " and responses" : (s.responses ? "responses" : ""), s.destination(),
               s.sample);
}

}  // namespace

void Server::start_dnstap(const config::DnstapSettings& config) {
  dnstap::Settings settings = dnstap_settings(config);
  if (!settings.enabled()) return;
  if (!config.socket.empty() && config.tcp) {
    spdlog::warn("dnstap: both socket and tcp are set; writing to the socket only");
  }
  std::vector<stats::WorkerCounters*> counters;
  for (auto& worker : workers_) counters.push_back(&worker->counters());
  dnstap_ = std::make_unique<dnstap::Writer>(settings, counters);
  for (std::size_t i = 0; i < workers_.size(); ++i) workers_[i]->set_tap(&dnstap_->tap(i));
  log_settings(settings);
}

void Server::reconfigure_dnstap(const config::DnstapSettings& config) {
  dnstap::Settings settings = dnstap_settings(config);
  if (settings == (dnstap_ ? dnstap_->settings() : dnstap::Settings{})) return;
  std::unique_ptr<dnstap::Writer> next;
  if (settings.enabled()) {
    std::vector<stats::WorkerCounters*> counters;
    for (auto& worker : workers_) counters.push_back(&worker->counters());
    next = std::make_unique<dnstap::Writer>(settings, counters);
  }
  // Each worker switches on its own thread, between two batches; the old
  // writer goes only once none of them can be writing into its rings. The
  // count is shared: a worker may still run its part after a timeout.
  struct Switch {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t pending = 0;
  };
  auto state = std::make_shared<Switch>();
  state->pending = workers_.size();
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Worker* worker = workers_[i].get();
    dnstap::Tap* tap = next ? &next->tap(i) : nullptr;
    boost::asio::post(worker->io(), [state, worker, tap] {
      worker->set_tap(tap);
      std::lock_guard lock(state->mutex);
      if (--state->pending == 0) state->done.notify_one();
    });
  }
  std::unique_lock lock(state->mutex);
  bool all = state->done.wait_for(lock, kSwitchTimeout, [&] { return state->pending == 0; });
  lock.unlock();
  std::swap(dnstap_, next);
  if (!all) {
    // A worker that did not answer (stopping) may still hold the old rings:
    // better to leak them than to free them under it.
    spdlog::warn("dnstap: a worker did not take up the new settings in time; the old writer is left open");
    (void)next.release();
  }
  log_settings(settings);
}

}  // namespace rpdns::server
