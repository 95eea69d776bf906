// A tiny HTTP endpoint (Boost.Beast) serving Prometheus text at /metrics.
// Runs on a thread of its own; never touches the query path.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <thread>

#include "config/config.hpp"

namespace rpdns::ops {

class HttpStats {
 public:
  using Render = std::function<std::string()>;

  // Binds `address` (throws std::runtime_error naming it on failure).
  HttpStats(const config::ListenAddress& address, Render render);
  ~HttpStats();
  HttpStats(const HttpStats&) = delete;
  HttpStats& operator=(const HttpStats&) = delete;

  void start();
  void stop();

 private:
  void accept();

  Render render_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

}  // namespace rpdns::ops
