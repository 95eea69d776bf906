#include "control/server.hpp"

#include <sys/stat.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace rpdns::control {
namespace {

namespace asio = boost::asio;
using Socket = asio::local::stream_protocol::socket;

// A client must send its whole request within this; a silent one is closed.
constexpr auto kRequestTimeout = std::chrono::seconds(5);
// Connections served at once; more are closed at once, so a client that
// opens many cannot tie up the control thread or its descriptors.
constexpr int kMaxSessions = 16;

// A socket file left by an earlier run would make bind fail; anything else
// at the path is the operator's and stays.
void remove_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode)) throw std::runtime_error("control socket " + path + ": exists and is not a socket");
  ::unlink(path.c_str());
}

}  // namespace

class ControlServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, Handler handler, std::shared_ptr<int> open)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        handler_(std::move(handler)),
        open_(std::move(open)) {
    ++*open_;
  }
  ~Session() { --*open_; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  void start() {
    timer_.expires_after(kRequestTimeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->socket_.close();  // silent too long: the read ends with an error
    });
    asio::async_read_until(socket_, asio::dynamic_buffer(buffer_, kMaxRequest + 1), '\n',
                           [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                             self->timer_.cancel();
                             self->on_request(ec, n);
                           });
  }

 private:
  void on_request(const boost::system::error_code& ec, std::size_t n) {
    if (ec == asio::error::not_found)
      return send({false, "request longer than " + std::to_string(kMaxRequest) + " octets\n"});
    if (ec) return;  // closed, or timed out: nobody to answer
    std::string problem;
    auto request = parse_request(std::string_view(buffer_).substr(0, n - 1), problem);
    if (!request) return send({false, problem + "\n"});
    auto self = shared_from_this();
    handler_(*request, [self](Reply reply) {
      asio::post(self->socket_.get_executor(), [self, reply = std::move(reply)] { self->send(reply); });
    });
  }

  void send(const Reply& reply) {
    out_ = encode(reply);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](const boost::system::error_code&, std::size_t) {
                        boost::system::error_code ignored;
                        self->socket_.shutdown(Socket::shutdown_both, ignored);
                        self->socket_.close(ignored);
                      });
  }

  Socket socket_;
  asio::steady_timer timer_;
  Handler handler_;
  std::shared_ptr<int> open_;
  std::string buffer_;
  std::string out_;
};

ControlServer::ControlServer(asio::io_context& io, std::string path, Handler handler)
    : path_(std::move(path)),
      handler_(std::move(handler)),
      acceptor_(io),
      backoff_(io),
      open_sessions_(std::make_shared<int>(0)) {
  remove_stale_socket(path_);
  boost::system::error_code ec;
  asio::local::stream_protocol::endpoint endpoint(path_);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("control socket " + path_ + ": " + ec.message());
  if (::chmod(path_.c_str(), 0660) != 0) {
    throw std::runtime_error("control socket " + path_ + ": chmod: " + std::strerror(errno));
  }
  accept();
}

ControlServer::~ControlServer() {
  close();
  if (owns_path_) ::unlink(path_.c_str());
}

void ControlServer::stop_accepting() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
  owns_path_ = false;
}

void ControlServer::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
  for (auto& weak : sessions_) {
    if (auto session = weak.lock()) session->close();
  }
  sessions_.clear();
}

void ControlServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, Socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors, say: try again shortly rather than spin.
      backoff_.expires_after(std::chrono::milliseconds(100));
      backoff_.async_wait([this](const boost::system::error_code& wait) {
        if (!wait) accept();
      });
      return;
    }
    std::erase_if(sessions_, [](const std::weak_ptr<Session>& s) { return s.expired(); });
    if (*open_sessions_ < kMaxSessions) {
      auto session = std::make_shared<Session>(std::move(socket), handler_, open_sessions_);
      sessions_.push_back(session);
      session->start();
    }
    accept();
  });
}

}  // namespace rpdns::control
