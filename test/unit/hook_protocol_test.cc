// The hook protocol (server/contracts/hook_protocol.h): the request the hook
// sends and the messages the daemon streams back round-trip, keep the bytes of
// earlier versions, stay one line each, and malformed lines are error values.

#include "server/contracts/hook_protocol.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using ms::contracts::HookExit;
using ms::contracts::HookMessage;
using ms::contracts::HookOut;
using ms::contracts::HookRefUpdate;
using ms::contracts::HookRequest;
using ms::contracts::ParseHookMessage;
using ms::contracts::ParseHookRequest;
using ms::contracts::ToJson;

namespace {

const std::string kZero(40, '0');
const std::string kSha = "8f2e3c1d9b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e";

std::string RequestError(const std::string& line) {
  INFO("request: " << line);
  auto parsed = ParseHookRequest(line);
  REQUIRE_FALSE(parsed);
  return parsed.error().message;
}

std::string MessageError(const std::string& line) {
  INFO("message: " << line);
  auto parsed = ParseHookMessage(line);
  REQUIRE_FALSE(parsed);
  return parsed.error().message;
}

// The line without its "\n", checking that it is one line.
std::string WithoutNewline(std::string line) {
  REQUIRE(line.ends_with('\n'));
  line.pop_back();
  CHECK(line.find('\n') == std::string::npos);
  return line;
}

}  // namespace

TEST_CASE("Hook request round-trips, quarantine directory and all", "[contracts]") {
  HookRequest request{.token = "tok-123",
                      .updates = {{kZero, kSha, "refs/heads/main"}, {kSha, kZero, "refs/tags/v1"}},
                      .objects_dir = "/data/repos/shop.git/objects/tmp_objdir-incoming-x"};
  auto parsed = ParseHookRequest(WithoutNewline(ToJson(request)));
  REQUIRE(parsed);
  CHECK(*parsed == request);
}

TEST_CASE("Hook request keeps the bytes earlier hooks sent", "[contracts]") {
  HookRequest request{.token = "t", .updates = {{"a", "b", "refs/heads/main"}}, .objects_dir = ""};
  const std::string before =
      R"({"token":"t","updates":[{"new":"b","old":"a","ref":"refs/heads/main"}]})";
  CHECK(ToJson(request) == before + "\n");  // no objects_dir when git set none
  auto parsed = ParseHookRequest(before);
  REQUIRE(parsed);
  CHECK(*parsed == request);
  auto with_dir = ParseHookRequest(R"({"objects_dir":"/q","token":"t","updates":[]})");
  REQUIRE(with_dir);
  CHECK(with_dir->objects_dir == "/q");
  CHECK(with_dir->updates.empty());
}

TEST_CASE("Hook request with thousands of ref updates round-trips", "[contracts]") {
  HookRequest request{.token = std::string(4096, 't'), .updates = {}, .objects_dir = ""};
  for (int i = 0; i < 5000; ++i) request.updates.push_back({kZero, kSha, "refs/tags/t" + std::to_string(i)});
  auto parsed = ParseHookRequest(WithoutNewline(ToJson(request)));
  REQUIRE(parsed);
  CHECK(*parsed == request);
}

TEST_CASE("Hook request that is not JSON or not an object is an error", "[contracts]") {
  for (const std::string& line : std::vector<std::string>{"", "hello", "{\"token\":", "[1,2]", "null", "\"token\"",
                           std::string(200000, '{')}) {
    CHECK_FALSE(RequestError(line).empty());
  }
  CHECK(RequestError("hello") == "the hook request is not valid JSON");
}

TEST_CASE("Hook request with missing or mistyped members is an error naming them", "[contracts]") {
  CHECK(RequestError(R"({"updates": []})") == "the hook request: \"token\" is missing");
  CHECK(RequestError(R"({"token": 7, "updates": []})") == "the hook request: \"token\" must be a string");
  CHECK(RequestError(R"({"token": "t"})") == "the hook request: \"updates\" is missing");
  CHECK(RequestError(R"({"token": "t", "updates": {}})") ==
        "the hook request: \"updates\" must be an array");
  CHECK(RequestError(R"({"token": "t", "updates": [], "objects_dir": false})") ==
        "the hook request: \"objects_dir\" must be a string");
}

