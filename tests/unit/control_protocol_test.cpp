// The control protocol's framing: what a request may hold, and how a reply
// reads back, whole or cut short.
#include <gtest/gtest.h>

#include <string>

#include "control/protocol.hpp"

namespace {

using rpdns::control::decode;
using rpdns::control::encode;
using rpdns::control::kMaxRequest;
using rpdns::control::parse_request;
using rpdns::control::Reply;
using rpdns::control::Request;

TEST(ControlProtocol, RequestSplitsIntoCommandAndArguments) {
  std::string problem;
  auto r = parse_request("  reload\texample.com  b.test ", problem);
  ASSERT_TRUE(r) << problem;
  EXPECT_EQ(r->command, "reload");
  EXPECT_EQ(r->args, (std::vector<std::string>{"example.com", "b.test"}));
  EXPECT_EQ(encode(*r), "reload example.com b.test\n");
}

// --json before the command asks for a JSON reply; anywhere else it is an
// argument like any other.
TEST(ControlProtocol, JsonIsAskedBeforeTheCommand) {
  std::string problem;
  auto r = parse_request("--json zone-status a.test", problem);
  ASSERT_TRUE(r) << problem;
  EXPECT_TRUE(r->json);
  EXPECT_EQ(r->command, "zone-status");
  EXPECT_EQ(r->args, (std::vector<std::string>{"a.test"}));
  EXPECT_EQ(encode(*r), "--json zone-status a.test\n");
  auto plain = parse_request("status --json", problem);
  ASSERT_TRUE(plain) << problem;
  EXPECT_FALSE(plain->json);
  EXPECT_EQ(plain->args, (std::vector<std::string>{"--json"}));
  EXPECT_FALSE(parse_request("--json", problem));
  EXPECT_EQ(problem, "empty request");
  auto twice = parse_request("--json --json", problem);
  ASSERT_TRUE(twice) << problem;
  EXPECT_EQ(twice->command, "--json");  // an unknown command, answered as one
}

TEST(ControlProtocol, RefusesEmptyLongAndControlCharacters) {
  std::string problem;
  EXPECT_FALSE(parse_request("   ", problem));
  EXPECT_EQ(problem, "empty request");
  EXPECT_FALSE(parse_request("status\r", problem));
  EXPECT_FALSE(parse_request("reload \xc3\xa9.test", problem));
  EXPECT_EQ(problem, "request holds a control or non-ASCII character");
  std::string longest = "reload " + std::string(kMaxRequest - 7, 'a');
  EXPECT_TRUE(parse_request(longest, problem));
  EXPECT_FALSE(parse_request(longest + "a", problem));
}

TEST(ControlProtocol, ReplyRoundTripsAndACutReplyIsAnError) {
  Reply ok{true, "zones 2"};
  EXPECT_EQ(encode(ok), "ok\nzones 2\n");
  auto back = decode(encode(ok));
  EXPECT_TRUE(back.ok);
  EXPECT_EQ(back.text, "zones 2\n");
  auto error = decode(encode(Reply{false, "no such zone\n"}));
  EXPECT_FALSE(error.ok);
  EXPECT_EQ(error.text, "no such zone\n");
  EXPECT_FALSE(decode("").ok);
  EXPECT_FALSE(decode("ok").ok);  // no end of the status line: cut short
  EXPECT_FALSE(decode("maybe\nx\n").ok);
}

}  // namespace
