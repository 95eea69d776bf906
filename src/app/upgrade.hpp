// The upgrade without loss (SIGUSR2, or rpdnsctl upgrade). The running
// process starts its successor (ops/successor.hpp) and hands it every
// listening socket: the same kernel sockets, so the reuseport group never
// changes size and nothing queued in it is lost. The successor loads the
// configuration and zones while this process serves, starts answering on
// the shared sockets, and says "ready" on the channel. Then this process
// stops reading, sends its counters (the successor's totals carry on),
// lets its open TCP connections finish up to shutdown-grace, and exits 0.
// A successor that fails before "ready" leaves this process serving.
//
// The channel carries lines of text:
//   successor → predecessor   "ready PID"
//   predecessor → successor   "worker INDEX LISTEN N V1 ... VN" per worker, then "end"
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stats/exposition.hpp"

namespace rpdns::app {

// The predecessor's side, on the control thread's io_context.
class Upgrader {
 public:
  using Ready = std::function<void(pid_t successor)>;
  using Failed = std::function<void(const std::string& why)>;

  // `args`: this process's command line, argv[0] first.
  Upgrader(boost::asio::io_context& io, std::vector<std::string> args);

  // Starts a successor holding `fds`. `ready` runs once it serves (the
  // caller then drains and calls hand_over); `failed` when it could not be
  // started or ended before it was ready (it has been reaped by then).
  void start(const std::vector<int>& fds, Ready ready, Failed failed);
  bool busy() const { return busy_; }
  // Sends the counters and "end", and lets the successor go.
  void hand_over(const std::vector<stats::WorkerView>& workers);

 private:
  void read_line();
  void on_line(const std::string& line);
  void reap(std::string why, int attempts);

  std::vector<std::string> args_;
  boost::asio::local::stream_protocol::socket channel_;
  boost::asio::steady_timer timer_;
  std::string buffer_;
  pid_t pid_ = -1;
  bool busy_ = false;
  Ready ready_;
  Failed failed_;
};

// The counters of `workers` as the channel carries them ("worker ..." lines).
std::string counters_text(const std::vector<stats::WorkerView>& workers);

// One "worker ..." line read back: its index, listen label and counters;
// false when it is not one.
bool parse_counters(const std::string& line, std::size_t& index, std::string& listen, stats::WorkerCounters& out);

// The successor's side: says "ready" on `channel`, then calls `carry` for
// each worker line until "end" (or the channel closes, or `timeout`), and
// closes the channel. Returns the number of workers carried.
std::size_t take_over(int channel, std::chrono::milliseconds timeout,
                      const std::function<void(std::size_t, const std::string&, const stats::WorkerCounters&)>& carry);

}  // namespace rpdns::app
