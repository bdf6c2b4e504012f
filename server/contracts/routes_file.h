#pragma once
// routes.json: the daemon's word to the proxy on which apps exist, where their
// web tasks answer and which custom domains name them. The daemon writes it
// (ProxyService::WriteRoutes) and the proxy reads it on every change
// (proxy/routes.h); both go through this header. The bytes:
//   {"apps": [{"domains": ["shop.example.org", "*.shop.example.net"],
//              "name": "shop", "running": true, "upstream": "tasks.shop-web:5000"}],
//    "domain": "example.com"}
// A proxy of one version reads the file of the next during an upgrade, so
// field names stay; unknown members are ignored, and `domain`, `running` and
// `domains` may be left out. Any thread may call these.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"

namespace ms::contracts {

// (Every member has an initializer, so a designated initializer may leave any out.)
struct RouteEntry {
  std::string name{};                  // the app
  std::string upstream{};              // "HOST:PORT" of its web tasks
  bool running = true;                 // false: stopped or scaled to 0
  std::vector<std::string> domains{};  // custom domains, exact or "*.wildcard"
  bool operator==(const RouteEntry&) const = default;
};

struct RoutesFile {
  std::string domain{};  // apps answer at APP.DOMAIN; may be empty
  std::vector<RouteEntry> apps{};
  bool operator==(const RoutesFile&) const = default;
};

// The file's text: indented JSON ending in a newline.
std::string ToJson(const RoutesFile& routes);
// The routes in `text`, or an error naming what is wrong (not JSON, a member
// missing or of the wrong type, an upstream that is not HOST:PORT). Never throws.
Result<RoutesFile> ParseRoutesFile(std::string_view text);

struct HostPort {
  std::string host{};  // a DNS name or an address, never empty
  uint16_t port = 0;    // 1-65535
};
// "tasks.shop-web:5000" -> {"tasks.shop-web", 5000}; an error for anything else.
Result<HostPort> SplitUpstream(std::string_view upstream);

}  // namespace ms::contracts
