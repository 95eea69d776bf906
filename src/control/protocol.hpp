// The control protocol between the server and rpdnsctl, over a Unix stream
// socket: one request line ("[--json] COMMAND ARG...\n", printable ASCII,
// at most kMaxRequest octets), then one reply, whose first line is "ok" or
// "error" and the rest its text (one JSON document when asked for with
// --json); the server closes the connection after it.
// Permissions on the socket file are the access control.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rpdns::control {

// Longer than any command with a few hundred zone names, short enough that
// a client cannot make the server hold much.
constexpr std::size_t kMaxRequest = 16 * 1024;

struct Request {
  std::string command;
  std::vector<std::string> args;
  bool json = false;  // the reply's text as JSON, for scripts
};

struct Reply {
  bool ok = true;
  std::string text;  // lines, each ending in '\n'
};

// One request line, without its '\n'; nullopt with `problem` set when it
// is empty, too long or holds anything but printable ASCII and blanks.
std::optional<Request> parse_request(std::string_view line, std::string& problem);
// The request line as the client sends it, '\n' included.
std::string encode(const Request& request);

std::string encode(const Reply& reply);
// What the server sent, read to its end; a reply cut short or without a
// status line is an error reply saying so.
Reply decode(std::string_view received);

}  // namespace rpdns::control
