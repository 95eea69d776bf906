#include "stats/exposition.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace rpdns::stats {
namespace {

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void per_worker(std::ostringstream& out, const std::vector<WorkerView>& workers, const char* name, const char* help,
                Counter WorkerCounters::*field) {
  header(out, name, "counter", help);
  for (std::size_t i = 0; i < workers.size(); ++i) {
    out << name << "{worker=\"" << i << "\",listen=\"" << workers[i].listen << "\"} " << workers[i].total(field)
        << '\n';
  }
}

void by_rcode(std::ostringstream& out, const std::vector<WorkerView>& workers) {
  header(out, "rpdns_replies_total", "counter", "Replies sent, by response code.");
  for (std::size_t i = 0; i < workers.size(); ++i) {
    for (std::size_t r = 0; r < kRcodeNames.size(); ++r) {
      out << "rpdns_replies_total{worker=\"" << i << "\",rcode=\"" << kRcodeNames[r] << "\"} "
          << workers[i].rcode_total(r) << '\n';
    }
  }
}

void by_type(std::ostringstream& out, const std::vector<WorkerView>& workers) {
  header(out, "rpdns_queries_by_type_total", "counter", "Answered queries, by query type.");
  for (std::size_t i = 0; i < workers.size(); ++i) {
    for (std::size_t t = 0; t < kTypeSlots; ++t) {
      std::string_view type = t < kCountedTypes.size() ? kCountedTypes[t].second : "other";
      out << "rpdns_queries_by_type_total{worker=\"" << i << "\",type=\"" << type << "\"} " << workers[i].type_total(t)
          << '\n';
    }
  }
}

void by_cookie(std::ostringstream& out, const std::vector<WorkerView>& workers) {
  header(out, "rpdns_cookies_total", "counter", "Requests with a DNS COOKIE option, by what it came to.");
  for (std::size_t i = 0; i < workers.size(); ++i) {
    for (std::size_t c = 0; c < kCookieResults.size(); ++c) {
      out << "rpdns_cookies_total{worker=\"" << i << "\",result=\"" << kCookieResults[c] << "\"} "
          << workers[i].cookie_total(c) << '\n';
    }
  }
}

// The worker's own drops (its ring full) and the writer's (no collector) are one figure.
void dnstap(std::ostringstream& out, const std::vector<WorkerView>& workers) {
  per_worker(out, workers, "rpdns_dnstap_sent_total", "dnstap messages written to the collector.",
             &WorkerCounters::dnstap_sent);
  header(out, "rpdns_dnstap_dropped_total", "counter",
         "dnstap messages dropped: the worker's queue was full, or the collector was away.");
  for (std::size_t i = 0; i < workers.size(); ++i) {
    out << "rpdns_dnstap_dropped_total{worker=\"" << i << "\",listen=\"" << workers[i].listen << "\"} "
        << workers[i].total(&WorkerCounters::dnstap_dropped) + workers[i].total(&WorkerCounters::dnstap_lost) << '\n';
  }
}

void zone_facts(std::ostringstream& out, const std::vector<ZoneFacts>& zones) {
  header(out, "rpdns_zone_serial", "gauge", "SOA serial of each zone being served.");
  for (const auto& z : zones) out << "rpdns_zone_serial{zone=\"" << z.name << "\"} " << z.serial << '\n';
  header(out, "rpdns_zone_records", "gauge", "Records in each zone being served.");
  for (const auto& z : zones) out << "rpdns_zone_records{zone=\"" << z.name << "\"} " << z.records << '\n';
  header(out, "rpdns_zone_journal_versions", "gauge", "Changes kept in each zone's journal for IXFR.");
  for (const auto& z : zones)
    out << "rpdns_zone_journal_versions{zone=\"" << z.name << "\"} " << z.journal_versions << '\n';
  header(out, "rpdns_zone_journal_bytes", "gauge", "Bytes of the changes kept in each zone's journal.");
  for (const auto& z : zones) out << "rpdns_zone_journal_bytes{zone=\"" << z.name << "\"} " << z.journal_bytes << '\n';
  // Signed zones only: an alert on "time() > this - N days" fires before
  // the zone goes bogus.
  header(out, "rpdns_zone_signature_expiration_timestamp_seconds", "gauge",
         "When the first RRSIG of each signed zone expires (Unix time).");
  for (const auto& z : zones) {
    if (z.signature_expiration == 0) continue;
    out << "rpdns_zone_signature_expiration_timestamp_seconds{zone=\"" << z.name << "\"} " << z.signature_expiration
        << '\n';
  }
}

template <class Value>
void per_secondary(std::ostringstream& out, const std::vector<SecondaryFacts>& zones, const char* name,
                   const char* type, const char* help, Value value) {
  header(out, name, type, help);
  for (const auto& z : zones) out << name << "{zone=\"" << z.zone << "\"} " << value(z) << '\n';
}

void secondary_facts(std::ostringstream& out, const std::vector<SecondaryFacts>& zones) {
  if (zones.empty()) return;
  per_secondary(out, zones, "rpdns_secondary_serial", "gauge", "SOA serial of the copy served (0: none yet).",
                [](const SecondaryFacts& z) { return z.serial; });
  per_secondary(out, zones, "rpdns_secondary_expired", "gauge",
                "1 while the zone is answered SERVFAIL: its copy expired, or there is none yet.",
                [](const SecondaryFacts& z) { return z.expired ? 1 : 0; });
  per_secondary(out, zones, "rpdns_secondary_last_refresh_timestamp_seconds", "gauge",
                "When the zone was last found current at a primary (0: never).",
                [](const SecondaryFacts& z) { return z.last_refresh; });
  per_secondary(out, zones, "rpdns_secondary_next_refresh_timestamp_seconds", "gauge",
                "When the next SOA check is due.", [](const SecondaryFacts& z) { return z.next_refresh; });
  per_secondary(out, zones, "rpdns_secondary_expire_timestamp_seconds", "gauge",
                "When the copy expires without a successful refresh (0: no copy).",
                [](const SecondaryFacts& z) { return z.expires_at; });
  per_secondary(out, zones, "rpdns_secondary_refresh_failures_total", "counter",
                "Refreshes that reached no primary or got no usable zone.",
                [](const SecondaryFacts& z) { return z.failures; });
  per_secondary(out, zones, "rpdns_secondary_transfers_total", "counter", "Zone transfers published.",
                [](const SecondaryFacts& z) { return z.transfers; });
  per_secondary(out, zones, "rpdns_secondary_incremental_transfers_total", "counter",
                "Zone transfers published that came as IXFR changes (RFC 1995).",
                [](const SecondaryFacts& z) { return z.incremental_transfers; });
  per_secondary(out, zones, "rpdns_secondary_axfr_fallbacks_total", "counter",
                "IXFRs that failed and were followed by an AXFR.",
                [](const SecondaryFacts& z) { return z.axfr_fallbacks; });
  per_secondary(out, zones, "rpdns_secondary_transfer_bytes_total", "counter",
                "Bytes of DNS messages of the zone transfers published.",
                [](const SecondaryFacts& z) { return z.transfer_bytes; });
  per_secondary(out, zones, "rpdns_secondary_copy_load_failures_total", "counter",
                "Kept copies that failed to load when the zone was taken up; it was transferred instead.",
                [](const SecondaryFacts& z) { return z.copy_load_failures; });
  per_secondary(out, zones, "rpdns_secondary_last_transfer_bytes", "gauge", "Bytes of the last zone transfer.",
                [](const SecondaryFacts& z) { return z.last_transfer_bytes; });
  per_secondary(out, zones, "rpdns_secondary_last_transfer_duration_seconds", "gauge",
                "How long the last zone transfer took.", [](const SecondaryFacts& z) {
                  char buf[32];
                  std::snprintf(buf, sizeof buf, "%.6f", z.last_transfer_seconds);
                  return std::string(buf);
                });
}

// One series per zone, its role a label (the Prometheus "info" idiom), so
// that dashboards can join any per-zone metric on it. A secondary with no
// copy yet is not among the zones served, but it is a zone of ours.
void zone_roles(std::ostringstream& out, const std::vector<ZoneFacts>& zones,
                const std::vector<SecondaryFacts>& secondaries) {
  header(out, "rpdns_zone_role", "gauge", "1 for each configured zone, labelled primary or secondary.");
  auto is_secondary = [&](const std::string& name) {
    return std::any_of(secondaries.begin(), secondaries.end(), [&](const SecondaryFacts& s) { return s.zone == name; });
  };
  for (const auto& z : zones) {
    if (!is_secondary(z.name)) out << "rpdns_zone_role{zone=\"" << z.name << "\",role=\"primary\"} 1\n";
  }
  for (const auto& s : secondaries) out << "rpdns_zone_role{zone=\"" << s.zone << "\",role=\"secondary\"} 1\n";
}

void reload_facts(std::ostringstream& out, const ReloadFacts& reload) {
  header(out, "rpdns_reloads_total", "counter", "Zone reloads (SIGHUP), by result.");
  out << "rpdns_reloads_total{result=\"ok\"} " << reload.succeeded << '\n';
  out << "rpdns_reloads_total{result=\"error\"} " << reload.failed << '\n';
  header(out, "rpdns_last_reload_timestamp_seconds", "gauge", "When the last reload finished (0: none yet).");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", reload.last_unix_time);
  out << "rpdns_last_reload_timestamp_seconds " << buf << '\n';
  header(out, "rpdns_last_reload_duration_seconds", "gauge", "How long the last reload took.");
  std::snprintf(buf, sizeof buf, "%.6f", reload.last_seconds);
  out << "rpdns_last_reload_duration_seconds " << buf << '\n';
  header(out, "rpdns_last_reload_success", "gauge", "1 when the last reload loaded every zone.");
  out << "rpdns_last_reload_success " << (reload.last_ok ? 1 : 0) << '\n';
}

}  // namespace

