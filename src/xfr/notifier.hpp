// NOTIFY out (RFC 1996): tells secondaries that a zone's serial changed.
// Runs on a thread of its own; each message is retried with back-off until
// the secondary answers or the tries run out.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "dns/name.hpp"
#include "xfr/exchange.hpp"

namespace rpdns::xfr {

// Where a NOTIFY goes, and the key it is signed with (RFC 8945), if any.
struct NotifyTarget {
  config::ListenAddress address;
  std::optional<dns::tsig::Key> key;
};

// A zone's `notify:` list with its keys looked up in `keys`.
std::vector<NotifyTarget> notify_targets(const std::vector<dns::tsig::Key>& keys, const config::ZoneConfig& zone);

class Notifier {
 public:
  Notifier();
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Sends NOTIFY for `origin` with `serial` to each
  // target. Safe from any thread; returns at once. A NOTIFY still being
  // retried for the same zone and target is dropped: the new serial
  // supersedes it, and each would hold a socket for half a minute.
  void notify(const dns::WireName& origin, uint32_t serial, const std::vector<NotifyTarget>& targets);

 private:
  void send(const dns::WireName& origin, uint32_t serial, const NotifyTarget& target);

  boost::asio::io_context io_;
  // The NOTIFY in flight per zone and target ("example.com. 192.0.2.1:53"); notifier thread only.
  std::map<std::string, std::weak_ptr<Exchange>> in_flight_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace rpdns::xfr
