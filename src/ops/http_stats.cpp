#include "ops/http_stats.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>

namespace rpdns::ops {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr auto kRequestTimeout = std::chrono::seconds(5);

// One connection: read one request, answer it, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpStats::Render& render) : stream_(std::move(socket)), render_(render) {}

  void start() {
    stream_.expires_after(kRequestTimeout);  // a slow client cannot hold the endpoint
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->respond(ec); });
  }

 private:
  void respond(beast::error_code ec) {
    if (ec) return;
    bool metrics = request_.target() == "/metrics";
    response_.version(request_.version());
    response_.keep_alive(false);
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      response_.result(http::status::method_not_allowed);
      response_.body() = "only GET\n";
    } else if (!metrics) {
      response_.result(http::status::not_found);
      response_.body() = "see /metrics\n";
    } else {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response_.body() = render_();
    }
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  const HttpStats::Render& render_;
};

}  // namespace

HttpStats::HttpStats(const config::ListenAddress& address, Render render) : render_(std::move(render)), acceptor_(io_) {
  try {
    tcp::endpoint endpoint(boost::asio::ip::make_address(address.host), address.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
  } catch (const boost::system::system_error& e) {  // not a std::system_error in Boost 1.74
    throw std::runtime_error("cannot listen on " + address.to_string() + " (stats http): " + e.code().message());
  }
}

HttpStats::~HttpStats() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void HttpStats::start() {
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

void HttpStats::stop() { io_.stop(); }

void HttpStats::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(std::move(socket), render_)->start();
    accept();
  });
}

}  // namespace rpdns::ops
