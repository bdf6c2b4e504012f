// HTTPS end to end (issue 17): a certificate given with certs:add is served by
// the proxy's edge and worker on https_port, verified by curl against it; the
// app sees X-Forwarded-Proto https; certs shows it; bad bundles are refused
// with the reason; http:redirect and HSTS; certs:remove takes https away and
// http stays. Then ACME against Pebble: a certificate per host (the app's, a
// custom domain's, the platform's) issued after the first deploy without
// anyone asking, renewed when near its end, a domain the CA cannot validate
// failing alone with its reason shown, a removed domain's certificate gone.
// Needs a Docker engine, the registry at localhost:5000, and pebble.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/config/settings.h"

#include "test/support/apps.h"
#include "test/support/pebble.h"
#include "test/support/run.h"
#include "test/support/test_certs.h"
#include "test/support/test_server.h"

using ms::test::BuildServer;
using ms::test::MakeSelfSigned;
using ms::test::Push;
using ms::test::SampleRepo;
using ms::test::TestServer;
using ms::test::Unique;

namespace {

// curl over https to HOST on the server's https port (resolved to loopback),
// trusting only `ca`; its exit code and body.
ms::test::RunResult Curl(TestServer& s, const std::string& host, const std::filesystem::path& ca,
                         const std::string& path = "/") {
  const std::string port = std::to_string(s.https_port());
  return ms::test::Run({"curl", "-sS", "--max-time", "10", "--cacert", ca.string(), "--resolve",
                        host + ":" + port + ":127.0.0.1", "https://" + host + ":" + port + path});
}

// What openssl s_client sees at HOST on the https port: the certificate's
// subject line and whether it verified against ca (curl will not match a
// "*.localhost" name: it wants two dots in a wildcard).
std::string Handshake(TestServer& s, const std::string& host, const std::filesystem::path& ca) {
  return ms::test::Run({"bash", "-c",
                        fmt::format("openssl s_client -connect 127.0.0.1:{} -servername {} -CAfile {} </dev/null "
                                    "2>/dev/null | grep -E '^subject=|Verify return code'",
                                    s.https_port(), host, ca.string())})
      .out;
}

}  // namespace

