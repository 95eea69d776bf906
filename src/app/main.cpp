// rpdns: wiring of the command line, configuration, zones and workers.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/summary.hpp"
#include "app/supervisor.hpp"
#include "app/upgrade.hpp"
#include "control/server.hpp"
#include "app/probe.hpp"
#include "app/signals.hpp"
#include "dns/name.hpp"
#include "ops/descriptors.hpp"
#include "ops/http_stats.hpp"
#include "ops/privileges.hpp"
#include "ops/service.hpp"
#include "ops/successor.hpp"
#include "reload/reloader.hpp"
#include "server/inherited.hpp"
#include "server/server.hpp"
#include "reload/zones.hpp"
#include "zone/signatures.hpp"

#ifndef RPDNS_VERSION
#define RPDNS_VERSION "0.0.0"
#endif

namespace {

using namespace rpdns;

int fail(const std::vector<std::string>& errors) {
  for (const auto& e : errors) std::cerr << "error: " << e << '\n';
  return 1;
}

// Start-up is all or nothing: any zone error stops it before binding.
std::shared_ptr<const answer::Snapshot> load_all(const config::Config& config, std::vector<reload::ZoneReport>& reports,
                                                 std::vector<std::string>& errors) {
  auto snapshot = reload::build_snapshot(config.reloadable, nullptr, reports);
  for (const auto& r : reports) errors.insert(errors.end(), r.errors.begin(), r.errors.end());
  return errors.empty() ? snapshot : nullptr;
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("rpdns");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

std::vector<stats::ZoneFacts> zone_facts(const zone::ZoneSet& zones) {
  std::vector<stats::ZoneFacts> out;
  zones.for_each([&out](const std::string& name, const std::shared_ptr<const zone::Zone>& z) {
    const zone::Journal* journal = z->journal.get();
    out.push_back({dns::to_text(name), z->serial, z->record_count, z->first_expiration, journal ? journal->depth() : 0,
                   journal ? journal->bytes() : 0});
  });
  return out;
}

// Signals, taken by the signal thread (app/signals.hpp), become work on the
// control context, never in a worker: SIGHUP reloads, SIGUSR1 logs counters,
// SIGINT/SIGTERM stop (a second one exits at once).
class Control {
 public:
  Control(server::Server& server, reload::Reloader& reloader, std::vector<std::string> args, unsigned grace)
      : server_(server),
        reloader_(reloader),
        work_(io_.get_executor()),
        upgrader_(io_, std::move(args)),
        grace_(grace) {}

  // Any thread.
  void signal(int signal) {
    boost::asio::post(io_, [this, signal] { handle(signal); });
  }

  boost::asio::io_context& io() { return io_; }
  // Called on the control thread once every worker has ended, so that
  // what else runs on it (the control socket) lets run() return.
  void when_stopped(std::function<void()> hook) { when_stopped_ = std::move(hook); }
  // Called on the control thread when a successor takes over, to close
  // what it must open itself (the stats endpoint, the control socket).
  void before_hand_over(std::function<void()> hook) { before_hand_over_ = std::move(hook); }

  // Starts an upgrade (app/upgrade.hpp); `done` hears how it went. Any thread.
  void upgrade(app::Commands::UpgradeDone done) {
    boost::asio::post(io_, [this, done = std::move(done)] { start_upgrade(done); });
  }

  // Returns once a stop signal has been handled and every worker has ended.
  void run() {
    io_.run();
    if (joiner_.joinable()) joiner_.join();
  }

 private:
  void handle(int signal) {
    if (signal == SIGHUP) {
      if (stopping_) return;
      ops::notify_reloading();
      reloader_.request([](const reload::Reloader::Result& r) {
        ops::notify_ready(
            fmt::format("serving; the last reload {} in {:.3f} s", r.ok ? "ok" : "had errors", r.seconds));
      });
      return;
    }
    if (signal == SIGUSR1) {
      server_.log_counts();
      return;
    }
    if (signal == SIGUSR2) return start_upgrade([](bool, const std::string&) {});  // the outcome is logged
    if (stopping_) {
      spdlog::warn("signal {} again: exiting at once", signal);
      std::_Exit(1);
    }
    stopping_ = true;
    spdlog::info("signal {}: stopping", signal);
    ops::notify_stopping();
    server_.request_stop();
    // Join off the control thread so a second signal is still heard.
    joiner_ = std::thread([this] {
      server_.join();
      end_on_control_thread();
    });
  }

  void end_on_control_thread() {
    boost::asio::post(io_, [this] {
      if (when_stopped_) when_stopped_();
      work_.reset();
    });
  }

  void start_upgrade(const app::Commands::UpgradeDone& done) {
    if (stopping_) return done(false, "the server is stopping");
    if (upgrader_.busy()) return done(false, "an upgrade is already under way");
    ops::notify_status("upgrading: the successor loads while this process serves");
    upgrader_.start(
        server_.listening_fds(),
        [this, done](pid_t successor) {
          // First: the reply is queued on this thread before the stop that
          // closes the control socket's connections.
          done(true, fmt::format("pid {} serves; pid {} hands over and exits", successor, getpid()));
          hand_over(successor);
        },
        [done](const std::string& why) {
          spdlog::error("upgrade failed: {}; this process still serves", why);
          ops::notify_status("serving; the last upgrade failed: " + why);
          done(false, why + "; the old process still serves");
        });
  }

  // The successor answers on the same sockets: stop reading them, give it
  // the counters, let open TCP connections finish, and end.
  void hand_over(pid_t successor) {
    spdlog::info("upgrade: pid {} serves; handing over", successor);
    stopping_ = true;
    server_.drain();
    if (before_hand_over_) before_hand_over_();
    upgrader_.hand_over(server_.views());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_);
    joiner_ = std::thread([this, deadline] {
      if (!server_.join_until(deadline))
        spdlog::warn("upgrade: TCP connections still open after shutdown-grace ({} s) were closed", grace_);
      end_on_control_thread();
    });
  }

  server::Server& server_;
  reload::Reloader& reloader_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  bool stopping_ = false;
  std::thread joiner_;
  std::function<void()> when_stopped_;
  std::function<void()> before_hand_over_;
  app::Upgrader upgrader_;
  unsigned grace_;
};

// Where the signal thread sends a signal: to the Control once serving;
// before that (zones loading, sockets binding) a stop ends the process at
// once and HUP or USR1 find nothing to reload or count yet.
class SignalRoute {
 public:
  void deliver(int signal) {
    std::lock_guard lock(mutex_);
    if (control_ != nullptr) return control_->signal(signal);
    if (signal == SIGINT || signal == SIGTERM) {
      std::fprintf(stderr, "signal %d before serving: exiting\n", signal);
      app::die_of(signal);
    }
  }
  void serve_with(Control* control) {
    std::lock_guard lock(mutex_);
    control_ = control;
  }

