// rpdns: wiring of the command line, configuration, zones and workers.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <iostream>

#include "app/cli.hpp"
#include "app/probe.hpp"
#include "ops/http_stats.hpp"
#include "ops/privileges.hpp"
#include "reload/reloader.hpp"
#include "server/server.hpp"
#include "reload/zones.hpp"

#ifndef RPDNS_VERSION
#define RPDNS_VERSION "0.0.0"
#endif

namespace {

using namespace rpdns;

int fail(const std::vector<std::string>& errors) {
  for (const auto& e : errors) std::cerr << "error: " << e << '\n';
  return 1;
}

// "N records, serial S, loaded in T s (read, parse, build)".
std::string describe_load(const reload::ZoneReport& r) {
  return fmt::format("{} records, serial {}, loaded in {:.3f} s (read {:.3f}, parse {:.3f}, build {:.3f})", r.records,
                     r.new_serial, r.seconds, r.phases.read_seconds, r.phases.parse_seconds, r.phases.build_seconds);
}

void print_summary(const config::Config& config, const std::vector<reload::ZoneReport>& reports) {
  std::cout << "config " << (config.source.empty() ? "(command line)" : config.source) << " is valid\n";
  for (const auto& r : reports) {
    std::cout << "zone " << r.origin << ": " << describe_load(r);
    if (r.warning_count > 0) std::cout << ", " << r.warning_count << (r.warning_count == 1 ? " warning" : " warnings");
    std::cout << '\n';
    for (const auto& w : r.warnings) std::cout << "warning: " << w << '\n';
    if (r.warning_count > r.warnings.size()) {
      std::cout << "warning: " << r.warning_count - r.warnings.size() << " more not listed\n";
    }
  }
  for (const auto& l : config.listen) std::cout << "listen " << l.to_string() << '\n';
  std::cout << "workers " << config.workers << " per listen address\n";
}

// Start-up is all or nothing: any zone error stops it before binding.
std::shared_ptr<const zone::ZoneSet> load_all(const config::Config& config, std::vector<reload::ZoneReport>& reports,
                                              std::vector<std::string>& errors) {
  auto zones = reload::build_zone_set(config, nullptr, reports);
  for (const auto& r : reports) errors.insert(errors.end(), r.errors.begin(), r.errors.end());
  return errors.empty() ? zones : nullptr;
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("rpdns");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

std::vector<stats::ZoneFacts> zone_facts(const zone::ZoneSet& zones) {
  std::vector<stats::ZoneFacts> out;
  for (const auto& [name, z] : zones.zones()) out.push_back({dns::to_text(name), z->serial, z->record_count});
  return out;
}

// Signals are turned into work on the control context, never handled in a
// worker: SIGHUP reloads, SIGUSR1 logs counters, SIGINT/SIGTERM stop (a
// second one exits at once).
class Control {
 public:
  Control(server::Server& server, reload::Reloader& reloader)
      : server_(server), reloader_(reloader), stop_(io_, SIGINT, SIGTERM), hup_(io_, SIGHUP), usr1_(io_, SIGUSR1) {}

  void run() {
    wait_hup();
    wait_usr1();
    wait_stop();
    io_.run();
    if (joiner_.joinable()) joiner_.join();
  }

 private:
  void wait_hup() {
    hup_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      reloader_.request();
      wait_hup();
    });
  }
  void wait_usr1() {
    usr1_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      server_.log_counts();
      wait_usr1();
    });
  }
  void wait_stop() {
    stop_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (stopping_) {
        spdlog::warn("signal {} again: exiting at once", signal);
        std::_Exit(1);
      }
      stopping_ = true;
      spdlog::info("signal {}: stopping", signal);
      hup_.cancel();
      usr1_.cancel();
      server_.request_stop();
      // Join off the control thread so a second signal is still heard.
      joiner_ = std::thread([this] {
        server_.join();
        boost::asio::post(io_, [this] { stop_.cancel(); });
      });
      wait_stop();
    });
  }

  server::Server& server_;
  reload::Reloader& reloader_;
  boost::asio::io_context io_;
  boost::asio::signal_set stop_, hup_, usr1_;
  bool stopping_ = false;
  std::thread joiner_;
};

std::unique_ptr<ops::HttpStats> start_stats(const config::Config& config, server::Server& server,
                                            zone::ZoneStore& store, reload::Reloader& reloader) {
  if (!config.stats_listen) return nullptr;
  auto render = [&server, &store, &reloader] {
    return stats::prometheus_text(server.views(), zone_facts(*store.load()), reloader.facts());
  };
  auto http = std::make_unique<ops::HttpStats>(*config.stats_listen, render);
  http->start();
  spdlog::info("statistics at http://{}/metrics", config.stats_listen->to_string());
  return http;
}

int serve(const cli::Arguments& args, const config::Config& config, std::shared_ptr<const zone::ZoneSet> zones) {
  zone::ZoneStore store(std::move(zones));
  std::unique_ptr<server::Server> server;
  try {
    server = std::make_unique<server::Server>(config, store);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  reload::Reloader reloader([&args](std::vector<std::string>& errors) { return cli::resolve(args, errors); }, config,
                            store, [&server] { server->nudge_all(); });
  std::unique_ptr<ops::HttpStats> http;
  try {
    http = start_stats(config, *server, store, reloader);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  if (!config.user.empty()) {
    std::string problem = ops::drop_privileges(config.user, config.group);
    if (!problem.empty()) {
      spdlog::critical("cannot drop privileges to user '{}': {}; refusing to run", config.user, problem);
      return 1;
    }
    spdlog::info("running as user {}", config.user);
  }
  Control control(*server, reloader);
  server->start();
  for (const auto& l : config.listen)
    spdlog::info("listening on {} (udp and tcp) with {} workers", l.to_string(), config.workers);
  reload::return_freed_memory();  // the workers already answer meanwhile
  control.run();
  if (http) http->stop();
  server->log_counts();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> errors;
  auto args = cli::parse(argc, argv, errors);
  if (!args) return fail(errors);
  if (args->show_help) {
    std::cout << cli::usage();
    return 0;
  }
  if (args->show_version) {
    std::cout << "rpdns " << RPDNS_VERSION << '\n';
    return 0;
  }
  if (args->probe_server) return probe::run(*args->probe_server, args->probe_name);
  auto config = cli::resolve(*args, errors);
  if (!config) return fail(errors);
  std::vector<reload::ZoneReport> reports;
  auto zones = load_all(*config, reports, errors);
  if (!zones) return fail(errors);
  if (args->check_only) {
    print_summary(*config, reports);
    return 0;
  }
  setup_logging(config->log_level);
  for (const auto& r : reports) {
    spdlog::info("zone {} from {}: {}", r.origin, r.file, describe_load(r));
    reload::log_warnings(r);
  }
  return serve(*args, *config, std::move(zones));
}