TEST_CASE("Hook request with a malformed ref update is an error naming it", "[contracts]") {
  CHECK(RequestError(R"({"token": "t", "updates": [{"old": "a", "new": "b", "ref": "r"}, 3]})") ==
        "the hook request's updates[1]: not an object");
  CHECK(RequestError(R"({"token": "t", "updates": [{"old": "a", "new": "b"}]})") ==
        "the hook request's updates[0]: \"ref\" is missing");
  CHECK(RequestError(R"({"token": "t", "updates": [{"old": 1, "new": "b", "ref": "r"}]})") ==
        "the hook request's updates[0]: \"old\" must be a string");
  CHECK(RequestError(R"({"token": "t", "updates": [{"old": "a", "new": null, "ref": "r"}]})") ==
        "the hook request's updates[0]: \"new\" must be a string");
}

TEST_CASE("Hook messages round-trip: output of any text, then the exit status", "[contracts]") {
  for (HookMessage message :
       {HookMessage{HookOut{"-----> Building shop\n"}}, HookMessage{HookOut{""}},
        HookMessage{HookOut{"quotes \" and \\ and\ttabs\r\nand \xE2\x9C\x93 and \x01"}},
        HookMessage{HookExit{0}}, HookMessage{HookExit{1}}, HookMessage{HookExit{-1}},
        HookMessage{HookExit{255}}}) {
    auto parsed = ParseHookMessage(WithoutNewline(ToJson(message)));
    REQUIRE(parsed);
    CHECK(*parsed == message);
  }
}

TEST_CASE("Hook messages keep the bytes earlier daemons sent", "[contracts]") {
  CHECK(ToJson(HookMessage{HookOut{"a\nb"}}) == "{\"out\":\"a\\nb\"}\n");
  CHECK(ToJson(HookMessage{HookExit{3}}) == "{\"exit\":3}\n");
  CHECK(*ParseHookMessage(R"({"out":"hi"})") == HookMessage{HookOut{"hi"}});
  CHECK(*ParseHookMessage(R"({"exit":0})") == HookMessage{HookExit{0}});
}

TEST_CASE("Hook output that is not UTF-8 is replaced, not thrown, and stays one line",
          "[contracts]") {
  std::string line = WithoutNewline(ToJson(HookMessage{HookOut{"npm \xff\xfe\n done"}}));
  auto parsed = ParseHookMessage(line);
  REQUIRE(parsed);
  REQUIRE(std::holds_alternative<HookOut>(*parsed));
  CHECK(std::get<HookOut>(*parsed).text == "npm \xEF\xBF\xBD\xEF\xBF\xBD\n done");
}

TEST_CASE("Hook messages that are garbage or mistyped are errors", "[contracts]") {
  for (const char* line : {"", "garbage", "[]", "{\"out\":", "{} {}"}) CHECK_FALSE(MessageError(line).empty());
  CHECK(MessageError("{}") == "the daemon's hook message has neither \"out\" nor \"exit\"");
  CHECK(MessageError(R"({"out": 5})") == "the daemon's hook message: \"out\" must be a string");
  CHECK(MessageError(R"({"exit": "1"})") == "the daemon's hook message: \"exit\" must be an integer");
  CHECK(MessageError(R"({"exit": 1.5})") == "the daemon's hook message: \"exit\" must be an integer");
  CHECK(MessageError(R"({"exit": null})").find("\"exit\"") != std::string::npos);
}

TEST_CASE("Hook exit statuses beyond an int are errors, not truncated", "[contracts]") {
  for (const char* line : {R"({"exit": 2147483648})", R"({"exit": -2147483649})",
                           R"({"exit": 18446744073709551615})", R"({"exit": 99999999999999999999999})",
                           R"({"exit": 1e30})"}) {
    CHECK_FALSE(MessageError(line).empty());
  }
  CHECK(*ParseHookMessage(R"({"exit": 2147483647})") == HookMessage{HookExit{2147483647}});
  CHECK(*ParseHookMessage(R"({"exit": -2147483648})") == HookMessage{HookExit{-2147483648}});
}
