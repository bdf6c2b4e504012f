// Which hosts ACME holds certificates for (server/acme/cert_manager.h): one
// per host, only for deployed apps with certs:auto on, none for a host the
// app's own certificate or the admin's wildcard covers, none for wildcard
// domains (http-01 cannot prove them), and the platform's own host. Then one
// pass of the manager against a CA that does not answer: hosts no longer
// wanted lose their row and key file, every wanted host fails with the
// reason and backs off 1 minute, then 2; a certificate far from its end is
// left alone.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "server/acme/cert_manager.h"
#include "server/certs/cert_files.h"
#include "test/unit/proxy_env.h"

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

TEST_CASE("CertManager::RunOnce: gone hosts lose row and file - wanted ones fail with the reason and back off - a "
          "certificate far from its end is left alone - nothing is ordered before a proxy answers", "[acme]") {
  ms_test::ProbeAnswerer answerer;
  ms_test::ProxyEnv env(answerer.port());
  env.settings.domain = "example.com";
  env.settings.acme_directory = "http://127.0.0.1:1/directory";  // nothing listens there
  env.WebApp("shop");
  ms::Release release;
  release.image = "localhost:5000/shop:v1";
  REQUIRE(env.store->CreateRelease("shop", release));
  REQUIRE(env.store->AddDomain("shop", "www.shop.org"));
  const int64_t shop_id = env.store->GetApp("shop")->id;
  const auto certs_dir = env.settings.ProxyDir() / std::string(ms::kCertsDir);
  std::filesystem::create_directories(certs_dir);
  // A host the app no longer has, with its certificate.
  const std::string gone_file = ms::AcmeCertFileName(shop_id, "old.shop.org");
  std::ofstream(certs_dir / gone_file) << "key and chain";
  ms::AcmeHost gone{.host = "old.shop.org", .app = "shop", .status = "issued"};
  gone.cert = {.issuer = "CA", .not_before = 1, .not_after = 9'000'000'000, .file = gone_file, .added_at = "v"};
  REQUIRE(env.store->PutAcmeHost(gone));
  // www.shop.org's certificate has 40 days left: not due.
  const int64_t t0 = 1'800'000'000;
  ms::AcmeHost www{.host = "www.shop.org", .app = "shop", .status = "issued"};
  www.cert = {.issuer = "CA", .not_before = t0 - 50 * 86400, .not_after = t0 + 40 * 86400,
              .file = ms::AcmeCertFileName(shop_id, "www.shop.org"), .added_at = "v"};
  REQUIRE(env.store->PutAcmeHost(www));

  int64_t now = t0;
  ms::CertManager manager(env.settings, *env.store, *env.proxy, [&] { return now; });
  auto rows = [&] {
    std::map<std::string, ms::AcmeHost> by_host;
    auto rows = env.store->ListAcmeHosts().value();
    for (auto& h : rows) by_host[h.host] = h;
    return by_host;
  };
  manager.RunOnce();
  auto after = rows();
  CHECK_FALSE(after.contains("old.shop.org"));
  CHECK_FALSE(std::filesystem::exists(certs_dir / gone_file));
  REQUIRE(after.contains("shop.example.com"));
  REQUIRE(after.contains("mothership.example.com"));
  for (const char* host : {"shop.example.com", "mothership.example.com"}) {
    INFO(host);
    const auto& h = after[host];
    CHECK(h.status == "failing");
    CHECK(h.failures == 1);
    CHECK(h.next_attempt == t0 + 60);
    CHECK(h.last_error.find("127.0.0.1:1") != std::string::npos);
  }
  CHECK(after["mothership.example.com"].app.empty());
  CHECK(after["www.shop.org"].status == "issued");  // 40 days left: not ordered
  CHECK(after["www.shop.org"].failures == 0);

  now = t0 + 30;  // before the retry is due
  manager.RunOnce();
  CHECK(rows()["shop.example.com"].failures == 1);
  now = t0 + 61;
  manager.RunOnce();
  CHECK(rows()["shop.example.com"].failures == 2);
  CHECK(rows()["shop.example.com"].next_attempt == t0 + 61 + 120);

  // 20 days left: due; the renewal fails, the certificate stays (served until
  // its end) and says so.
  now = t0 + 20 * 86400;
  manager.RunOnce();
  auto renewing = rows()["www.shop.org"];
  CHECK(renewing.status == "failing");
  CHECK(renewing.cert.file == www.cert.file);
  CHECK(renewing.cert.not_after == www.cert.not_after);
}

TEST_CASE("CertManager::RunOnce: with no proxy answering, nothing is ordered - no host is counted as failing",
          "[acme]") {
  ms_test::ProxyEnv env(1);  // (nothing listens on port 1)
  env.settings.domain = "example.com";
  env.settings.acme_directory = "http://127.0.0.1:1/directory";
  env.WebApp("shop");
  ms::Release release;
  release.image = "localhost:5000/shop:v1";
  REQUIRE(env.store->CreateRelease("shop", release));
  ms::CertManager manager(env.settings, *env.store, *env.proxy, [] { return int64_t{1'800'000'000}; });
  manager.RunOnce();
  // (With an order tried, shop.example.com and mothership.example.com would
  // have rows, each failing once.)
  CHECK(env.store->ListAcmeHosts().value().empty());
  CHECK_FALSE(std::filesystem::exists(env.settings.data_dir / "acme" / "account.pem"));
}
