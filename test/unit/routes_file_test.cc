// routes.json (server/contracts/routes_file.h): what the daemon writes is what
// the proxy reads, the bytes of earlier versions still parse, and a broken file
// is an error value, never an exception.

#include "server/contracts/routes_file.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using ms::contracts::ParseRoutesFile;
using ms::contracts::RouteEntry;
using ms::contracts::RoutesFile;
using ms::contracts::SplitUpstream;

namespace {

// The error ParseRoutesFile gives for `text`; fails the test when it parses.
std::string ErrorOf(const std::string& text) {
  INFO("routes.json: " << text);
  auto parsed = ParseRoutesFile(text);
  REQUIRE_FALSE(parsed);
  return parsed.error().message;
}

RoutesFile Sample() {
  return {.domain = "apps.example.com",
          .apps = {{.name = "shop",
                    .upstream = "tasks.shop-web:5000",
                    .running = true,
                    .domains = {"shop.example.org", "*.shop.example.net"}},
                   {.name = "blog", .upstream = "10.0.0.7:5000", .running = false, .domains = {}}}};
}

// What the daemon wrote before the contract existed, byte for byte.
const char kWrittenBefore[] = R"({
  "apps": [
    {
      "domains": [
        "shop.example.org",
        "*.shop.example.net"
      ],
      "name": "shop",
      "running": true,
      "upstream": "tasks.shop-web:5000"
    },
    {
      "domains": [],
      "name": "blog",
      "running": false,
      "upstream": "10.0.0.7:5000"
    }
  ],
  "domain": "apps.example.com"
}
)";

}  // namespace

TEST_CASE("routes.json round-trips through ToJson and ParseRoutesFile", "[contracts]") {
  auto parsed = ParseRoutesFile(ms::contracts::ToJson(Sample()));
  REQUIRE(parsed);
  CHECK(*parsed == Sample());
}

TEST_CASE("routes.json keeps the bytes earlier daemons wrote, for proxies mid-upgrade", "[contracts]") {
  CHECK(ms::contracts::ToJson(Sample()) == kWrittenBefore);
  auto parsed = ParseRoutesFile(kWrittenBefore);
  REQUIRE(parsed);
  CHECK(*parsed == Sample());
}

TEST_CASE("routes.json with no apps round-trips", "[contracts]") {
  RoutesFile empty{.domain = "", .apps = {}};
  auto parsed = ParseRoutesFile(ms::contracts::ToJson(empty));
  REQUIRE(parsed);
  CHECK(*parsed == empty);
}

TEST_CASE("routes.json: domain, running and domains may be left out", "[contracts]") {
  auto parsed = ParseRoutesFile(R"({"apps": [{"name": "a", "upstream": "h:1"}]})");
  REQUIRE(parsed);
  CHECK(parsed->domain.empty());
  REQUIRE(parsed->apps.size() == 1);
  CHECK(parsed->apps[0].running);
  CHECK(parsed->apps[0].domains.empty());
}

TEST_CASE("routes.json: members a later version adds are ignored", "[contracts]") {
  auto parsed = ParseRoutesFile(
      R"({"domain": "d", "tls": {"x": 1}, "apps": [{"name": "a", "upstream": "h:1", "weight": 3}]})");
  REQUIRE(parsed);
  CHECK(parsed->apps == std::vector<RouteEntry>{{.name = "a", .upstream = "h:1"}});
}

TEST_CASE("routes.json that is not JSON, or not an object, is an error", "[contracts]") {
  for (const std::string& text : std::vector<std::string>{"", "not json", "{", "{\"apps\": [", "[]", "null", "42", "\"apps\"",
                           std::string("{\"apps\": []}\0garbage", 20), std::string(100000, '[')}) {
    CHECK_FALSE(ErrorOf(text).empty());
  }
  CHECK(ErrorOf("not json") == "routes.json is not valid JSON");
  CHECK(ErrorOf("[]") == "routes.json is not a JSON object");
}

TEST_CASE("routes.json without an apps array is an error", "[contracts]") {
  CHECK(ErrorOf(R"({"domain": "d"})").find("\"apps\": [...]") != std::string::npos);
  CHECK(ErrorOf(R"({"domain": "d", "apps": {"name": "a"}})").find("\"apps\"") != std::string::npos);
}

