#include "support/other_servers.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rpdns::test {

std::string knot_zones(const ZoneFiles& files) {
  std::string text = "zone:\n";
  for (const auto& [origin, file] : files.zones) {
    text += "  - domain: " + origin + "\n    file: " + files.dir + "/" + file + "\n";
  }
  return text;
}

std::string write_knot_config(const std::string& dir, uint16_t port, const std::string& storage,
                              const std::string& zones) {
  std::filesystem::create_directories(dir + "/db");
  std::string path = dir + "/knot.conf";
  std::ofstream conf(path);
  conf << "server:\n  listen: 127.0.0.1@" << port << "\n  rundir: " << dir
       << "\n  udp-workers: 1\n  tcp-workers: 1\n  background-workers: 1\n"
       << "database:\n  storage: " << dir << "/db\n"
       << "log:\n  - target: stderr\n    any: info\n"
       << "template:\n  - id: default\n    storage: " << storage
       << "\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n"
       << "    dnssec-signing: off\n"
       << zones;
  return path;
}

std::string write_nsd_config(const std::string& dir, uint16_t port, const ZoneFiles& files) {
  std::string path = dir + "/nsd.conf";
  std::ofstream conf(path);
  conf << "server:\n  ip-address: 127.0.0.1@" << port << "\n  server-count: 1\n  verbosity: 2\n"
       << "  pidfile: \"" << dir << "/nsd.pid\"\n  xfrdfile: \"" << dir << "/xfrd.state\"\n"
       << "  zonelistfile: \"" << dir << "/zone.list\"\n  database: \"\"\n  chroot: \"\"\n"
       << "  username: \"\"\n  zonesdir: \"" << files.dir << "\"\n"
       << "remote-control:\n  control-enable: no\n";
  for (const auto& [origin, file] : files.zones)
    conf << "zone:\n  name: " << origin << "\n  zonefile: " << file << "\n";
  return path;
}

std::string write_named_config(const std::string& dir, uint16_t port, const std::string& zones,
                               const std::string& secret) {
  std::string path = dir + "/named.conf";
  std::ofstream conf(path);
  conf << "options {\n  directory \"" << dir << "\";\n  pid-file \"" << dir << "/named.pid\";\n"
       << "  session-keyfile \"" << dir << "/session.key\";\n  managed-keys-directory \"" << dir
       << "\";\n  listen-on port " << port << " { 127.0.0.1; };\n  listen-on-v6 { none; };\n"
       << "  recursion no;\n  dnssec-validation no;\n  notify explicit;\n};\n"
       << "controls { };\n"
       << "key \"transfer-key\" { algorithm hmac-sha256; secret \"" << secret << "\"; };\n"
       << zones;
  return path;
}

RunResult kdig(uint16_t port, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"@127.0.0.1", "-p", std::to_string(port)};
  all.insert(all.end(), args.begin(), args.end());
  return run_tool("/usr/bin/kdig", all);
}

void ChildProcess::start(const std::string& binary, const std::vector<std::string>& args, const std::string& log) {
  log_ = log;
  pid_ = spawn_process(binary, args, log);
}

bool ChildProcess::exited() {
  if (pid_ <= 0) return true;
  if (waitpid(pid_, nullptr, WNOHANG) != pid_) return false;
  pid_ = -1;
  return true;
}

void ChildProcess::stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    wait_exit(pid_, std::chrono::milliseconds(5000));
  }
  pid_ = -1;
}

void ChildProcess::kill_now() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

ReferenceKind knot_kind(const std::string& zones, const std::string& probe) {
  return {"knot", "/usr/sbin/knotd",
          [zones](const std::string& dir, uint16_t port) {
            return std::vector<std::string>{"-c", write_knot_config(dir, port, dir, zones)};
          },
          probe};
}

// nsd in the foreground (-d), logging to stderr.
ReferenceKind nsd_kind(const ZoneFiles& files, const std::string& probe) {
  return {"nsd", "/usr/sbin/nsd",
          [files](const std::string& dir, uint16_t port) {
            return std::vector<std::string>{"-d", "-c", write_nsd_config(dir, port, files)};
          },
          probe};
}

// named in the foreground (-g, logging to stderr), one worker.
ReferenceKind bind_kind(const std::string& zones, const std::string& secret, const std::string& probe) {
  return {"bind", "/usr/sbin/named",
          [zones, secret](const std::string& dir, uint16_t port) {
            return std::vector<std::string>{"-g", "-n", "1", "-c", write_named_config(dir, port, zones, secret)};
          },
          probe};
}

Reference::Reference(ReferenceKind kind, const std::string& instance) : kind_(std::move(kind)) {
  dir_ = temp_dir() + "/" + kind_.name + "-" + instance + "-" + std::to_string(getpid());
  std::filesystem::create_directories(dir_);
  // A port free for UDP may still be taken for TCP by another test's
  // connection: the server then exits, and we try another.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start()) return;
  }
  ADD_FAILURE() << kind_.name << " did not start:\n" << log();
}

Reference::~Reference() {
  stop();
  std::filesystem::remove_all(dir_);
}

bool Reference::start() {
  port_ = free_udp_port();
  process_.start(kind_.binary, kind_.configure(dir_, port_), dir_ + "/server.log");
  for (int i = 0; i < 200; ++i) {
    if (query(port_, kind_.probe, LDNS_RR_TYPE_SOA, false, std::chrono::milliseconds(50))) return true;
    if (process_.exited()) break;
  }
  process_.kill_now();
  return false;
}

}  // namespace rpdns::test
