// Which hosts ACME holds certificates for (server/acme/cert_manager.h): one
// per host, only for deployed apps with certs:auto on, none for a host the
// app's own certificate or the admin's wildcard covers, none for wildcard
// domains (http-01 cannot prove them), and the platform's own host.

#include <catch2/catch.hpp>

#include "server/acme/cert_manager.h"

namespace {

std::vector<std::string> Hosts(const std::vector<ms::AcmeWanted>& wanted, const std::string& app) {
  std::vector<std::string> hosts;
  for (const auto& w : wanted) {
    if (w.app == app) hosts.push_back(w.host);
  }
  return hosts;
}

}  // namespace

TEST_CASE("AcmeHostsWanted: a host each, for deployed apps with certs:auto on, and the platform's", "[acme]") {
  ms::Settings settings;
  settings.domain = "example.com";
  std::vector<ms::AcmeApp> apps = {
      {.name = "shop", .id = 1, .deployed = true, .domains = {"www.shop.org", "*.shop.org", "api.shop.org"}},
      {.name = "new", .id = 2, .deployed = false, .domains = {"new.org"}},
      {.name = "quiet", .id = 3, .deployed = true, .auto_on = false},
      {.name = "own", .id = 4, .deployed = true, .domains = {"own.org", "www.own.org"},
       .own_cert_names = {"own.org"}},
  };
  auto wanted = ms::AcmeHostsWanted(settings, apps, false);
  CHECK(Hosts(wanted, "shop") == std::vector<std::string>{"api.shop.org", "shop.example.com", "www.shop.org"});
  CHECK(Hosts(wanted, "new").empty());
  CHECK(Hosts(wanted, "quiet").empty());
  CHECK(Hosts(wanted, "own") == std::vector<std::string>{"own.example.com", "www.own.org"});
  CHECK(Hosts(wanted, "") == std::vector<std::string>{"mothership.example.com"});
  for (const auto& w : wanted) {
    if (w.app == "shop") CHECK(w.app_id == 1);
    if (w.app.empty()) CHECK(w.app_id == 0);
  }

  // The admin's *.example.com certificate covers APP.DOMAIN and the
  // platform's host: only custom domains are left to ACME.
  auto with_wildcard = ms::AcmeHostsWanted(settings, apps, true);
  CHECK(Hosts(with_wildcard, "shop") == std::vector<std::string>{"api.shop.org", "www.shop.org"});
  CHECK(Hosts(with_wildcard, "").empty());

  // No domain: custom domains only.
  settings.domain.clear();
  auto no_domain = ms::AcmeHostsWanted(settings, apps, false);
  CHECK(Hosts(no_domain, "shop") == std::vector<std::string>{"api.shop.org", "www.shop.org"});
  CHECK(Hosts(no_domain, "").empty());
}

TEST_CASE("Settings::AcmeDirectory: Let's Encrypt for a public domain, off for one that cannot be, or when set so", "[acme]") {
  ms::Settings settings;
  settings.domain = "apps.example.com";
  CHECK(settings.AcmeDirectory() == "https://acme-v02.api.letsencrypt.org/directory");
  settings.acme_directory = "off";
  CHECK(settings.AcmeDirectory().empty());
  settings.acme_directory = "https://ca.internal/dir";
  CHECK(settings.AcmeDirectory() == "https://ca.internal/dir");
  settings.acme_directory.clear();
  for (const char* domain : {"localhost", "apps.localhost", "127.0.0.1", "intranet", ""}) {
    settings.domain = domain;
    INFO(domain);
    CHECK(settings.AcmeDirectory().empty());
  }
  settings.domain = "localhost";
  settings.acme_directory = "https://localhost:14000/dir";  // Pebble
  CHECK(settings.AcmeDirectory() == "https://localhost:14000/dir");
}