TEST_CASE("routes.json: an app without name or upstream is an error naming it", "[contracts]") {
  CHECK(ErrorOf(R"({"apps": [{"name": "a", "upstream": "h:1"}, {"upstream": "h:1"}]})") ==
        "routes.json apps[1]: \"name\" is missing");
  CHECK(ErrorOf(R"({"apps": [{"name": "a"}]})") == "routes.json apps[0]: \"upstream\" is missing");
  CHECK(ErrorOf(R"({"apps": ["a"]})") == "routes.json apps[0]: not an object");
}

TEST_CASE("routes.json: members of the wrong type are errors, not exceptions", "[contracts]") {
  CHECK(ErrorOf(R"({"domain": 5, "apps": []})") == "routes.json: \"domain\" must be a string");
  CHECK(ErrorOf(R"({"apps": [{"name": 1, "upstream": "h:1"}]})") ==
        "routes.json apps[0]: \"name\" must be a string");
  CHECK(ErrorOf(R"({"apps": [{"name": "a", "upstream": ["h:1"]}]})") ==
        "routes.json apps[0]: \"upstream\" must be a string");
  CHECK(ErrorOf(R"({"apps": [{"name": "a", "upstream": "h:1", "running": "yes"}]})") ==
        "routes.json apps[0]: \"running\" must be true or false");
  CHECK(ErrorOf(R"({"apps": [{"name": "a", "upstream": "h:1", "running": null}]})").find("running") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"apps": [{"name": "a", "upstream": "h:1", "domains": "x.org"}]})") ==
        "routes.json apps[0]: \"domains\" must be an array of strings");
  CHECK(ErrorOf(R"({"apps": [{"name": "a", "upstream": "h:1", "domains": ["x.org", 7]}]})") ==
        "routes.json apps[0]: \"domains\" must be an array of strings");
}

TEST_CASE("routes.json: an upstream that is not HOST:PORT is an error naming the app", "[contracts]") {
  for (const char* upstream : {"host", ":80", "host:", "host:0", "host:65536", "host:-1", "host:80x",
                               "host: 80", "host:99999999999999999999999999"}) {
    std::string text = std::string(R"({"apps": [{"name": "shop", "upstream": ")") + upstream + "\"}]}";
    std::string error = ErrorOf(text);
    CHECK(error.find("apps[0] (shop)") != std::string::npos);
    CHECK(error.find("HOST:PORT") != std::string::npos);
  }
}

TEST_CASE("SplitUpstream splits HOST:PORT at the last colon", "[contracts]") {
  auto dns = SplitUpstream("tasks.shop-web:5000");
  REQUIRE(dns);
  CHECK(dns->host == "tasks.shop-web");
  CHECK(dns->port == 5000);
  auto v6 = SplitUpstream("[::1]:65535");
  REQUIRE(v6);
  CHECK(v6->host == "[::1]");
  CHECK(v6->port == 65535);
  CHECK(SplitUpstream("h:1")->port == 1);
  CHECK_FALSE(SplitUpstream(""));
  CHECK_FALSE(SplitUpstream("h:65536"));
}

TEST_CASE("routes.json with many apps and long names round-trips", "[contracts]") {
  RoutesFile big{.domain = std::string(5000, 'd'), .apps = {}};
  for (int i = 0; i < 5000; ++i) {
    big.apps.push_back({.name = "app-" + std::to_string(i),
                        .upstream = "tasks.app-" + std::to_string(i) + "-web:5000",
                        .running = i % 3 != 0,
                        .domains = {"app" + std::to_string(i) + ".example.org"}});
  }
  big.apps[7].name = std::string(1 << 20, 'n');
  auto parsed = ParseRoutesFile(ms::contracts::ToJson(big));
  REQUIRE(parsed);
  CHECK(*parsed == big);
}

TEST_CASE("routes.json: bytes that are not UTF-8 are replaced when written, never thrown",
          "[contracts]") {
  RoutesFile bad{.domain = "d", .apps = {{.name = "a", .upstream = "h:1", .domains = {"x\xff.org"}}}};
  std::string text = ms::contracts::ToJson(bad);
  auto parsed = ParseRoutesFile(text);
  REQUIRE(parsed);
  CHECK(parsed->apps[0].domains[0] == "x\xEF\xBF\xBD.org");  // U+FFFD
  CHECK_FALSE(ParseRoutesFile("{\"apps\": [], \"domain\": \"\xff\"}"));
}