TEST_CASE("https: certs:add serves the app over https through the proxy - certs shows it - bad bundles are refused "
          "with the reason - served across a worker replacement - http:redirect with HSTS - certs:remove leaves http - "
          "the admin's wildcard certificate") {
  TestServer s = BuildServer([](ms::Settings& settings) { settings.hsts_max_age_seconds = 600; });
  const std::string app = Unique("secure");
  Push(s, SampleRepo(s, "hello-node"), app);
  const std::string host = app + ".localhost";
  auto cert = MakeSelfSigned({host});
  auto ca = s.dir() / "ca.pem";
  std::ofstream(ca) << cert.cert_pem;

  // Before: no certificate, the proxy's https port refuses the handshake for
  // that name (it listens: the alert says why).
  CHECK(Curl(s, host, ca).exit_code != 0);
  auto refused_name = ms::test::Run(
      {"bash", "-c", fmt::format("openssl s_client -connect 127.0.0.1:{} -servername {} </dev/null 2>&1",
                                 s.https_port(), host)});
  INFO(refused_name.out);
  CHECK(refused_name.out.find("unrecognized name") != std::string::npos);
  CHECK(s.Ssh("certs " + app).out.find("has no certificate") != std::string::npos);

  // Refused, each with its reason; nothing changes.
  auto other = MakeSelfSigned({"elsewhere.example"});
  auto expired = MakeSelfSigned({host}, false, -1);
  struct Bad {
    std::string bundle;
    std::string says;
  } bad[] = {
      {"hello", "no PEM found"},
      {cert.cert_pem, "no private key"},
      {cert.key_pem, "no certificate found"},
      {other.key_pem + cert.cert_pem, "belongs to none of the certificates"},
      {other.Bundle(), "none of which " + app + " answers at"},
      {expired.Bundle(), "has expired"},
  };
  for (const auto& b : bad) {
    auto r = s.Ssh("certs:add " + app, b.bundle);
    INFO(b.says << "\n" << r.Both());
    CHECK(r.exit_code != 0);
    CHECK(r.err.find(b.says) != std::string::npos);
  }
  CHECK(s.Ssh("certs " + app).out.find("has no certificate") != std::string::npos);

  auto added = s.Ssh("certs:add " + app, cert.Bundle());
  INFO(added.Both());
  REQUIRE(added.exit_code == 0);
  CHECK(added.out.find("Added a certificate for " + host) != std::string::npos);
  CHECK(added.out.find(fmt::format("https://{}:{}/", host, s.https_port())) != std::string::npos);
  // The key is readable by the daemon and the proxy only.
  auto file = s.data_dir() / "proxy" / "certs" / ("app-" + std::to_string(ms::test::OpenStore(s)->GetApp(app)->id) + "-manual.pem");
  REQUIRE(std::filesystem::exists(file));
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

  auto answer = Curl(s, host, ca);
  INFO(answer.Both());
  CHECK(answer.exit_code == 0);
  CHECK(answer.out.find("Hello from Mothership") != std::string::npos);
  // Bodies stream both ways over TLS: 8 MB down, 8 MB up.
  const std::string port = std::to_string(s.https_port());
  auto down = ms::test::Run({"curl", "-sS", "--max-time", "60", "--cacert", ca.string(), "--resolve",
                             host + ":" + port + ":127.0.0.1", "-o", "/dev/null", "-w", "%{size_download}",
                             "https://" + host + ":" + port + "/download?mb=8"});
  CHECK(down.out == std::to_string(8 * 1024 * 1024));
  auto up = ms::test::Run({"bash", "-c",
                           fmt::format("head -c {} /dev/zero | curl -sS --max-time 60 --cacert {} --resolve "
                                       "{}:{}:127.0.0.1 --data-binary @- https://{}:{}/upload",
                                       8 * 1024 * 1024, ca.string(), host, port, host, port)});
  CHECK(up.out == fmt::format("received {} bytes\n", 8 * 1024 * 1024));
  auto headers = Curl(s, host, ca, "/headers");
  CHECK(headers.out.find(R"("x-forwarded-proto":"https")") != std::string::npos);
  CHECK(headers.out.find(fmt::format(R"("x-forwarded-port":"{}")", s.https_port())) != std::string::npos);
  auto listed = s.Ssh("certs " + app);
  INFO(listed.Both());
  CHECK(listed.out.find(host) != std::string::npos);
  CHECK(listed.out.find("ECDSA P-256") != std::string::npos);
  CHECK(listed.out.find("ok, 89 days left") != std::string::npos);

  // Another app cannot take this app's host with a certificate.
  const std::string second = Unique("other");
  REQUIRE(s.Ssh("apps:create " + second).exit_code == 0);
  auto taken = s.Ssh("certs:add " + second, cert.Bundle());
  CHECK(taken.exit_code != 0);
  CHECK(taken.err.find("none of which " + second + " answers at") != std::string::npos);

  // https clients are served while the proxy's worker is replaced (the second
  // app's first deploy joins the proxy to its network): every request, each a
  // new TLS connection, is answered.
  {
    std::atomic<bool> stop = false;
    std::atomic<int> served = 0;
    std::vector<std::string> failures;
    std::thread load([&] {
      while (!stop) {
        auto r = Curl(s, host, ca);
        if (r.exit_code == 0 && r.out.find("Hello from Mothership") != std::string::npos) {
          ++served;
        } else {
          failures.push_back(r.Both());
        }
      }
    });
    Push(s, SampleRepo(s, "hello-node"), second);
    stop = true;
    load.join();
    INFO((failures.empty() ? "" : failures.front()));
    CHECK(failures.empty());
    CHECK(served > 10);
  }

  // http:redirect: GET and HEAD get 301, other methods 308, to the same
  // path over https; https answers carry HSTS.
  REQUIRE(s.Ssh("http:redirect " + app + " on").exit_code == 0);
  auto http = [&](const std::string& method) {
    return ms::test::Run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-X", method,
                          "-H", "Host: " + host, fmt::format("http://127.0.0.1:{}/path?q=1", s.http_port())})
        .out;
  };
  const std::string to = fmt::format("https://{}:{}/path?q=1", host, s.https_port());
  CHECK(http("GET") == "301 " + to);
  CHECK(http("POST") == "308 " + to);
  auto hsts = ms::test::Run({"curl", "-sS", "-D", "-", "-o", "/dev/null", "--cacert", ca.string(), "--resolve",
                             fmt::format("{}:{}:127.0.0.1", host, s.https_port()),
                             fmt::format("https://{}:{}/", host, s.https_port())});
  CHECK(hsts.out.find("Strict-Transport-Security: max-age=600\r\n") != std::string::npos);

  auto removed = s.Ssh("certs:remove " + app);
  INFO(removed.Both());
  CHECK(removed.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(file));
  CHECK(Curl(s, host, ca).exit_code != 0);
  // No certificate: no redirect, http serves.
  CHECK(http("GET").starts_with("200 "));
  ms::test::AnswersWith(s, app, "Hello from Mothership");
  CHECK(s.Ssh("certs:remove " + app).exit_code != 0);

  // The admin's *.DOMAIN certificate serves every app without its own; a
  // developer may not give one.
  auto wildcard = MakeSelfSigned({"*.localhost"});
  auto wildcard_ca = s.dir() / "wildcard-ca.pem";
  std::ofstream(wildcard_ca) << wildcard.cert_pem;
  auto developer = s.NewKey("dev");
  s.AddKey("dev", developer, "developer");
  auto refused = s.SshAs(developer, "certs:add --wildcard", wildcard.Bundle());
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("needs an admin key") != std::string::npos);
  CHECK(s.Ssh("certs:add --wildcard", MakeSelfSigned({"shop.localhost"}).Bundle()).err.find("not *.localhost") !=
        std::string::npos);
  auto given = s.Ssh("certs:add --wildcard", wildcard.Bundle());
  INFO(given.Both());
  REQUIRE(given.exit_code == 0);
  for (const std::string& name : {host, second + ".localhost"}) {
    auto seen = Handshake(s, name, wildcard_ca);
    INFO(name << ": " << seen);
    CHECK(seen.find("subject=CN = *.localhost") != std::string::npos);
    CHECK(seen.find("Verify return code: 0 (ok)") != std::string::npos);
  }
  CHECK(s.Ssh("certs --wildcard").out.find("*.localhost") != std::string::npos);
  // certs lists it as what serves the app's host.
  auto via = s.Ssh("certs " + app);
  CHECK(via.out.find("wildcard") != std::string::npos);
  CHECK(via.out.find(host) != std::string::npos);
  REQUIRE(s.Ssh("certs:remove --wildcard").exit_code == 0);
  CHECK(Handshake(s, host, wildcard_ca).find("subject=") == std::string::npos);
}

