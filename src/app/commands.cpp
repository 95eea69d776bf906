#include "app/commands.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/summary.hpp"
#include "dns/name.hpp"
#include "zone/signatures.hpp"

namespace rpdns::app {
namespace {

using Json = nlohmann::ordered_json;
using Outcome = reload::ZoneReport::Outcome;

const char* kCommands =
    "status, reload [ZONE...], zone-status [ZONE...], zone-refresh ZONE, zone-retransfer ZONE, notify ZONE, stats, "
    "config-check, upgrade, stop";

// The text of a reply: JSON when the request asked for it, else `text`.
control::Reply answer(const control::Request& request, bool ok, const Json& json, const std::string& text) {
  return {ok, request.json ? json.dump(2) + "\n" : text};
}

control::Reply refuse(const control::Request& request, const std::string& why) {
  return answer(request, false, Json{{"error", why}}, why + "\n");
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::loaded:
      return "loaded";
    case Outcome::unchanged:
      return "unchanged";
    case Outcome::kept_old:
      return "kept-old";
    case Outcome::failed:
      return "failed";
    case Outcome::removed:
      return "removed";
    case Outcome::awaiting_transfer:
      return "awaiting-transfer";
  }
  return "";
}

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

Json report_json(const reload::ZoneReport& r) {
  Json z{{"zone", r.origin.text()}, {"outcome", outcome_name(r.outcome)}};
  if (r.had_old) z["old_serial"] = r.old_serial;
  if (r.outcome != Outcome::removed && r.outcome != Outcome::failed) z["serial"] = r.new_serial;
  z["records"] = r.records;
  z["errors"] = r.errors;
  if (r.warning_count > 0) z["warnings"] = r.warnings;
  return z;
}

// The zone names of a command's arguments; false, with the reply sent,
// when one is not a name.
bool zone_names(const control::Request& request, const Commands::Respond& respond, std::vector<dns::WireName>& out) {
  for (const auto& text : request.args) {
    auto name = dns::WireName::from_text(text);
    if (!name) {
      respond(refuse(request, "bad zone name '" + text + "'"));
      return false;
    }
    out.push_back(std::move(*name));
  }
  return true;
}

// One zone for zone-status: what it is, where it came from, its journal
// and signatures, and for a secondary its refresh timers.
Json zone_json(const zone::Zone& zone, bool secondary, const stats::SecondaryFacts* facts) {
  Json z{{"zone", dns::to_text(zone.origin)}, {"role", secondary ? "secondary" : "primary"}};
  z["serial"] = zone.soa != nullptr ? Json(zone.serial) : Json(nullptr);  // null: no copy yet
  z["file"] = zone.file;
  z["records"] = zone.record_count;
  if (zone.loaded_at != 0) z["loaded_at"] = zone::utc_text(zone.loaded_at);
  if (zone.journal) {
    z["journal"] = {{"versions", zone.journal->depth()},
                    {"bytes", zone.journal->bytes()},
                    {"oldest_serial", zone.journal->first_serial()}};
  }
  if (zone.first_expiration != 0) {
    z["signatures"] = {{"first_expiration", zone::utc_text(zone.first_expiration)},
                       {"first_expiring", zone.first_expiring}};
  }
  if (facts == nullptr) return z;
  auto when = [](int64_t t) { return t == 0 ? Json(nullptr) : Json(zone::utc_text(t)); };
  z["refresh"] = {{"expired", facts->expired},
                  {"last_refresh", when(facts->last_refresh)},
                  {"next_refresh", when(facts->next_refresh)},
                  {"expires_at", when(facts->expires_at)},
                  {"failures", facts->failures},
                  {"transfers", facts->transfers},
                  {"incremental_transfers", facts->incremental_transfers}};
  return z;
}

std::string value_text(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

// zone-status's text: the zone's name, then a line per fact; a group of
// facts (the journal, the timers) on one line.
std::string zone_text(const Json& zone) {
  std::string out = "zone " + zone["zone"].get<std::string>() + "\n";
  for (const auto& [key, value] : zone.items()) {
    if (key == "zone") continue;
    out += "  " + key;
    if (!value.is_object()) {
      out += " " + value_text(value) + "\n";
      continue;
    }
    std::string sep = " ";
    for (const auto& [name, part] : value.items()) {
      out += sep + name + " " + value_text(part);
      sep = ", ";
    }
    out += "\n";
  }
  return out;
}

// Prometheus text as JSON: each sample's name, labels and value.
Json metrics_json(const std::string& text) {
  Json samples = Json::array();
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    std::string series = line.substr(0, space);
    Json sample{{"name", series.substr(0, series.find('{'))}, {"labels", Json::object()}};
    if (auto open = series.find('{'); open != std::string::npos) {
      // Label values are ours: names, addresses and numbers, never a quote or comma.
      std::istringstream labels(series.substr(open + 1, series.size() - open - 2));
      for (std::string pair; std::getline(labels, pair, ',');) {
        auto eq = pair.find('=');
        if (eq != std::string::npos && pair.size() >= eq + 3)
          sample["labels"][pair.substr(0, eq)] = pair.substr(eq + 2, pair.size() - eq - 3);
      }
    }
    sample["value"] = std::strtod(line.c_str() + space + 1, nullptr);  // never throws
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace

control::Reply describe(const reload::Reloader::Result& result, bool json) {
  if (json) {
    Json zones = Json::array();
    for (const auto& r : result.reports) zones.push_back(report_json(r));
    Json out{{"ok", result.ok}, {"seconds", result.seconds}, {"errors", result.errors}, {"zones", zones}};
    return {result.ok, out.dump(2) + "\n"};
  }
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
                   std::function<void()> stop, std::function<std::string()> metrics)
    : config_(config), reloader_(reloader), store_(store), stop_(std::move(stop)), metrics_(std::move(metrics)) {}

void Commands::handle(const control::Request& request, const Respond& respond) {
  using Handler = void (Commands::*)(const control::Request&, const Respond&);
  static const std::map<std::string, Handler, std::less<>> handlers = {{"status", &Commands::status},
                                                                       {"reload", &Commands::reload},
                                                                       {"zone-status", &Commands::zone_status},
                                                                       {"zone-refresh", &Commands::refresh},
                                                                       {"zone-retransfer", &Commands::refresh},
                                                                       {"notify", &Commands::notify},
                                                                       {"stats", &Commands::stats},
                                                                       {"config-check", &Commands::config_check},
                                                                       {"upgrade", &Commands::upgrade},
                                                                       {"stop", &Commands::stop}};
  auto it = handlers.find(request.command);
  if (it != handlers.end()) return (this->*it->second)(request, respond);
  std::string line = control::encode(request);
  line.pop_back();  // its '\n'
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  respond(refuse(request, "unknown command '" + line + "'; commands: " + kCommands));
}

void Commands::status(const control::Request& request, const Respond& respond) {
  if (!request.args.empty()) return respond(refuse(request, "status takes no arguments"));
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  auto facts = reloader_.facts();
  std::size_t zones = store_.load()->zones.size();
  std::string text = fmt::format("version {}\nuptime {} s\nworkers {} per listen address\n", RPDNS_VERSION,
                                 uptime.count(), config_.server.workers);
  Json listen = Json::array();
  for (const auto& l : config_.server.listen) {
    text += "listen " + l.to_string() + "\n";
    listen.push_back(l.to_string());
  }
  text += fmt::format("zones {}\nreloads {} done, {} with errors", zones, facts.succeeded, facts.failed);
  if (facts.last_unix_time != 0) {
    text += fmt::format("; the last {} in {:.3f} s", facts.last_ok ? "ok" : "with errors", facts.last_seconds);
  }
  if (reloader_.busy()) text += "; one running now";
  Json reloads{{"succeeded", facts.succeeded}, {"failed", facts.failed}, {"running", reloader_.busy()}};
  if (facts.last_unix_time != 0) {
    reloads["last_ok"] = facts.last_ok;
    reloads["last_seconds"] = facts.last_seconds;
    reloads["last_at"] = zone::utc_text(static_cast<int64_t>(facts.last_unix_time));
  }
  Json json{{"version", RPDNS_VERSION},
            {"uptime_seconds", uptime.count()},
            {"workers", config_.server.workers},
            {"listen", listen},
            {"zones", zones},
            {"reloads", reloads}};
  respond(answer(request, true, json, text + "\n"));
}

void Commands::reload(const control::Request& request, const Respond& respond) {
  bool json = request.json;
  auto done = [respond, json](const reload::Reloader::Result& result) { respond(describe(result, json)); };
  if (request.args.empty()) return reloader_.request(done);
  std::vector<dns::WireName> origins;
  if (zone_names(request, respond, origins)) reloader_.request_zones(std::move(origins), done);
}

void Commands::refresh(const control::Request& request, const Respond& respond) {
  std::vector<dns::WireName> origins;
  if (request.args.size() != 1) return respond(refuse(request, request.command + " takes one zone"));
  if (!zone_names(request, respond, origins)) return;
  bool whole = request.command == "zone-retransfer";
  std::string zone = origins.front().text();
  reloader_.refresh_zone(origins.front(), whole, [request, respond, whole, zone](const std::string& problem) {
    if (!problem.empty()) return respond(refuse(request, problem));
    std::string what = whole ? "transferring it whole" : "checking its primaries";
    respond(answer(request, true, Json{{"zone", zone}, {"started", whole ? "retransfer" : "refresh"}},
                   "zone " + zone + ": " + what + " now (zone-status shows the result)\n"));
  });
}

void Commands::notify(const control::Request& request, const Respond& respond) {
  std::vector<dns::WireName> origins;
  if (request.args.size() != 1) return respond(refuse(request, "notify takes one zone"));
  if (!zone_names(request, respond, origins)) return;
  std::string zone = origins.front().text();
  reloader_.notify_zone(origins.front(), [request, respond, zone](const std::string& problem, std::size_t targets) {
    if (!problem.empty()) return respond(refuse(request, problem));
    respond(answer(request, true, Json{{"zone", zone}, {"targets", targets}},
                   fmt::format("zone {}: NOTIFY sent to {} address{}\n", zone, targets, targets == 1 ? "" : "es")));
  });
}

void Commands::zone_status(const control::Request& request, const Respond& respond) {
  std::vector<dns::WireName> origins;
  if (!zone_names(request, respond, origins)) return;
  auto snapshot = store_.load();
  std::map<std::string, stats::SecondaryFacts> timers;
  for (auto& f : reloader_.secondary_facts()) timers.emplace(f.zone, std::move(f));
  std::map<std::string, std::shared_ptr<const zone::Zone>> zones;  // by name, in order
  if (origins.empty()) {
    snapshot->zones.for_each([&zones](const std::string&, const std::shared_ptr<const zone::Zone>& z) {
      zones.emplace(dns::to_text(z->origin), z);
    });
  }
  for (const auto& origin : origins) {
    auto z = snapshot->zones.get(origin.wire());
    if (!z) return respond(refuse(request, "zone " + origin.text() + " is not served"));
    zones.emplace(origin.text(), z);
  }
  Json list = Json::array();
  std::string text;
  for (const auto& [name, z] : zones) {
    auto t = timers.find(name);
    list.push_back(zone_json(*z, snapshot->zones.secondary(*z) != nullptr, t == timers.end() ? nullptr : &t->second));
    text += zone_text(list.back());
  }
  respond(answer(request, true, Json{{"zones", list}}, text));
}

void Commands::stats(const control::Request& request, const Respond& respond) {
  if (!request.args.empty()) return respond(refuse(request, "stats takes no arguments"));
  std::string text = metrics_();
  respond(answer(request, true, request.json ? Json{{"metrics", metrics_json(text)}} : Json(), text));
}

void Commands::config_check(const control::Request& request, const Respond& respond) {
  if (!request.args.empty()) return respond(refuse(request, "config-check takes no arguments"));
  reloader_.check([request, respond](const std::vector<std::string>& problems, const config::Config* config,
                                     const std::vector<reload::ZoneReport>& reports) {
    std::vector<std::string> errors = problems;
    for (const auto& r : reports) errors.insert(errors.end(), r.errors.begin(), r.errors.end());
    std::string text;
    for (const auto& e : errors) text += "error: " + e + "\n";
    Json zones = Json::array();
    for (const auto& r : reports) zones.push_back(report_json(r));
    if (config != nullptr && errors.empty()) text += check_summary(*config, reports);
    respond(answer(request, errors.empty(), Json{{"ok", errors.empty()}, {"errors", errors}, {"zones", zones}}, text));
  });
}

void Commands::upgrade(const control::Request& request, const Respond& respond) {
  if (!request.args.empty()) return respond(refuse(request, "upgrade takes no arguments"));
  if (!upgrade_) return respond(refuse(request, "upgrade is not available"));
  upgrade_([request, respond](bool ok, const std::string& message) {
    respond(answer(request, ok, Json{{"ok", ok}, {"message", message}}, message + "\n"));
  });
}

void Commands::stop(const control::Request& request, const Respond& respond) {
  if (!request.args.empty()) return respond(refuse(request, "stop takes no arguments"));
  respond(answer(request, true, Json{{"stopping", true}}, "stopping\n"));
  stop_();
}

}  // namespace rpdns::app
