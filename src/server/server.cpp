#include "server/server.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/system/system_error.hpp>
#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "server/udp_socket.hpp"

namespace rpdns::server {

namespace {

// One secret for every worker: a client's cookie must verify whichever
// socket its next query reaches.
std::vector<dns::CookieSecret> cookie_secrets(const config::Config& config) {
  if (!config.cookie_secrets.empty()) {
    spdlog::info("cookies: {} cookie secret(s) from the configuration", config.cookie_secrets.size());
    return config.cookie_secrets;
  }
  dns::CookieSecret secret{};
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    throw std::runtime_error("cannot make a DNS cookie secret: OpenSSL has no randomness");
  }
  spdlog::info(
      "cookies: no cookie-secret configured; using a random one for this process (its cookies do not verify on "
      "other servers, nor after a restart)");
  return {secret};
}

WorkerSettings worker_settings(const config::Config& config,
                               std::function<void(const dns::WireName&, std::optional<uint32_t>)> on_notify) {
  WorkerSettings settings;
  settings.on_notify = std::move(on_notify);
  settings.answer.edns_udp_size = config.edns_udp_size;
  settings.answer.minimal_responses = config.minimal_responses;
  settings.answer.identity = config.identity;
  settings.answer.version = config.version;
  settings.answer.nsid = config.nsid;
  settings.batch_size = config.batch_size;
  settings.rate_limit = config.rrl;
  settings.cookie_secrets = cookie_secrets(config);
  return settings;
}

UdpSocketOptions socket_options(const config::Config& config) {
  UdpSocketOptions options;
  options.receive_buffer = config.receive_buffer;
  options.reuseport = !config.shared_socket;
  options.steering = config.steering;
  return options;
}

}  // namespace

TcpLimits Server::tcp_limits(const config::Config& config) {
  TcpLimits limits;
  limits.idle = std::chrono::seconds(config.tcp.idle_timeout);
  limits.io = std::chrono::milliseconds(config.tcp.io_timeout_ms);
  limits.per_client = &tcp_per_client_;
  limits.total = config.tcp.max_connections;
  unsigned sockets = static_cast<unsigned>(config.listen.size()) * config.workers;
  limits.per_worker = std::max(1u, (config.tcp.max_connections + sockets - 1) / sockets);
  limits.open = &tcp_open_;
  return limits;
}

Server::Server(const config::Config& config, answer::SnapshotStore& store,
               std::function<void(const dns::WireName&, std::optional<uint32_t>)> on_notify)
    : tcp_per_client_(config.tcp.per_client) {
  WorkerSettings settings = worker_settings(config, std::move(on_notify));
  UdpSocketOptions udp_options = socket_options(config);
  TcpLimits limits = tcp_limits(config);
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  unsigned index = 0;
  for (const auto& address : config.listen) {
    std::vector<int> fds;
    try {
      fds = open_udp_sockets(address, config.workers, udp_options);
    } catch (const std::system_error& e) {
      throw std::runtime_error("cannot listen on " + address.to_string() + " (udp): " + e.what());
    }
    for (unsigned i = 0; i < config.workers; ++i) {
      settings.cpu = config.cpu_affinity ? static_cast<int>(i % cpus) : -1;
      workers_.push_back(std::make_unique<Worker>(index++, fds[i], needs_pktinfo(address), store, settings));
      labels_.push_back(address.to_string());
    }
    try {
      for (unsigned i = 0; i < config.workers; ++i) {
        auto& worker = *workers_[workers_.size() - config.workers + i];
        listeners_.push_back(std::make_unique<TcpListener>(worker, address, limits));
      }
    } catch (const boost::system::system_error& e) {
      // Asio's own error type (not a std::system_error in Boost 1.74): name
      // the address, or the operator sees only "bind: Address already in use".
      throw std::runtime_error("cannot listen on " + address.to_string() + " (tcp): " + e.code().message());
    }
  }
  start_dnstap(config);
}

void Server::start() {
  for (auto& l : listeners_) l->start();
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
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    out.push_back({&workers_[i]->counters(), labels_[i]});
  }
  return out;
}

void Server::log_counts() const {
  auto all = views();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& v = all[i];
    using C = stats::WorkerCounters;
    spdlog::info("worker {} on {}: {} queries, {} replies, {} dropped, {} truncated, {} send errors", i, v.listen,
                 v.total(&C::queries), v.total(&C::replies), v.total(&C::dropped), v.total(&C::truncated),
                 v.total(&C::send_errors));
  }
  spdlog::info("{}", stats::balance_line(all));
}

}  // namespace rpdns::server
