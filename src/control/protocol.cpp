#include "control/protocol.hpp"

namespace rpdns::control {

std::optional<Request> parse_request(std::string_view line, std::string& problem) {
  if (line.size() > kMaxRequest) {
    problem = "request longer than " + std::to_string(kMaxRequest) + " octets";
    return std::nullopt;
  }
  Request request;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (request.command.empty() && word == "--json" && !request.json) {
      request.json = true;
    } else if (request.command.empty()) {
      request.command = std::move(word);
    } else {
      request.args.push_back(std::move(word));
    }
    word.clear();
  };
  for (char c : line) {
    if (c == ' ' || c == '\t') {
      flush();
    } else if (c > ' ' && c < 0x7f) {
      word += c;
    } else {
      problem = "request holds a control or non-ASCII character";
      return std::nullopt;
    }
  }
  flush();
  if (request.command.empty()) {
    problem = "empty request";
    return std::nullopt;
  }
  return request;
}

std::string encode(const Request& request) {
  std::string out = request.json ? "--json " + request.command : request.command;
  for (const auto& arg : request.args) {
    out += ' ';
    out += arg;
  }
  out += '\n';
  return out;
}

std::string encode(const Reply& reply) {
  std::string out = reply.ok ? "ok\n" : "error\n";
  out += reply.text;
  if (!reply.text.empty() && reply.text.back() != '\n') out += '\n';
  return out;
}

Reply decode(std::string_view received) {
  auto end = received.find('\n');
  std::string_view status = received.substr(0, end);
  if (end == std::string_view::npos || (status != "ok" && status != "error")) {
    return {false, "the server sent no complete reply\n"};
  }
  return {status == "ok", std::string(received.substr(end + 1))};
}

}  // namespace rpdns::control
