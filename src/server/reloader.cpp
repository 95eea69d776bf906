#include "server/reloader.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "server/zones.hpp"

namespace rpdns::server {

Reloader::Reloader(cli::Arguments args, config::Config current, ZoneStore& store, Server& server)
    : args_(std::move(args)),
      current_(std::move(current)),
      store_(store),
      server_(server),
      work_(io_.get_executor()),
      thread_([this] { io_.run(); }) {}

Reloader::~Reloader() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void Reloader::request() {
  requested_.fetch_add(1);
  boost::asio::post(io_, [this] { run_pending(); });
}

void Reloader::run_pending() {
  uint64_t target = requested_.load();
  if (target == done_) return;  // already covered by a run that started after it
  reload();
  done_ = target;
}

void Reloader::warn_restart_only(const config::Config& next) const {
  std::string before, after;
  for (const auto& l : current_.listen) before += l.to_string() + " ";
  for (const auto& l : next.listen) after += l.to_string() + " ";
  if (before != after || next.workers != current_.workers) {
    spdlog::warn("reload: listen addresses and workers change only on restart (sockets are never "
                 "re-created while serving); keeping {}with {} workers",
                 before, current_.workers);
  }
}

void Reloader::reload() {
  auto start = std::chrono::steady_clock::now();
  spdlog::info("reload: started");
  std::vector<std::string> errors;
  auto next = cli::resolve(args_, errors);
  if (!next) {
    for (const auto& e : errors) spdlog::error("reload: {}", e);
    spdlog::error("reload: configuration not usable; nothing changed");
    return;
  }
  warn_restart_only(*next);
  auto previous = store_.load();
  std::vector<ZoneReport> reports;
  auto zones = build_zone_set(*next, previous.get(), reports);
  log_reports(reports);
  store_.publish(std::move(zones));
  server_.nudge_all();  // idle workers drop the old set now, not at their next query
  previous.reset();
  current_.zones = next->zones;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("reload: done in {:.3f} s", seconds);
}

}  // namespace rpdns::server
