#include "server/server.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/system/system_error.hpp>
#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "server/udp_socket.hpp"

#include <fcntl.h>
#include <sys/stat.h>

namespace rpdns::server {

namespace {

// One secret for every worker: a client's cookie must verify whichever
// socket its next query reaches.
std::vector<dns::CookieSecret> cookie_secrets(const config::ServerSettings& config) {
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

WorkerSettings worker_settings(const config::ServerSettings& config,
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

UdpSocketOptions socket_options(const config::ServerSettings& config) {
  UdpSocketOptions options;
  options.receive_buffer = config.receive_buffer;
  options.reuseport = !config.shared_socket;
  options.steering = config.steering;
  return options;
}

// Two descriptors of one socket (listen-mode shared dups a socket per worker).
bool same_socket(int a, int b) {
  struct stat x {};
  struct stat y {};
  return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

}  // namespace

TcpLimits Server::tcp_limits(const config::ServerSettings& config) {
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

// The UDP sockets of `address`, one per worker: those inherited first,
// the rest opened here (joining the inherited ones' reuseport group).
std::vector<int> Server::udp_sockets(const config::ListenAddress& address, unsigned workers,
                                     const UdpSocketOptions& options, InheritedSockets* inherited) {
  std::vector<int> fds;
  if (inherited != nullptr) fds = inherited->take(address, false, options.reuseport ? workers : 1);
  for (int fd : fds) adopt_udp_socket(fd, address, options);
  if (!options.reuseport && !fds.empty()) {
    // listen-mode shared: one socket, the same for every worker.
    while (fds.size() < workers) fds.push_back(fcntl(fds.front(), F_DUPFD_CLOEXEC, 0));
    return fds;
  }
  auto inherited_count = static_cast<unsigned>(fds.size());
  if (inherited_count < workers) {
    auto opened = open_udp_sockets(address, workers - inherited_count, options);
    fds.insert(fds.end(), opened.begin(), opened.end());
  }
  if (inherited_count > 0 && options.reuseport) steer_group(fds.front(), options.steering, workers);
  return fds;
}

Server::Server(const config::ServerSettings& config, answer::SnapshotStore& store,
               std::function<void(const dns::WireName&, std::optional<uint32_t>)> on_notify,
               InheritedSockets* inherited, const config::DnstapSettings& dnstap)
    : tcp_per_client_(config.tcp.per_client) {
  WorkerSettings settings = worker_settings(config, std::move(on_notify));
  UdpSocketOptions udp_options = socket_options(config);
  TcpLimits limits = tcp_limits(config);
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  unsigned index = 0;
  for (const auto& address : config.listen) {
    std::vector<int> fds;
    try {
      fds = udp_sockets(address, config.workers, udp_options, inherited);
    } catch (const std::system_error& e) {
      throw std::runtime_error("cannot listen on " + address.to_string() + " (udp): " + e.what());
    }
    for (unsigned i = 0; i < config.workers; ++i) {
      settings.cpu = config.cpu_affinity ? static_cast<int>(i % cpus) : -1;
      workers_.push_back(std::make_unique<Worker>(index++, fds[i], needs_pktinfo(address), store, settings));
      labels_.push_back(address.to_string());
    }
    add_listeners(address, config.workers, limits, inherited);
  }
  carried_ = std::make_unique<stats::WorkerCounters[]>(workers_.size());
  start_dnstap(dnstap);
}

void Server::add_listeners(const config::ListenAddress& address, unsigned workers, const TcpLimits& limits,
                           InheritedSockets* inherited) {
  std::vector<int> fds;
  if (inherited != nullptr) fds = inherited->take(address, true, workers);
  try {
    for (unsigned i = 0; i < workers; ++i) {
      auto& worker = *workers_[workers_.size() - workers + i];
      int fd = i < fds.size() ? fds[i] : -1;
      listeners_.push_back(std::make_unique<TcpListener>(worker, address, limits, fd));
    }
  } catch (const boost::system::system_error& e) {
    // Asio's own error type (not a std::system_error in Boost 1.74): name
    // the address, or the operator sees only "bind: Address already in use".
    throw std::runtime_error("cannot listen on " + address.to_string() + " (tcp): " + e.code().message());
  }
}

std::vector<int> Server::listening_fds() const {
  std::vector<int> fds;
  for (const auto& w : workers_) {
    // listen-mode shared: every worker holds a copy of one socket; one is enough.
    if (std::find_if(fds.begin(), fds.end(), [&w](int fd) { return same_socket(fd, w->fd()); }) == fds.end())
      fds.push_back(w->fd());
  }
  for (const auto& l : listeners_) fds.push_back(l->fd());
  return fds;
}

Server::~Server() {
  stop();
  dnstap_.reset();
}

void Server::start() {
  for (auto& l : listeners_) l->start();
  for (auto& w : workers_) w->start();
}

void Server::drain() {
  for (auto& l : listeners_) l->drain();
  for (auto& w : workers_) w->drain();
  // A worker takes the drain after the batch in hand; the counters read
  // after this include that batch.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < give_up &&
         !std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->drained(); }))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

bool Server::join_until(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    bool all = std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->ran_out(); });
    if (all || std::chrono::steady_clock::now() >= deadline) {
      request_stop();
      join();
      return all;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Server::carry(const std::string& label, std::size_t index, const stats::WorkerCounters& counters) {
  // The same worker when the predecessor had the same workers on that
  // address; else the first worker of the address, or the first of all.
  std::size_t to = 0;
  if (index < labels_.size() && labels_[index] == label) {
    to = index;
  } else {
    auto it = std::find(labels_.begin(), labels_.end(), label);
    if (it != labels_.end()) to = static_cast<std::size_t>(it - labels_.begin());
  }
  stats::add_counters(carried_[to], counters);
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
    out.push_back({&workers_[i]->counters(), labels_[i], &carried_[i]});
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
