// `apps:info --json` (server/contracts/app_info.h): what the daemon writes is
// what the CLI reads, earlier bytes still parse, and an answer that is not an
// app's info is an error value, never an exception.

#include "server/contracts/app_info.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using ms::contracts::AppInfo;
using ms::contracts::LastDeploy;
using ms::contracts::ParseAppInfo;
using ms::contracts::ToJson;

namespace {

AppInfo Sample() {
  return {.name = "shop",
          .created_at = "2026-12-03 16:00:00",
          .deploy_branch = "main",
          .git_url = "ssh://git@example.com:2222/shop",
          .web_url = "http://shop.example.com",
          .config_vars = 2,
          .last_deploy = LastDeploy{.commit = "8f2e3c1d9b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e",
                                    .status = "succeeded",
                                    .by = "alice",
                                    .started_at = "2026-12-03 16:01:00",
                                    .finished_at = "2026-12-03 16:02:00"}};
}

// What the daemon wrote before the contract existed.
const char kWrittenBefore[] =
    R"({"config_vars":2,"created_at":"2026-12-03 16:00:00","deploy_branch":"main",)"
    R"("git_url":"ssh://git@example.com:2222/shop","last_deploy":{"by":"alice",)"
    R"("commit":"8f2e3c1d9b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e","finished_at":"2026-12-03 16:02:00",)"
    R"("started_at":"2026-12-03 16:01:00","status":"succeeded"},"name":"shop",)"
    R"("web_url":"http://shop.example.com"})"
    "\n";

std::string ErrorOf(const std::string& text) {
  INFO("apps:info --json: " << text);
  auto parsed = ParseAppInfo(text);
  REQUIRE_FALSE(parsed);
  return parsed.error().message;
}

// kWrittenBefore with `from` replaced by `to`.
std::string Edited(const std::string& from, const std::string& to) {
  std::string text = kWrittenBefore;
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("apps:info --json round-trips through ToJson and ParseAppInfo", "[contracts]") {
  auto parsed = ParseAppInfo(ToJson(Sample()));
  REQUIRE(parsed);
  CHECK(*parsed == Sample());
}

TEST_CASE("apps:info --json keeps the bytes earlier daemons wrote", "[contracts]") {
  CHECK(ToJson(Sample()) == kWrittenBefore);
  auto parsed = ParseAppInfo(kWrittenBefore);
  REQUIRE(parsed);
  CHECK(*parsed == Sample());
}

TEST_CASE("apps:info --json of a never-deployed app has no last_deploy", "[contracts]") {
  AppInfo fresh = Sample();
  fresh.last_deploy.reset();
  fresh.deploy_branch = "";
  std::string text = ToJson(fresh);
  CHECK(text.find("last_deploy") == std::string::npos);
  auto parsed = ParseAppInfo(text);
  REQUIRE(parsed);
  CHECK(*parsed == fresh);
  CHECK_FALSE(parsed->last_deploy);
}

TEST_CASE("apps:info --json: members a later daemon adds are ignored", "[contracts]") {
  auto parsed = ParseAppInfo(Edited(R"("name":"shop",)", R"("name":"shop","processes":{"web":2},)"));
  REQUIRE(parsed);
  CHECK(*parsed == Sample());
}

TEST_CASE("apps:info --json that is not JSON or not an object is an error", "[contracts]") {
  for (const std::string& text : std::vector<std::string>{"", "no app named shop\n", "null", "[]", "\"shop\"", "{\"name\":",
                           std::string(kWrittenBefore) + "{}", std::string(100000, '[')}) {
    CHECK_FALSE(ErrorOf(text).empty());
  }
  CHECK(ErrorOf("Welcome!\n{}") == "apps:info --json is not valid JSON");
  CHECK(ErrorOf("[]") == "apps:info --json is not a JSON object");
}

TEST_CASE("apps:info --json without a member the daemon always writes is an error naming it",
          "[contracts]") {
  for (std::string member : {"name", "created_at", "deploy_branch", "git_url", "web_url", "config_vars"}) {
    std::string text = kWrittenBefore;
    auto at = text.find("\"" + member + "\":");
    REQUIRE(at != std::string::npos);
    text.replace(at, member.size() + 2, "\"x_" + member + "\"");
    CHECK(ErrorOf(text) == "apps:info --json: \"" + member + "\" is missing");
  }
  CHECK(ErrorOf(Edited(R"("by":"alice",)", "")) == "apps:info --json last_deploy: \"by\" is missing");
}

TEST_CASE("apps:info --json members of the wrong type are errors, not exceptions", "[contracts]") {
  CHECK(ErrorOf(Edited(R"("web_url":"http://shop.example.com")", R"("web_url":5)")) ==
        "apps:info --json: \"web_url\" must be a string");
  CHECK(ErrorOf(Edited(R"("deploy_branch":"main")", R"("deploy_branch":null)")) ==
        "apps:info --json: \"deploy_branch\" must be a string");
  CHECK(ErrorOf(Edited(R"("config_vars":2)", R"("config_vars":"2")")) ==
        "apps:info --json: \"config_vars\" must be an integer");
  CHECK(ErrorOf(Edited(R"("config_vars":2)", R"("config_vars":2.5)")) ==
        "apps:info --json: \"config_vars\" must be an integer");
  CHECK(ErrorOf(Edited(R"("name":"shop")", R"("name":["shop"])")) ==
        "apps:info --json: \"name\" must be a string");
  CHECK(ErrorOf(Edited(R"("status":"succeeded")", R"("status":true)")) ==
        "apps:info --json last_deploy: \"status\" must be a string");
  CHECK(ErrorOf(R"({"name":"a","created_at":"","deploy_branch":"","git_url":"","web_url":"",)"
                R"("config_vars":0,"last_deploy":"yesterday"})") ==
        "apps:info --json: \"last_deploy\" must be an object");
}

TEST_CASE("apps:info --json: config_vars counts up to int64, beyond is an error", "[contracts]") {
  AppInfo many = Sample();
  many.config_vars = std::numeric_limits<int64_t>::max();
  auto parsed = ParseAppInfo(ToJson(many));
  REQUIRE(parsed);
  CHECK(parsed->config_vars == std::numeric_limits<int64_t>::max());
  for (const char* huge : {"9223372036854775808", "18446744073709551615", "1e300", "99999999999999999999999"}) {
    CHECK(ErrorOf(Edited(R"("config_vars":2)", std::string("\"config_vars\":") + huge)).find("config_vars") !=
          std::string::npos);
  }
}

TEST_CASE("apps:info --json with long values round-trips - bad UTF-8 is replaced", "[contracts]") {
  AppInfo big = Sample();
  big.web_url = "http://" + std::string(1 << 20, 'w') + ".example.com";
  auto parsed = ParseAppInfo(ToJson(big));
  REQUIRE(parsed);
  CHECK(*parsed == big);
  AppInfo bad = Sample();
  bad.last_deploy->by = "al\xffice";
  auto replaced = ParseAppInfo(ToJson(bad));
  REQUIRE(replaced);
  CHECK(replaced->last_deploy->by == "al\xEF\xBF\xBDice");
}
