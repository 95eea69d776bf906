// The server's side of dnstap: the writer made from the configuration, and
// each worker given its tap.
#include <spdlog/spdlog.h>

#include "server/server.hpp"

namespace rpdns::server {
namespace {

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

void Server::start_dnstap(const config::Config& config) {
  dnstap::Settings settings = dnstap_settings(config.dnstap);
  if (!settings.enabled()) return;
  if (!config.dnstap.socket.empty() && config.dnstap.tcp) {
    spdlog::warn("dnstap: both socket and tcp are set; writing to the socket only");
  }
  std::vector<stats::WorkerCounters*> counters;
  for (auto& worker : workers_) counters.push_back(&worker->counters());
  dnstap_ = std::make_unique<dnstap::Writer>(settings, counters);
  for (std::size_t i = 0; i < workers_.size(); ++i) workers_[i]->set_tap(&dnstap_->tap(i));
  log_settings(settings);
}

}  // namespace rpdns::server
