// The proxy's readiness probe contract (server/contracts/proxy_probe.h): the
// path the daemon asks and the app the proxy reads back from it.

#include "server/contracts/proxy_probe.h"

#include <catch2/catch.hpp>

using ms::contracts::ParseRoutablePath;
using ms::contracts::RoutablePath;

TEST_CASE("proxy probe: the path names the app and reads back", "[contracts]") {
  CHECK(RoutablePath("shop") == "/routable/shop");
  CHECK(ParseRoutablePath(RoutablePath("shop-2")) == "shop-2");
}

TEST_CASE("proxy probe: any other target names no app", "[contracts]") {
  for (const char* target : {"/", "/routable/", "/routable", "/routable/Shop", "/routable/shop/x", "/routable/shop?x=1",
                             "/routable/../etc", "/other/shop", "routable/shop"}) {
    INFO(target);
    CHECK_FALSE(ParseRoutablePath(target));
  }
  CHECK_FALSE(ParseRoutablePath("/routable/" + std::string(64, 'a')));
}
