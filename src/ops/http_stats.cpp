#include "ops/http_stats.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <stdexcept>

namespace rpdns::ops {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr std::size_t kBufferLimit = 2 * HttpStats::kHeaderLimit;
constexpr auto kLogInterval = std::chrono::seconds(10);
constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

// One connection: read one request (headers only: no request we serve has
// a body), answer it, close. The deadline covers the whole request, so a
// client sending a byte at a time is cut when it expires.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpStats::Render& render, unsigned& open)
      : stream_(std::move(socket)), buffer_(kBufferLimit), render_(render), open_(open) {
    ++open_;
    parser_.header_limit(static_cast<std::uint32_t>(HttpStats::kHeaderLimit));
    parser_.body_limit(0);  // a declared Content-Length over 0 fails the read at once
  }
  ~Session() { --open_; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    stream_.expires_after(HttpStats::kRequestTimeout);
    http::async_read_header(stream_, buffer_, parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->respond(ec); });
  }

 private:
  void respond(beast::error_code ec) {
    if (ec == http::error::body_limit) return reply(http::status::payload_too_large, "no request body\n");
    if (ec == http::error::header_limit) {
      return reply(http::status::request_header_fields_too_large, "request header over 4 KiB\n");
    }
    // Closed before or during a request, timed out, reset: nobody to answer.
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || (ec && !is_http_error(ec))) return;
    if (ec) return reply(http::status::bad_request, "bad request\n");
    if (!parser_.is_done()) return reply(http::status::payload_too_large, "no request body\n");  // chunked

    const auto& request = parser_.get();
    bool head = request.method() == http::verb::head;
    auto target = request.target();
    if (target.substr(0, target.find('?')) != "/metrics") {
      return reply(http::status::not_found, "see /metrics\n", head);
    }
    if (request.method() != http::verb::get && !head) {
      response_.set(http::field::allow, "GET, HEAD");
      return reply(http::status::method_not_allowed, "only GET and HEAD\n");
    }
    response_.set(http::field::content_type, kContentType);
    reply(http::status::ok, render_(), head);
  }

  // Sends `body` (or, for HEAD, only the headers that would come with it)
  // and closes.
  void reply(http::status status, std::string body, bool head = false) {
    response_.result(status);
    response_.version(parser_.get().version());  // 1.1 unless the request line said otherwise
    response_.keep_alive(false);
    if (response_.find(http::field::content_type) == response_.end()) {
      response_.set(http::field::content_type, "text/plain; charset=utf-8");
    }
    response_.body() = std::move(body);
    response_.prepare_payload();  // Content-Length of the body
    if (head) response_.body().clear();
    stream_.expires_after(HttpStats::kRequestTimeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
  const HttpStats::Render& render_;
  unsigned& open_;
};

}  // namespace

HttpStats::HttpStats(const config::ListenAddress& address, Render render)
    : render_(std::move(render)), acceptor_(io_), backoff_(io_) {
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

// Prompt even while the accept loop waits out a backoff: run() returns at
// once, and the pending timer and sessions go with io_.
void HttpStats::stop() { io_.stop(); }

void HttpStats::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return accept_failed(ec);
    accepted(std::move(socket));
    accept();
  });
}

void HttpStats::accepted(tcp::socket socket) {
  if (accept_errors_ != 0) {
    spdlog::info("stats http accepting again after {} failed accepts", accept_errors_);
    accept_errors_ = 0;
  }
  if (open_ < kMaxConnections) {
    std::make_shared<Session>(std::move(socket), render_, open_)->start();
    return;
  }
  // Over the cap: `socket` closes as it goes out of scope.
  ++refused_;
  auto now = std::chrono::steady_clock::now();
  if (now - last_refused_log_ >= kLogInterval) {
    last_refused_log_ = now;
    spdlog::warn("stats http: {} connections open, the most allowed; closed {} new ones", open_, refused_);
    refused_ = 0;
  }
}

// Any error but cancellation (EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED
// and the like) waits kAcceptBackoff before the next try: re-arming at once
// would find the same error and spin. Logged at the start of an episode and
// then at most every kLogInterval.
void HttpStats::accept_failed(const boost::system::error_code& ec) {
  ++accept_errors_;
  auto now = std::chrono::steady_clock::now();
  if (accept_errors_ == 1 || now - last_error_log_ >= kLogInterval) {
    last_error_log_ = now;
    spdlog::warn("stats http accept failed: {} ({} in a row); retrying every {} ms", ec.message(), accept_errors_,
                 kAcceptBackoff.count());
  }
  backoff_.expires_after(kAcceptBackoff);
  backoff_.async_wait([this](const boost::system::error_code& wait_ec) {
    if (!wait_ec && acceptor_.is_open()) accept();
  });
}

}  // namespace rpdns::ops