std::string prometheus_text(const std::vector<WorkerView>& workers, const std::vector<ZoneFacts>& zones,
                            const ReloadFacts& reload) {
  return prometheus_text(workers, zones, reload, {});
}

std::string prometheus_text(const std::vector<WorkerView>& workers, const std::vector<ZoneFacts>& zones,
                            const ReloadFacts& reload, const std::vector<SecondaryFacts>& secondaries) {
  std::ostringstream out;
  per_worker(out, workers, "rpdns_queries_total", "Datagrams received.", &WorkerCounters::queries);
  per_worker(out, workers, "rpdns_responses_sent_total", "Replies handed to the kernel.", &WorkerCounters::replies);
  per_worker(out, workers, "rpdns_dropped_total", "Datagrams not answered (malformed, or responses).",
             &WorkerCounters::dropped);
  per_worker(out, workers, "rpdns_truncated_total", "Replies sent with TC set.", &WorkerCounters::truncated);
  per_worker(out, workers, "rpdns_edns_total", "Requests that carried an EDNS OPT record.", &WorkerCounters::edns);
  per_worker(out, workers, "rpdns_send_errors_total", "Replies the kernel would not send.",
             &WorkerCounters::send_errors);
  per_worker(out, workers, "rpdns_rate_limited_dropped_total", "Replies dropped by response rate limiting.",
             &WorkerCounters::rate_limited_dropped);
  per_worker(out, workers, "rpdns_rate_limited_slipped_total",
             "Replies sent truncated (slip) by response rate limiting.", &WorkerCounters::rate_limited_slipped);
  per_worker(out, workers, "rpdns_tcp_refused_total",
             "TCP connections closed at accept: the client's prefix at its cap, or every slot taken.",
             &WorkerCounters::tcp_refused);
  per_worker(out, workers, "rpdns_tcp_evicted_total", "TCP connections closed to make room for a new client.",
             &WorkerCounters::tcp_evicted);
  per_worker(out, workers, "rpdns_tcp_accept_errors_total",
             "TCP accepts that failed (descriptors or memory exhausted); each pauses accepting for 100 ms.",
             &WorkerCounters::tcp_accept_errors);
  per_worker(out, workers, "rpdns_transfers_axfr_total", "AXFRs streamed to secondaries.",
             &WorkerCounters::transfers_axfr);
  per_worker(out, workers, "rpdns_transfers_ixfr_total",
             "IXFRs answered with the changes since the client's serial (RFC 1995).", &WorkerCounters::transfers_ixfr);
  per_worker(out, workers, "rpdns_transfers_ixfr_full_total",
             "IXFRs for a serial the journal does not reach, answered with the whole zone.",
             &WorkerCounters::transfers_ixfr_full);
  per_worker(out, workers, "rpdns_transfer_bytes_total", "Bytes of the zone transfer messages sent over TCP.",
             &WorkerCounters::transfer_bytes);
  by_rcode(out, workers);
  by_type(out, workers);
  by_cookie(out, workers);
  dnstap(out, workers);
  zone_facts(out, zones);
  zone_roles(out, zones, secondaries);
  secondary_facts(out, secondaries);
  reload_facts(out, reload);
  return out.str();
}

std::string balance_line(const std::vector<WorkerView>& workers) {
  uint64_t total = 0, most = 0, least = UINT64_MAX;
  for (const auto& w : workers) {
    uint64_t q = w.total(&WorkerCounters::queries);
    total += q;
    most = std::max(most, q);
    least = std::min(least, q);
  }
  std::ostringstream out;
  out << total << " queries in all over " << workers.size() << " workers; ";
  if (workers.empty() || least == 0) {
    out << "at least one worker received none";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(most) / static_cast<double>(least));
    out << "busiest/idlest worker = " << buf;
  }
  return out.str();
}

}  // namespace rpdns::stats
