#include "server/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <system_error>

namespace rpdns::server {

Server::Server(const config::Config& config, ZoneStore& store) {
  WorkerSettings settings;
  settings.answer.edns_udp_size = config.edns_udp_size;
  settings.answer.minimal_responses = config.minimal_responses;
  settings.answer.identity = config.identity;
  settings.answer.version = config.version;
  unsigned index = 0;
  for (const auto& address : config.listen) {
    for (unsigned i = 0; i < config.workers; ++i) {
      try {
        workers_.push_back(std::make_unique<UdpWorker>(index++, address, store, settings));
      } catch (const std::system_error& e) {
        throw std::runtime_error("cannot listen on " + address.to_string() + " (udp): " + e.code().message());
      }
      labels_.push_back(address.to_string());
    }
  }
}

void Server::start() {
  for (auto& w : workers_) w->start();
}

void Server::stop() {
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
}

void Server::nudge_all() {
  for (auto& w : workers_) w->nudge();
}

void Server::log_counts() const {
  uint64_t total = 0, most = 0, least = UINT64_MAX;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    const auto& c = workers_[i]->counters();
    uint64_t q = c.queries.get();
    total += q;
    most = std::max(most, q);
    least = std::min(least, q);
    spdlog::info("worker {} on {}: {} queries, {} replies, {} dropped, {} truncated, {} send errors", i,
                 labels_[i], q, c.replies.get(), c.dropped.get(), c.truncated.get(), c.send_errors.get());
  }
  if (least > 0) {
    spdlog::info("{} queries in all; busiest/idlest worker = {:.2f}", total,
                 static_cast<double>(most) / static_cast<double>(least));
  } else {
    spdlog::info("{} queries in all; at least one worker received none", total);
  }
}

}  // namespace rpdns::server
