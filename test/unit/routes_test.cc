// The proxy's routes: APP.DOMAIN, custom domains, wildcards, and bad files.

#include <catch2/catch.hpp>

#include "proxy/routes.h"

TEST_CASE("RouteTable finds apps by APP.DOMAIN - custom domains - wildcards", "[proxy]") {
  std::string error;
  auto table = ms::proxy::RouteTable::Parse(R"({"domain": "Apps.Example.com", "apps": [
      {"name": "shop", "upstream": "tasks.shop-web:5000", "domains": ["shop.example.org", "*.shop.example.net"]},
      {"name": "blog", "upstream": "10.0.0.7:5000", "running": false, "domains": ["*.example.net"]}]})",
                                            error);
  REQUIRE(table);
  const auto* shop = table->Find("shop.apps.example.com");
  REQUIRE(shop);
  CHECK(shop->app == "shop");
  CHECK(shop->upstream_host == "tasks.shop-web");
  CHECK(shop->upstream_port == 5000);
  CHECK(shop->running);
  CHECK(table->Find("SHOP.Apps.Example.com:8080") == shop);
  CHECK(table->Find("shop.apps.example.com.") == shop);
  CHECK(table->Find("shop.example.org") == shop);
  CHECK(table->Find("a.shop.example.net") == shop);
  CHECK(table->Find("a.b.shop.example.net") == shop);
  CHECK(table->Find("x.example.net")->app == "blog");
  CHECK_FALSE(table->Find("x.example.net")->running);
  CHECK(table->Find("nope.apps.example.com") == nullptr);
  CHECK(table->Find("a.shop.apps.example.com") == nullptr);
  CHECK(table->Find("apps.example.com") == nullptr);
  CHECK(table->Find("") == nullptr);
  CHECK(table->Find("[::1]:80") == nullptr);
}

TEST_CASE("RouteTable refuses documents that are not routes", "[proxy]") {
  std::string error;
  CHECK_FALSE(ms::proxy::RouteTable::Parse("not json", error));
  CHECK_FALSE(ms::proxy::RouteTable::Parse(R"({"apps": [{"name": "a"}]})", error));
  CHECK_FALSE(ms::proxy::RouteTable::Parse(R"({"apps": [{"name": "a", "upstream": "host"}]})", error));
  CHECK_FALSE(ms::proxy::RouteTable::Parse(R"({"apps": [{"name": "a", "upstream": "host:99999"}]})", error));
  CHECK(error.find("HOST:PORT") != std::string::npos);
  CHECK(ms::proxy::RouteTable::Parse(R"({"domain": "x", "apps": []})", error));
}

TEST_CASE("RouteTable refuses mistyped members with an error instead of throwing", "[proxy]") {
  std::string error;
  CHECK_FALSE(ms::proxy::RouteTable::Parse(R"({"apps": [{"name": "a", "upstream": "h:1", "running": 1}]})", error));
  CHECK(error.find("running") != std::string::npos);
  CHECK_FALSE(ms::proxy::RouteTable::Parse(R"({"domain": ["x"], "apps": []})", error));
  CHECK(error.find("domain") != std::string::npos);
}

TEST_CASE("RouteTable: the platform's host names the daemon's socket, before custom domains and wildcards - it is "
          "no app",
          "[proxy]") {
  std::string error;
  auto table = ms::proxy::RouteTable::Parse(R"({"domain": "example.com", "apps": [
      {"name": "shop", "upstream": "tasks.shop-web:5000", "domains": ["*.example.com", "api.example.org"]}],
      "platform": {"host": "Mothership.Example.com", "socket": "/etc/mothership-proxy/api.sock"}})",
                                            error);
  REQUIRE(table);
  const auto* platform = table->Find("mothership.example.com");
  REQUIRE(platform);
  CHECK(platform->app == "mothership");
  CHECK(platform->socket == "/etc/mothership-proxy/api.sock");
  CHECK(platform->running);
  CHECK_FALSE(platform->redirect_https);
  CHECK(table->Find("MOTHERSHIP.example.com:8443") == platform);
  CHECK(table->Find("mothership.example.com.") == platform);
  CHECK(table->Find("www.mothership.example.com")->app == "shop");  // (the wildcard's)
  CHECK(table->Find("shop.example.com")->socket.empty());
  CHECK(table->FindApp("mothership") == nullptr);  // (the probe knows apps only)
  CHECK(table->routes().size() == 1);

  auto other = ms::proxy::RouteTable::Parse(
      R"({"apps": [{"name": "shop", "upstream": "h:1", "domains": ["api.example.org"]}],
          "platform": {"host": "api.example.org", "socket": "/s"}})",
      error);
  REQUIRE(other);
  CHECK(other->Find("api.example.org")->socket == "/s");
  CHECK_FALSE(ms::proxy::RouteTable::Parse(R"({"apps": [], "platform": {"host": "m.d", "socket": "s"}})", error));
  CHECK(error.find("platform") != std::string::npos);
}