TEST_CASE("https: ACME against Pebble - a certificate per host: the app's, a custom domain's and the platform's, "
          "issued after the first deploy and verified against Pebble's root - renewed near its end - a domain Pebble "
          "cannot validate is shown failing with the reason while the app's other hosts keep theirs") {
  // Certificates of 90 s: renewed when a third of their life is left, so
  // within the manager's next looks.
  TestServer s = BuildServer();  // (its ports first: Pebble validates on its http port)
  ms::test::Pebble pebble(s.dir(), s.http_port(), 90);
  s.Stop();
  {
    auto settings = ms::LoadSettings(s.data_dir());
    REQUIRE(settings);
    settings->acme_directory = pebble.directory();
    settings->acme_ca_bundle = pebble.tls_ca().string();
    REQUIRE(ms::SaveSettings(*settings));
  }
  s.Start();
  const std::string app = Unique("auto");
  const std::string host = app + ".localhost";
  const std::string www = "www-" + app + ".example";  // Pebble's DNS answers loopback for any name
  REQUIRE(s.Ssh("apps:create " + app).exit_code == 0);
  REQUIRE(s.Ssh("domains:add " + app + " " + www).exit_code == 0);
  // Nothing is ordered before the first deploy.
  auto before = nlohmann::json::parse(s.Ssh("certs:auto " + app + " --json").out, nullptr, false);
  INFO(before.dump());
  CHECK(before["deployed"] == false);
  Push(s, SampleRepo(s, "hello-node"), app);
  auto root = s.dir() / "pebble-root.pem";
  std::ofstream(root) << pebble.Root();

  // ACME's certificate for one host, from `certs --json` (null: none yet).
  auto acme_cert = [&](const std::string& name) -> nlohmann::json {
    auto list = nlohmann::json::parse(s.Ssh("certs " + app + " --json").out, nullptr, false);
    if (!list.is_array()) return {};
    for (const auto& c : list) {
      if (c["source"] == "acme" && c["hosts"] == nlohmann::json::array({name}) && c.contains("expires_at")) return c;
    }
    return {};
  };
  auto wait_for = [&](const std::function<bool()>& done, int seconds) {
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(std::chrono::seconds(1))) {
      if (done()) return true;
    }
    return false;
  };
  // Issued without a command: the release wakes the manager; each order takes
  // seconds (Pebble; 90 s allowed for both).
  nlohmann::json first, custom;
  bool issued = wait_for([&] {
    first = acme_cert(host);
    custom = acme_cert(www);
    return !first.is_null() && !custom.is_null();
  }, 90);
  INFO(s.Ssh("certs:auto " + app).Both() << s.Log());
  REQUIRE(issued);
  for (const auto& c : {first, custom}) {
    CHECK(c["issuer"].get<std::string>().find("Pebble") != std::string::npos);
    CHECK(c["names"].size() == 1);  // its own host only
  }
  for (const std::string& name : {host, www}) {
    auto answer = Curl(s, name, root);
    INFO(name << ": " << answer.Both());
    CHECK(answer.exit_code == 0);
    CHECK(answer.out.find("Hello from Mothership") != std::string::npos);
  }
  // The platform's own host has one too (for the API); the key files are 0600.
  CHECK(wait_for([&] { return Handshake(s, "mothership.localhost", root).find("Verify return code: 0 (ok)") !=
                              std::string::npos; }, 150));
  for (const auto& entry : std::filesystem::directory_iterator(s.data_dir() / "proxy" / "certs")) {
    INFO(entry.path());
    CHECK((entry.status().permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  }

  // Renewed 60 s after it was issued (30 s left), at the manager's next look
  // (every minute): a later expiry, served.
  nlohmann::json renewed;
  bool renewed_in_time = wait_for([&] {
    renewed = acme_cert(host);
    return !renewed.is_null() && renewed["expires_at"] != first["expires_at"];
  }, 150);
  REQUIRE(renewed_in_time);
  CHECK(renewed["expires_at"].get<int64_t>() > first["expires_at"].get<int64_t>());
  CHECK(Curl(s, host, root).exit_code == 0);

  // A custom domain the CA cannot validate (its DNS fails): its order fails
  // with the reason shown by certs and certs:auto; the app's other hosts keep
  // their certificates, and http serves as before.
  const std::string bad = "bad-" + app + ".example";
  pebble.BreakDns(bad);
  REQUIRE(s.Ssh("domains:add " + app + " " + bad).exit_code == 0);
  std::string why;
  wait_for([&] {
    auto state = nlohmann::json::parse(s.Ssh("certs:auto " + app + " --json").out, nullptr, false);
    if (!state.is_object()) return false;
    for (const auto& h : state["hosts"]) {
      if (h["host"] == bad && h["status"] == "failing") why = h["last_error"];
    }
    return !why.empty();
  }, 90);
  INFO(why);
  CHECK(why.find(bad) != std::string::npos);
  auto shown = s.Ssh("certs:auto " + app);
  INFO(shown.Both());
  CHECK(shown.out.find(bad) != std::string::npos);
  CHECK(shown.out.find("in a row; next try in") != std::string::npos);
  auto listed = s.Ssh("certs " + app);
  INFO(listed.Both());
  CHECK(listed.out.find("failing: ") != std::string::npos);
  CHECK(Curl(s, host, root).exit_code == 0);
  CHECK(Curl(s, www, root).exit_code == 0);
  ms::test::AnswersWith(s, app, "Hello from Mothership");

  // A domain removed loses its certificate: the row and the key file go.
  REQUIRE(s.Ssh("domains:remove " + app + " " + www).exit_code == 0);
  CHECK(wait_for([&] {
    for (const auto& entry : std::filesystem::directory_iterator(s.data_dir() / "proxy" / "certs")) {
      if (entry.path().filename().string().find(www) != std::string::npos) return false;
    }
    return acme_cert(www).is_null();
  }, 90));
}