 private:
  std::mutex mutex_;
  Control* control_ = nullptr;
};

SignalRoute signal_route;

// What /metrics and rpdnsctl stats serve.
std::function<std::string()> metrics_text(server::Server& server, answer::SnapshotStore& store,
                                          reload::Reloader& reloader) {
  return [&server, &store, &reloader] {
    return stats::prometheus_text(server.views(), zone_facts(store.load()->zones), reloader.facts(),
                                  reloader.secondary_facts());
  };
}

std::unique_ptr<ops::HttpStats> start_stats(const config::Config& config, server::Server& server,
                                            answer::SnapshotStore& store, reload::Reloader& reloader) {
  if (!config.stats_listen) return nullptr;
  auto http = std::make_unique<ops::HttpStats>(*config.stats_listen, metrics_text(server, store, reloader));
  http->start();
  spdlog::info("statistics at http://{}/metrics", config.stats_listen->to_string());
  return http;
}

// Raises the descriptor limit and fits the TCP connection limit into it.
// The settings the server runs with: `config` without its zones, which
// the snapshot holds (a copy of 100,000 zone entries is some 20 MB).
config::Config fit_descriptors(config::Config& config) {
  auto zones = std::move(config.reloadable.zones);
  config::Config fitted = config;
  config.reloadable.zones = std::move(zones);
  uint64_t limit = ops::raise_descriptor_limit();
  auto sockets = static_cast<unsigned>(config.server.listen.size()) * config.server.workers;
  fitted.server.tcp.max_connections = ops::fit_tcp_connections(config.server.tcp.max_connections, limit, sockets);
  if (fitted.server.tcp.max_connections < config.server.tcp.max_connections) {
    spdlog::warn(
        "tcp-max-connections lowered from {} to {}: the descriptor limit (RLIMIT_NOFILE) is {} and {} are kept for "
        "sockets, zone files and the stats endpoint",
        config.server.tcp.max_connections, fitted.server.tcp.max_connections, limit,
        ops::reserved_descriptors(sockets));
  } else {
    spdlog::info("descriptor limit {}; up to {} tcp connections",
                 limit == UINT64_MAX ? "unlimited" : std::to_string(limit), fitted.server.tcp.max_connections);
  }
  return fitted;
}

// The control socket, when configured; null (logged) when it cannot be made.
std::unique_ptr<control::ControlServer> open_control_socket(const config::Config& config, boost::asio::io_context& io,
                                                            app::Commands& commands) {
  if (config.control_socket.empty()) return nullptr;
  try {
    auto socket = std::make_unique<control::ControlServer>(
        io, config.control_socket,
        [&commands](const control::Request& r, const control::ControlServer::Respond& respond) {
          commands.handle(r, respond);
        });
    spdlog::info("control socket {}", config.control_socket);
    return socket;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return nullptr;
  }
}

int finish(reload::Reloader& reloader) {
  if (reloader.busy()) {
    // Waiting for a big reload would hold the stop for as long as it takes;
    // it has written nothing, so it is simply left behind.
    spdlog::info("stopped; the reload in progress is abandoned");
    spdlog::shutdown();
    std::_Exit(0);
  }
  // Before the control thread's context goes: a reload still queued must
  // not answer a control client through it.
  reloader.stop();
  spdlog::info("stopped");
  return 0;
}

// Where this process's listening sockets come from besides binding them:
// its predecessor at an upgrade (with the channel to it), or systemd's
// socket activation.
struct Inheritance {
  server::InheritedSockets sockets;
  int channel = -1;  // to the predecessor; -1: this is no upgrade
};

// An upgrade's successor, serving: tells systemd it is the service's main
// process now, and the predecessor that it serves; takes its counters.
void take_over(int channel, server::Server& server) {
  ops::notify_main_pid();
  std::size_t carried =
      app::take_over(channel, std::chrono::seconds(10),
                     [&server](std::size_t index, const std::string& listen, const stats::WorkerCounters& counters) {
                       server.carry(listen, index, counters);
                     });
  spdlog::info("upgrade: took over from the predecessor; the counters of {} of its workers carry on", carried);
}

std::unique_ptr<server::Server> make_server(const config::Config& config, answer::SnapshotStore& store,
                                            reload::Reloader*& reloader, Inheritance& inherited) {
  // NOTIFYs the workers accept go to the reloader's secondaries; it is made
  // before any worker runs.
  auto server = std::make_unique<server::Server>(
      config.server, store,
      [&reloader](const dns::WireName& origin, std::optional<uint32_t> serial) {
        reloader->notify_received(origin, serial);
      },
      &inherited.sockets, config.reloadable.dnstap);
  if (std::size_t unused = inherited.sockets.close_rest(); unused > 0) {
    spdlog::warn("{} inherited socket(s) match no listen address and worker of this configuration: closed", unused);
  }
  return server;
}

bool drop_to_user(const config::Config& config) {
  if (config.user.empty()) return true;
  std::string problem = ops::drop_privileges(config.user, config.group);
  if (!problem.empty()) {
    spdlog::critical("cannot drop privileges to user '{}': {}; refusing to run", config.user, problem);
    return false;
  }
  spdlog::info("running as user {}", config.user);
  return true;
}

// The stats endpoint and the control socket. A successor opens them only
// once its predecessor has closed its own.
struct Observers {
  std::unique_ptr<ops::HttpStats> http;
  std::unique_ptr<control::ControlServer> control_socket;