TEST_CASE("routes.json: certificates round-trip - a wrong one is an error naming it", "[contracts]") {
  RoutesFile with = Sample();
  with.certs = {{.hosts = {"shop.example.org", "*.shop.example.net"},
                 .file = "/etc/mothership-proxy/certs/app-1-manual.pem",
                 .version = "2026-12-05T10:00:00.000Z"}};
  with.acme = {{"tok", "tok.thumb"}};
  with.hsts_max_age = 600;
  with.version = "abc123";
  auto parsed = ParseRoutesFile(ms::contracts::ToJson(with));
  REQUIRE(parsed);
  CHECK(*parsed == with);
  CHECK(ErrorOf(R"({"apps": [], "certs": {}})") == "routes.json: \"certs\" must be an array");
  CHECK(ErrorOf(R"({"apps": [], "certs": [{"hosts": [], "file": "x"}]})") == "routes.json certs[0]: \"hosts\" is empty");
  CHECK(ErrorOf(R"({"apps": [], "certs": [{"hosts": ["a"]}]})").starts_with("routes.json certs[0]: "));
}

TEST_CASE("routes.json: the platform route round-trips - left out when absent - a wrong one is an error naming it",
          "[contracts]") {
  RoutesFile with = Sample();
  with.platform = ms::contracts::PlatformRoute{.host = "mothership.apps.example.com",
                                               .socket = "/etc/mothership-proxy/api.sock"};
  std::string text = ms::contracts::ToJson(with);
  CHECK(text.find(R"("platform": {)") != std::string::npos);
  auto parsed = ParseRoutesFile(text);
  REQUIRE(parsed);
  CHECK(*parsed == with);
  REQUIRE(parsed->platform);
  CHECK(parsed->platform->socket == "/etc/mothership-proxy/api.sock");
  CHECK_FALSE(ParseRoutesFile(kWrittenBefore)->platform);

  // A later version's members in it are ignored.
  auto later = ParseRoutesFile(R"({"apps": [], "platform": {"host": "m.d", "socket": "/s", "tls": true}})");
  REQUIRE(later);
  CHECK(later->platform == ms::contracts::PlatformRoute{.host = "m.d", .socket = "/s"});

  CHECK(ErrorOf(R"({"apps": [], "platform": "m.d"})") == "routes.json platform: not an object");
  CHECK(ErrorOf(R"({"apps": [], "platform": {"socket": "/s"}})") == "routes.json platform: \"host\" is missing");
  CHECK(ErrorOf(R"({"apps": [], "platform": {"host": "", "socket": "/s"}})") ==
        "routes.json platform: \"host\" is empty");
  CHECK(ErrorOf(R"({"apps": [], "platform": {"host": "m.d", "socket": 1}})") ==
        "routes.json platform: \"socket\" must be a string");
  const std::string too_long(108, 'a');
  for (const std::string& socket : {std::string("api.sock"), std::string(), "/" + too_long, std::string("/a\\u0000b")}) {
    INFO(socket);
    CHECK(ErrorOf(R"({"apps": [], "platform": {"host": "m.d", "socket": ")" + socket + "\"}}")
              .starts_with("routes.json platform: \"socket\" must be an absolute path"));
  }
  CHECK(ParseRoutesFile(R"({"apps": [], "platform": {"host": "m.d", "socket": "/)" + std::string(106, 'a') + "\"}}"));
}

TEST_CASE("routes.json: a rollout's announced tasks round-trip - left out when none - a task that is not an IPv4 "
          "address is an error naming the app",
          "[contracts]") {
  RoutesFile with = Sample();
  with.apps[0].tasks = {"10.0.3.7", "10.0.3.9"};
  with.apps[0].tasks_until = 1764950400;
  auto text = ms::contracts::ToJson(with);
  CHECK(text.find("\"tasks_until\": 1764950400") != std::string::npos);
  auto parsed = ParseRoutesFile(text);
  REQUIRE(parsed);
  CHECK(*parsed == with);
  CHECK(ms::contracts::ToJson(Sample()).find("\"tasks\"") == std::string::npos);
  CHECK(ErrorOf(R"({"apps": [{"name": "shop", "upstream": "h:1", "tasks": ["tasks.shop-web"]}]})") ==
        "routes.json apps[0] (shop): task \"tasks.shop-web\" is not an IPv4 address");
  CHECK(ErrorOf(R"({"apps": [{"name": "shop", "upstream": "h:1", "tasks": "10.0.0.1"}]})") ==
        "routes.json apps[0]: \"tasks\" must be an array of strings");
  CHECK(ErrorOf(R"({"apps": [{"name": "shop", "upstream": "h:1", "tasks_until": "soon"}]})").find("tasks_until") !=
        std::string::npos);
}
