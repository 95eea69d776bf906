#include "server/server.hpp"

#include <spdlog/spdlog.h>

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

void Server::request_stop() {
  for (auto& w : workers_) w->stop();
}

void Server::join() {
  for (auto& w : workers_) w->join();
}

void Server::nudge_all() {
  for (auto& w : workers_) w->nudge();
}

std::vector<stats::WorkerView> Server::views() const {
  std::vector<stats::WorkerView> out;
  for (std::size_t i = 0; i < workers_.size(); ++i) out.push_back({&workers_[i]->counters(), labels_[i]});
  return out;
}

void Server::log_counts() const {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    const auto& c = workers_[i]->counters();
    spdlog::info("worker {} on {}: {} queries, {} replies, {} dropped, {} truncated, {} send errors", i,
                 labels_[i], c.queries.get(), c.replies.get(), c.dropped.get(), c.truncated.get(),
                 c.send_errors.get());
  }
  spdlog::info("{}", stats::balance_line(views()));
}

}  // namespace rpdns::server
