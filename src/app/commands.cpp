#include "app/commands.hpp"

#include <fmt/format.h>

#include "dns/name.hpp"

namespace rpdns::app {
namespace {

using Outcome = reload::ZoneReport::Outcome;

std::string zone_line(const reload::ZoneReport& r) {
  std::string name = r.origin.text();
  switch (r.outcome) {
    case Outcome::loaded:
      if (!r.had_old) return fmt::format("{}: loaded, serial {}, {} records\n", name, r.new_serial, r.records);
      return fmt::format("{}: serial {} -> {}, {} records, {:.3f} s\n", name, r.old_serial, r.new_serial, r.records,
                         r.seconds);
    case Outcome::unchanged:
      return fmt::format("{}: unchanged, serial {}\n", name, r.new_serial);
    case Outcome::kept_old:
      return fmt::format("{}: not reloaded; still serving serial {}\n", name, r.old_serial);
    case Outcome::failed:
      return fmt::format("{}: failed; not served\n", name);
    case Outcome::removed:
      return fmt::format("{}: removed; no longer served\n", name);
    case Outcome::awaiting_transfer:
      return fmt::format("{}: secondary without a copy yet\n", name);
  }
  return name + "\n";
}

const char* kCommands = "status, reload [ZONE...], stop";

}  // namespace

control::Reply describe(const reload::Reloader::Result& result) {
  control::Reply reply{result.ok, ""};
  for (const auto& e : result.errors) reply.text += e + "\n";
  for (const auto& r : result.reports) {
    reply.text += zone_line(r);
    for (const auto& e : r.errors) reply.text += "  " + e + "\n";
  }
  reply.text += fmt::format("reload {} in {:.3f} s\n", result.ok ? "done" : "failed", result.seconds);
  return reply;
}

Commands::Commands(const config::Config& config, reload::Reloader& reloader, const answer::SnapshotStore& store,
                   std::function<void()> stop)
    : config_(config), reloader_(reloader), store_(store), stop_(std::move(stop)) {}

void Commands::handle(const control::Request& request, const control::ControlServer::Respond& respond) {
  const auto& args = request.args;
  if (request.command == "status" && args.empty()) return respond(status());
  if (request.command == "reload") return reload(args, respond);
  if (request.command == "stop" && args.empty()) {
    respond({true, "stopping\n"});
    return stop_();
  }
  std::string line = control::encode(request);
  line.pop_back();  // its '\n'
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  respond({false, "unknown command or arguments '" + line + "'; commands: " + kCommands + "\n"});
}

control::Reply Commands::status() const {
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  auto facts = reloader_.facts();
  std::string text = fmt::format("version {}\nuptime {} s\nworkers {} per listen address\n", RPDNS_VERSION,
                                 uptime.count(), config_.workers);
  for (const auto& l : config_.listen) text += "listen " + l.to_string() + "\n";
  text += fmt::format("zones {}\n", store_.load()->zones.size());
  text += fmt::format("reloads {} done, {} with errors", facts.succeeded, facts.failed);
  if (facts.last_unix_time != 0) {
    text += fmt::format("; the last {} in {:.3f} s", facts.last_ok ? "ok" : "with errors", facts.last_seconds);
  }
  if (reloader_.busy()) text += "; one running now";
  return {true, text + "\n"};
}

void Commands::reload(const std::vector<std::string>& zones, const control::ControlServer::Respond& respond) {
  auto done = [respond](const reload::Reloader::Result& result) { respond(describe(result)); };
  if (zones.empty()) return reloader_.request(done);
  std::vector<dns::WireName> origins;
  for (const auto& text : zones) {
    auto name = dns::WireName::from_text(text);
    if (!name) return respond({false, "bad zone name '" + text + "'\n"});
    origins.push_back(std::move(*name));
  }
  reloader_.request_zones(std::move(origins), done);
}

}  // namespace rpdns::app
