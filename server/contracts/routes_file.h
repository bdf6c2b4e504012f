#pragma once
// routes.json: the daemon's word to the proxy on which apps exist, where their
// web tasks answer and which custom domains name them. The daemon writes it
// (ProxyService::WriteRoutes) and the proxy reads it on every change
// (proxy/routes.h); both go through this header. The bytes:
//   {"apps": [{"domains": ["shop.example.org", "*.shop.example.net"],
//              "name": "shop", "running": true, "upstream": "tasks.shop-web:5000",
//              "tasks": ["10.0.3.7"], "tasks_until": 1764950400}],
//    "domain": "example.com",
//    "certs": [{"hosts": ["shop.example.com", "shop.example.org"],
//               "file": "/data/proxy/certs/shop.pem"}]}
// A cert's file holds its private key and its certificate chain (PEM, leaf
// first); the proxy serves it over https to a client that names one of its
// hosts (an exact name or a "*.wildcard" one level deep).
//    "acme": {"TOKEN": "TOKEN.THUMBPRINT"}
// ACME's http-01 challenges in progress: the proxy answers
// GET /.well-known/acme-challenge/TOKEN on its http port, for any host.
//    "platform": {"host": "mothership.example.com", "socket": "/etc/mothership-proxy/api.sock"}
// The platform's own host (its API): the proxy sends requests for it to the
// daemon's unix socket (a path as the proxy sees it) instead of an app's tasks.
// A proxy of one version reads the file of the next during an upgrade, so
// field names stay; unknown members are ignored (at the top, in an app, a
// certificate or the platform), and `domain`, `running`, `domains`, `certs`,
// `acme` and `platform` may be left out. Any thread may call these.

#include <cstdint>
#include <map>
#include <optional>
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
  // http:redirect: a request over http for a host with a certificate gets a
  // redirect to https (and https answers carry HSTS when hsts_max_age > 0).
  bool redirect_https = false;
  // During a rollout: the new web tasks' addresses (IPv4, port of upstream),
  // healthy, that the daemon saw before Swarm's DNS says so. The proxy sends
  // the app's requests to these alone until tasks_until (unix seconds) or
  // until DNS answers with exactly these, whichever comes first (or until
  // none of them takes connections): then DNS again.
  std::vector<std::string> tasks{};
  int64_t tasks_until = 0;
  bool operator==(const RouteEntry&) const = default;
};

struct CertEntry {
  std::vector<std::string> hosts{};  // exact names or "*.wildcard" ones, never empty
  std::string file{};                // PEM: the private key and the chain, leaf first
  // Changes whenever the file does (a renewal writes the same file name): the
  // routes change with it, and the proxy loads the file again.
  std::string version{};
  bool operator==(const CertEntry&) const = default;
};

// Where the platform's host goes: the daemon's API on a unix socket.
struct PlatformRoute {
  std::string host{};    // a host name, never empty
  std::string socket{};  // an absolute path, shorter than a unix socket address holds (108 bytes)
  bool operator==(const PlatformRoute&) const = default;
};

struct RoutesFile {
  std::string domain{};  // apps answer at APP.DOMAIN; may be empty
  std::vector<RouteEntry> apps{};
  std::vector<CertEntry> certs{};
  std::map<std::string, std::string> acme{};  // token -> key authorization
  int64_t hsts_max_age = 0;                    // seconds; 0: no HSTS
  // Names this content (a digest the daemon computes); the proxy's probe
  // answers with it (X-Mothership-Routes), so the daemon can wait until the
  // proxy has loaded what it wrote.
  std::string version{};
  std::optional<PlatformRoute> platform{};  // none: no host goes to the daemon
  bool operator==(const RoutesFile&) const = default;
};

// The file's text: indented JSON ending in a newline.
std::string ToJson(const RoutesFile& routes);
// The routes in `text`, or an error naming what is wrong (not JSON, a member
// missing or of the wrong type, an upstream that is not HOST:PORT, a platform
// socket that is not an absolute path a unix socket address can hold). Never throws.
Result<RoutesFile> ParseRoutesFile(std::string_view text);

struct HostPort {
  std::string host{};  // a DNS name or an address, never empty
  uint16_t port = 0;    // 1-65535
};
// "tasks.shop-web:5000" -> {"tasks.shop-web", 5000}; an error for anything else.
Result<HostPort> SplitUpstream(std::string_view upstream);

}  // namespace ms::contracts
