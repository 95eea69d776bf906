// A tiny HTTP endpoint (Boost.Beast) serving Prometheus text at /metrics.
// Runs on a thread of its own; never touches the query path. It shares the
// process's descriptor budget with DNS, so what a client may cost is small
// and fixed: see the limits below.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "config/config.hpp"

namespace rpdns::ops {

class HttpStats {
 public:
  using Render = std::function<std::string()>;

  // Connections open at once; one accepted beyond this is closed at once,
  // so a flood of clients holds at most this many descriptors.
  static constexpr unsigned kMaxConnections = 8;
  // Request line and headers together; a request may have no body.
  static constexpr std::size_t kHeaderLimit = 4096;
  // For the whole request, from accept; and again for writing the reply.
  static constexpr std::chrono::seconds kRequestTimeout{2};
  // After a failed accept (EMFILE, ENFILE, ENOBUFS, ENOMEM...), the wait
  // before the next try, so the error cannot make the thread spin.
  static constexpr std::chrono::milliseconds kAcceptBackoff{100};

  // Binds `address` (throws std::runtime_error naming it on failure).
  HttpStats(const config::ListenAddress& address, Render render);
  ~HttpStats();
  HttpStats(const HttpStats&) = delete;
  HttpStats& operator=(const HttpStats&) = delete;

  void start();
  void stop();

 private:
  void accept();
  void accepted(boost::asio::ip::tcp::socket socket);
  void accept_failed(const boost::system::error_code& ec);

  Render render_;
  // Touched only on the endpoint's thread; declared before io_ because
  // sessions still queued in io_ when it is destroyed count themselves out.
  unsigned open_ = 0;
  uint64_t accept_errors_ = 0;  // in the current episode of failed accepts
  uint64_t refused_ = 0;        // over kMaxConnections since the last log
  std::chrono::steady_clock::time_point last_error_log_{};
  std::chrono::steady_clock::time_point last_refused_log_{};
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::thread thread_;
};

}  // namespace rpdns::ops
