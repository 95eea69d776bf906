// The server's end of the control socket (protocol.hpp). It runs on the
// io_context it is given (the process's control thread, never a worker);
// requests go to a handler, which may answer later from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/protocol.hpp"

namespace rpdns::control {

class ControlServer {
 public:
  // Answers one request; call it exactly once, from any thread.
  using Respond = std::function<void(Reply)>;
  using Handler = std::function<void(const Request&, Respond)>;

  // Listens on `path` with mode 0660 (a socket file left there by an
  // earlier run is replaced; any other file is not). Throws
  // std::runtime_error saying why when it cannot.
  ControlServer(boost::asio::io_context& io, std::string path, Handler handler);
  ~ControlServer();
  // Stops listening and closes every connection, answered or not, so the
  // io_context has nothing left of it to run (the server is stopping).
  void close();
  // Stops listening; requests already taken are still answered. The
  // socket file is left to whoever binds the path next (an upgrade's
  // successor), and no longer removed when this goes.
  void stop_accepting();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  class Session;
  void accept();

  std::string path_;
  bool owns_path_ = true;  // the socket file is ours to remove
  Handler handler_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::shared_ptr<int> open_sessions_;  // shared with the sessions, which may outlive this
  std::vector<std::weak_ptr<Session>> sessions_;
};

}  // namespace rpdns::control
