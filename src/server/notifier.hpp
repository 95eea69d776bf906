// NOTIFY out (RFC 1996): tells secondaries that a zone's serial changed.
// Runs on a thread of its own; each message is retried with back-off until
// the secondary answers or the tries run out.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"

namespace rpdns::server {

class Notifier {
 public:
  Notifier();
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Sends NOTIFY for `origin` (canonical wire form) with `serial` to each
  // target. Safe from any thread; returns at once.
  void notify(const std::string& origin, uint32_t serial, const std::vector<config::ListenAddress>& targets);

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace rpdns::server
