// A tiny HTTP endpoint (Boost.Beast) serving Prometheus text at /metrics.
// Runs on a thread of its own; never touches the query path. What one
// request may cost is small and fixed: see the limits below.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <thread>

#include "config/config.hpp"

namespace rpdns::ops {

class HttpStats {
 public:
  using Render = std::function<std::string()>;

  // Request line and headers together; a request may have no body.
  static constexpr std::size_t kHeaderLimit = 4096;
  // For the whole request, from accept; and again for writing the reply.
  static constexpr std::chrono::seconds kRequestTimeout{2};

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
