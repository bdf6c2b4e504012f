#pragma once
// The proxy's routes: which app a Host header names, and where that app's web
// tasks are. The daemon writes them as a JSON file, routes.json, whose format
// is server/contracts/routes_file.h. `APP.DOMAIN` names an app; so do its
// custom domains, exact or `*.` wildcards (any depth below; the most specific name wins).
// The platform's host (its API) comes before them all: it names the daemon's
// unix socket, as app `mothership`.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ms::proxy {

struct Route {
  std::string app;
  std::string upstream_host;  // a DNS name (tasks.APP-web) or an address
  uint16_t upstream_port = 0;
  bool running = true;  // false: stopped or scaled to 0 (503)
  bool redirect_https = false;  // http:redirect on
  std::string upstream;       // "host:port", the key Upstreams knows it by
  // A rollout's new tasks, healthy before DNS says so (contracts::RouteEntry::tasks):
  // addresses with upstream_port, named until then (unix seconds).
  std::vector<std::string> tasks;
  int64_t tasks_until = 0;
  // The platform's route only: the daemon's unix socket, in place of tasks
  // (upstream_host and upstream are empty, upstream_port 0).
  std::string socket;
};

// The app name the platform's route goes by (metrics, the access log).
inline constexpr std::string_view kPlatformApp = "mothership";

// A certificate the proxy serves over https for its hosts (exact names or
// "*.wildcard" ones): a PEM file with the private key and the chain.
struct CertFile {
  std::vector<std::string> hosts;
  std::string file;
  std::string version;  // changes with the file's content
};

class RouteTable {
 public:
  // nullopt, with error set, when the JSON is not a routes document
  // (contracts::ParseRoutesFile). Never throws.
  static std::optional<RouteTable> Parse(std::string_view json, std::string& error);

  // host: a Host header ("Shop.Example.com:8080"); nullptr for no app. The
  // platform's host gives the platform's route.
  const Route* Find(std::string_view host) const;
  // The route of the app named `app`; nullptr when there is none.
  const Route* FindApp(std::string_view app) const;
  const std::string& domain() const { return domain_; }
  // The apps' routes (not the platform's).
  const std::vector<std::shared_ptr<const Route>>& routes() const { return routes_; }
  const std::vector<CertFile>& certs() const { return certs_; }
  int64_t hsts_max_age() const { return hsts_max_age_; }
  // The routes file's version (the probe answers with it).
  const std::string& version() const { return version_; }
  // The key authorization for an ACME http-01 token; nullptr: none.
  const std::string* AcmeAnswer(std::string_view token) const {
    auto it = acme_.find(token);
    return it == acme_.end() ? nullptr : &it->second;
  }

 private:
  std::string domain_;
  std::vector<std::shared_ptr<const Route>> routes_;
  std::vector<CertFile> certs_;
  int64_t hsts_max_age_ = 0;
  std::string version_;
  std::string platform_host_;             // normalized; empty: no platform route
  std::shared_ptr<const Route> platform_;
  std::map<std::string, std::string, std::less<>> acme_;
  std::map<std::string, const Route*, std::less<>> by_name_;      // app name
  std::map<std::string, const Route*, std::less<>> exact_;        // custom domains
  std::map<std::string, const Route*, std::less<>> wildcard_;     // "*.x.y" stored as "x.y"
};

// "Shop.Example.com:8080" -> "shop.example.com"; "[::1]:80" -> "::1".
std::string NormalizeHost(std::string_view host);

}  // namespace ms::proxy
