// Secondary zones (RFC 1034 §4.3.5, RFC 1996): each is kept current from
// its primaries by SOA checks at the zone's refresh interval (retry after
// a failure), NOTIFY, and transfers; past expire without a successful
// refresh it is answered SERVFAIL. A transferred zone is compiled by the
// same builder as a file, published with the same swap as a reload, and
// written to the zone's `file` as the copy served after a restart, whose
// modification time records the last successful refresh.
//
// Runs on the reloader's io_context thread, so publishing never races a
// reload; notify_received() may be called from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dns/name.hpp"
#include "stats/exposition.hpp"
#include "xfr/client.hpp"
#include "xfr/notifier.hpp"
#include "answer/snapshot.hpp"

namespace rpdns::reload {

using stats::SecondaryFacts;

class Secondaries {
 public:
  // Sends NOTIFY for a zone's new serial to its `notify:` list: a
  // secondary may be a primary for others too.
  using Notify =
      std::function<void(const dns::WireName& origin, uint32_t serial, const std::vector<xfr::NotifyTarget>& targets)>;
  Secondaries(boost::asio::io_context& io, answer::SnapshotStore& store, std::function<void()> after_publish,
              Notify notify);
  ~Secondaries();
  Secondaries(const Secondaries&) = delete;
  Secondaries& operator=(const Secondaries&) = delete;

  // Takes up the secondary zones of `config` (at start, and after each
  // reload has published the config's zones): new ones are checked at
  // once, removed ones forgotten, changed primaries used from now on.
  // On the io_context's thread.
  void configure(const config::Config& config);
  // A NOTIFY was accepted for `origin`, with the
  // serial of the SOA it carried if any: a SOA check now, or one pending
  // check for all that come while one runs or within a second of its
  // start; none when the serial is not newer than ours. Any thread.
  void notify_received(const dns::WireName& origin, std::optional<uint32_t> serial);
  // rpdnsctl zone-refresh and zone-retransfer: a SOA check of `origin` now
  // (after the one under way, if any); with `whole`, then a full transfer
  // (AXFR) whatever serial the primary has. `done` gets "" or why not, on
  // the io_context's thread. Any thread.
  void refresh_now(const dns::WireName& origin, bool whole, std::function<void(std::string)> done);
  std::vector<SecondaryFacts> facts() const;

  // The copy in `zone`'s file was dated `mtime` (Unix time): it is served
  // until mtime + the SOA's expire. Shared with build_snapshot.
  static int64_t copy_expires_at(const zone::Zone& zone, int64_t mtime);
  // Whom a secondary zone takes NOTIFY from: its primaries' addresses, and their keys.
  static std::vector<policy::KeyedPrefix> notify_sources(const config::ZoneConfig& zone);

 private:
  struct State;

  void copy_unusable(State& s);
  void act_on_notify(State& s, std::optional<uint32_t> serial);
  void check(State& s);
  std::optional<dns::tsig::Key> primary_key(const State& s, std::size_t index) const;
  void refreshed(State& s, bool was_expired);
  void try_primary(State& s, std::size_t index);
  void soa_answered(State& s, std::size_t index, const xfr::SoaResult& r);
  // IXFR first when a version is served (RFC 1995), AXFR otherwise or
  // when the IXFR fails.
  void transfer(State& s, std::size_t index);
  void fetch_whole(State& s, std::size_t index, bool fallback);
  void incremental(State& s, std::size_t index, xfr::IxfrResult result, const std::shared_ptr<const zone::Zone>& served,
                   double seconds);
  void transferred(State& s, std::size_t index, xfr::AxfrResult result, double seconds, const char* kind);
  // Writes a transfer's copy (and its journal, after it) before it is
  // served; "" or why it cannot be kept.
  std::string keep_copy(const State& s, zone::Zone& copy);
  void failed(State& s, const std::string& why);
  void schedule(State& s);
  void arm_expiry(State& s);
  void publish(State& s, std::shared_ptr<const zone::Zone> copy);
  void update_facts(const State& s);

  boost::asio::io_context& io_;
  answer::SnapshotStore& store_;
  std::function<void()> after_publish_;
  Notify notify_;
  std::map<dns::WireName, std::unique_ptr<State>> zones_;  // io thread only
  std::vector<dns::tsig::Key> keys_;                       // the config's TSIG keys; io thread only
  zone::JournalLimits journal_;                            // the config's journal bounds; io thread only
  mutable std::mutex facts_mutex_;
  std::map<dns::WireName, SecondaryFacts> facts_;
};

}  // namespace rpdns::reload