  bool open_stats(const config::Config& config, server::Server& server, answer::SnapshotStore& store,
                  reload::Reloader& reloader) {
    try {
      http = start_stats(config, server, store, reloader);
      return true;
    } catch (const std::exception& e) {
      spdlog::critical("{}", e.what());
      return false;
    }
  }
  bool open_control(const config::Config& config, Control& control, app::Commands& commands) {
    control_socket = open_control_socket(config, control.io(), commands);
    return config.control_socket.empty() || control_socket != nullptr;
  }
};

void announce(const config::Config& config, const answer::SnapshotStore& store) {
  for (const auto& l : config.server.listen)
    spdlog::info("listening on {} (udp and tcp) with {} workers", l.to_string(), config.server.workers);
  ops::notify_ready(fmt::format("serving {} zones on {} address(es) with {} workers each", store.load()->zones.size(),
                                config.server.listen.size(), config.server.workers));
}

int serve(const cli::Arguments& args, const std::vector<std::string>& command_line, config::Config given,
          std::shared_ptr<const answer::Snapshot> snapshot, Inheritance& inherited) {
  config::Config config = fit_descriptors(given);
  answer::SnapshotStore store(std::move(snapshot));
  std::unique_ptr<server::Server> server;
  reload::Reloader* reloader_ptr = nullptr;
  try {
    server = make_server(config, store, reloader_ptr, inherited);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  // The reloader compares each re-read configuration with `given`: the
  // fitted tcp-max-connections is no change an operator made.
  reload::Reloader reloader([&args](std::vector<std::string>& errors) { return cli::resolve(args, errors); },
                            std::move(given), store, [&server] { server->nudge_all(); });
  reloader_ptr = &reloader;
  reloader.on_config([&server](const config::Config& c) { server->reconfigure_dnstap(c.reloadable.dnstap); });
  bool successor = inherited.channel >= 0;
  Observers observers;
  if (!successor && !observers.open_stats(config, *server, store, reloader)) return 1;
  if (!drop_to_user(config)) return 1;
  Control control(*server, reloader, command_line, config.shutdown_grace);
  app::Commands commands(
      config, reloader, store, [&control] { control.signal(SIGTERM); }, metrics_text(*server, store, reloader));
  commands.on_upgrade([&control](app::Commands::UpgradeDone done) { control.upgrade(std::move(done)); });
  if (!successor && !observers.open_control(config, control, commands)) return 1;
  control.when_stopped([&observers] {
    if (observers.control_socket) observers.control_socket->close();
  });
  control.before_hand_over([&observers] {
    observers.http.reset();  // its port is free for the successor
    if (observers.control_socket) observers.control_socket->stop_accepting();
  });
  // Signals go to the Control before the first query can be answered: a
  // client that saw an answer may stop the server and expect a clean exit.
  // Control::signal only posts; the stop is handled once control.run() runs.
  signal_route.serve_with(&control);
  server->start();
  if (successor) {
    take_over(inherited.channel, *server);
    if (!observers.open_stats(config, *server, store, reloader) || !observers.open_control(config, control, commands))
      spdlog::error("upgrade: serving without the stats endpoint or control socket that could not be opened");
  }
  announce(config, store);
  reload::return_freed_memory();  // the workers already answer meanwhile
  control.run();
  signal_route.serve_with(nullptr);  // from here a stop signal ends the process at once
  if (observers.http) observers.http->stop();
  server->log_counts();
  return finish(reloader);
}

}  // namespace

int main(int argc, char** argv) {
  app::block_signals();  // first: every thread started from here inherits it
  std::vector<std::string> errors;
  auto args = cli::parse(argc, argv, errors);
  if (!args) return fail(errors);
  if (args->show_help || args->show_version || args->print_schema || args->probe_server || args->check_only)
    app::restore_signals();
  if (args->show_help) {
    std::cout << cli::usage();
    return 0;
  }
  if (args->print_schema) {
    std::cout << cli::schema_listing();
    return 0;
  }
  if (args->show_version) {
    std::cout << "rpdns " << RPDNS_VERSION << '\n';
    return 0;
  }
  if (args->probe_server) return probe::run(*args->probe_server, args->probe_name);
  if (!args->check_only) app::supervise_if_first_process();  // a container's PID 1 stays behind for upgrades
  // Before any thread or descriptor of ours: the environment is read once,
  // and the path of this executable as it is now (a package upgrade may
  // replace the file; the successor of an upgrade is started from it).
  Inheritance inherited{server::InheritedSockets::from_environment(), ops::upgrade_channel()};
  ops::own_executable();
  std::vector<std::string> command_line(argv, argv + argc);
  auto config = cli::resolve(*args, errors);
  if (!config) return fail(errors);
  // From here a stop signal ends even a long start-up load at once.
  std::optional<app::SignalThread> signals;
  if (!args->check_only) signals.emplace([](int signal) { signal_route.deliver(signal); });
  std::vector<reload::ZoneReport> reports;
  auto snapshot = load_all(*config, reports, errors);
  if (!snapshot) return fail(errors);
  if (args->check_only) {
    std::cout << app::check_summary(*config, reports);
    return 0;
  }
  setup_logging(config->log_level);
  for (const auto& r : reports) {
    spdlog::info("zone {} from {}: {}", r.origin.text(), r.file, app::describe_load(r));
    reload::log_warnings(r);
  }
  if (config->reloadable.zones.empty()) {
    spdlog::warn("{} names no zone: every query is answered REFUSED until a reload adds one", config->source);
  }
  std::vector<reload::ZoneReport>().swap(reports);  // not kept for the server's life
  return serve(*args, command_line, std::move(*config), std::move(snapshot), inherited);
}
