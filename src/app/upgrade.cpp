#include "app/upgrade.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <system_error>

#include "ops/successor.hpp"

namespace rpdns::app {
namespace {

namespace asio = boost::asio;
// A successor that closed the channel is usually exiting: it is given this
// long to be reaped, polled every kReapStep, before it is killed.
constexpr int kReapAttempts = 100;
constexpr auto kReapStep = std::chrono::milliseconds(20);
constexpr std::size_t kMaxLine = 4096;

std::string exit_text(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "ended";
}

// One line from `fd` within `deadline`, without its newline; false on
// EOF, error or time out.
bool read_line(int fd, std::string& pending, std::string& line, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto newline = pending.find('\n');
    if (newline != std::string::npos) {
      line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      return true;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[4096];
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    pending.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

Upgrader::Upgrader(asio::io_context& io, std::vector<std::string> args)
    : args_(std::move(args)), channel_(io), timer_(io) {}

void Upgrader::start(const std::vector<int>& fds, Ready ready, Failed failed) {
  ops::Successor successor;
  try {
    successor = ops::start_successor(ops::own_executable(), args_, fds);
  } catch (const std::system_error& e) {
    return failed(std::string("cannot start a successor: ") + e.what());
  }
  busy_ = true;
  pid_ = successor.pid;
  ready_ = std::move(ready);
  failed_ = std::move(failed);
  buffer_.clear();
  channel_.assign(asio::local::stream_protocol(), successor.channel);
  spdlog::info("upgrade: started {} as pid {}; it loads while this process serves", ops::own_executable(), pid_);
  read_line();
}

void Upgrader::read_line() {
  asio::async_read_until(channel_, asio::dynamic_buffer(buffer_, kMaxLine), '\n',
                         [this](const boost::system::error_code& ec, std::size_t n) {
                           if (ec) return reap("closed the channel", kReapAttempts);
                           std::string line = buffer_.substr(0, n - 1);
                           buffer_.erase(0, n);
                           on_line(line);
                         });
}

void Upgrader::on_line(const std::string& line) {
  if (line != "ready " + std::to_string(pid_)) {
    // Not a successor of this version's protocol: it must not take over.
    kill(pid_, SIGTERM);
    return reap("said '" + line.substr(0, 80) + "' instead of 'ready'", kReapAttempts);
  }
  busy_ = false;
  ready_(pid_);
}

void Upgrader::reap(std::string why, int attempts) {
  int status = 0;
  pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == 0 && attempts > 0) {
    timer_.expires_after(kReapStep);
    timer_.async_wait([this, why, attempts](const boost::system::error_code&) { reap(why, attempts - 1); });
    return;
  }
  if (done == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    why += " and did not exit; killed";
  } else if (done == pid_) {
    why += " and " + exit_text(status);
  }
  boost::system::error_code ignored;
  channel_.close(ignored);
  busy_ = false;
  failed_("the successor (pid " + std::to_string(pid_) + ") " + why + " before it was ready");
}

void Upgrader::hand_over(const std::vector<stats::WorkerView>& workers) {
  std::string text = counters_text(workers) + "end\n";
  boost::system::error_code ec;
  // Blocking: a few kilobytes into a socket pair whose reader waits for them.
  channel_.non_blocking(false, ec);
  asio::write(channel_, asio::buffer(text), ec);
  if (ec) spdlog::warn("upgrade: the counters did not reach the successor: {}", ec.message());
  channel_.close(ec);
}

std::string counters_text(const std::vector<stats::WorkerView>& workers) {
  std::ostringstream out;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    std::vector<uint64_t> values;
    stats::for_each_counter(*workers[i].counters, [&values](const stats::Counter& c) { values.push_back(c.get()); });
    if (workers[i].carried != nullptr) {
      std::size_t at = 0;
      stats::for_each_counter(*workers[i].carried,
                              [&values, &at](const stats::Counter& c) { values[at++] += c.get(); });
    }
    out << "worker " << i << ' ' << workers[i].listen << ' ' << values.size();
    for (uint64_t v : values) out << ' ' << v;
    out << '\n';
  }
  return out.str();
}

bool parse_counters(const std::string& line, std::size_t& index, std::string& listen, stats::WorkerCounters& out) {
  std::istringstream in(line);
  std::string word;
  std::size_t count = 0;
  if (!(in >> word >> index >> listen >> count) || word != "worker") return false;
  std::vector<uint64_t> values(count);
  for (auto& v : values)
    if (!(in >> v)) return false;
  std::size_t known = 0;
  stats::for_each_counter(out, [&known](const stats::Counter&) { ++known; });
  // A predecessor that counted other things: its totals cannot be mapped.
  if (count != known) return false;
  std::size_t at = 0;
  stats::for_each_counter(out, [&values, &at](stats::Counter& c) { c.add(values[at++]); });
  return true;
}

std::size_t take_over(int channel, std::chrono::milliseconds timeout,
                      const std::function<void(std::size_t, const std::string&, const stats::WorkerCounters&)>& carry) {
  std::string ready = "ready " + std::to_string(getpid()) + "\n";
  std::size_t carried = 0;
  if (write(channel, ready.data(), ready.size()) == static_cast<ssize_t>(ready.size())) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string pending;
    std::string line;
    while (read_line(channel, pending, line, deadline) && line != "end") {
      std::size_t index = 0;
      std::string listen;
      stats::WorkerCounters counters;
      if (!parse_counters(line, index, listen, counters)) {
        spdlog::warn("upgrade: counters from the predecessor not understood; they start from 0");
        continue;
      }
      carry(index, listen, counters);
      ++carried;
    }
  }
  close(channel);
  return carried;
}

}  // namespace rpdns::app
