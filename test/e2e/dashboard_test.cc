// The web dashboard: its page and sign-in over HTTP (curl), then the whole of
// it in a real browser (test/browser/dashboard.test.mjs: Debian's chromium
// driven by puppeteer-core) against a real daemon, proxy and Swarm.

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>

#include "test/support/apps.h"
#include "test/support/test_server.h"

using ms::test::MakeToken;
using ms::test::Run;
using ms::test::TestServer;
using json = nlohmann::json;

namespace {

// A sign-in link's code (`dashboard --json` over ssh).
std::string LinkCode(TestServer& s, const std::filesystem::path& key) {
  auto link = s.SshAs(key, "dashboard --json");
  INFO(link.Both());
  REQUIRE(link.exit_code == 0);
  std::string url = json::parse(link.out)["url"];
  auto at = url.find("#code=");
  REQUIRE(at != std::string::npos);
  return url.substr(at + 6);
}

// curl on the daemon's loopback port: "STATUS\nHEADERS\nBODY" pieces.
struct Answer {
  int status = 0;
  std::string headers;
  std::string body;
};
Answer Curl(TestServer& s, std::vector<std::string> args, const std::string& path) {
  std::vector<std::string> argv = {"curl", "-sS", "-D", "-", "--max-time", "20"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(fmt::format("http://127.0.0.1:{}{}", s.api_port(), path));
  auto r = Run(argv);
  INFO(r.Both());
  REQUIRE(r.exit_code == 0);
  Answer a;
  auto split = r.out.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  a.headers = r.out.substr(0, split);
  a.body = r.out.substr(split + 4);
  a.status = std::atoi(a.headers.c_str() + a.headers.find(' ') + 1);
  return a;
}

std::string Header(const Answer& a, const std::string& name) {
  std::smatch m;
  std::regex re("\r\n" + name + ": ([^\r]*)", std::regex::icase);
  return std::regex_search(a.headers, m, re) ? m[1].str() : "";
}

}  // namespace

TEST_CASE("dashboard: the page is served by the daemon - a link signs in once, the cookie is Secure HttpOnly "
          "SameSite=Strict, changes need the CSRF token, and removing the key ends the session") {
  TestServer s;
  auto dev_key = s.NewKey("dev");
  s.AddKey("dev", dev_key, "developer");

  auto page = Curl(s, {"-H", "Accept-Encoding: gzip"}, "/");
  CHECK(page.status == 200);
  CHECK(Header(page, "Content-Encoding") == "gzip");
  CHECK(Header(page, "Content-Security-Policy").find("script-src 'self'") != std::string::npos);
  auto plain = Curl(s, {}, "/");
  CHECK(plain.body.find("<title>Mothership</title>") != std::string::npos);
  std::smatch script;
  REQUIRE(std::regex_search(plain.body, script, std::regex(R"(/dashboard\.js\?v=[0-9a-f]{16})")));
  auto js = Curl(s, {"-H", "Accept-Encoding: gzip"}, script[0].str());
  CHECK(js.status == 200);
  CHECK(Header(js, "Cache-Control").find("immutable") != std::string::npos);
  CHECK(Curl(s, {}, "/nothing-here").status == 404);
  auto head = Curl(s, {"-I"}, "/");  // HEAD: the headers, no body
  CHECK(head.status == 200);
  CHECK(Header(head, "Content-Length") == std::to_string(plain.body.size()));
  CHECK(head.body.find("<title>") == std::string::npos);

  // A link works once.
  const std::string code = LinkCode(s, dev_key);
  auto in = Curl(s, {"-X", "POST", "-d", json{{"code", code}}.dump()}, "/api/v1/session");
  CHECK(in.status == 201);
  std::string set_cookie = Header(in, "Set-Cookie");
  CHECK(set_cookie.find("mothership_session=") == 0);
  for (const char* attribute : {"; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"}) {
    CHECK(set_cookie.find(attribute) != std::string::npos);
  }
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const std::string csrf = json::parse(in.body)["csrf_token"];
  CHECK(json::parse(in.body)["key_name"] == "dev");
  auto reused = Curl(s, {"-X", "POST", "-d", json{{"code", code}}.dump()}, "/api/v1/session");
  CHECK(reused.status == 401);
  CHECK(reused.body.find("used already") != std::string::npos);

  // Reads need the cookie; changes need the CSRF token too.
  CHECK(Curl(s, {"-H", "Cookie: " + cookie}, "/api/v1/apps").status == 200);
  auto forged = Curl(s, {"-H", "Cookie: " + cookie, "-X", "POST", "-d", R"({"name": "forged"})"}, "/api/v1/apps");
  CHECK(forged.status == 403);
  auto wrong = Curl(s, {"-H", "Cookie: " + cookie, "-H", "X-CSRF-Token: " + std::string(64, '0'), "-X", "POST", "-d",
                        R"({"name": "forged"})"},
                    "/api/v1/apps");
  CHECK(wrong.status == 403);
  CHECK(s.Ssh("apps:list").out.find("forged") == std::string::npos);
  auto made = Curl(s, {"-H", "Cookie: " + cookie, "-H", "X-CSRF-Token: " + csrf, "-X", "POST", "-d",
                       R"({"name": "shop"})"},
                   "/api/v1/apps");
  CHECK(made.status == 201);
  // The audit log names the key behind the session.
  CHECK(s.Ssh("audit -n 1").out.find("dev") != std::string::npos);

  // A token signs in too; revoking it ends that session.
  const std::string token = MakeToken(s, dev_key, "browser");
  auto by_token = Curl(s, {"-X", "POST", "-d", json{{"token", token}}.dump()}, "/api/v1/session");
  REQUIRE(by_token.status == 201);
  const std::string token_cookie = Header(by_token, "Set-Cookie").substr(0, Header(by_token, "Set-Cookie").find(';'));
  CHECK(json::parse(Curl(s, {"-H", "Cookie: " + token_cookie}, "/api/v1/session").body)["token"] == "browser");
  REQUIRE(s.SshAs(dev_key, "tokens:revoke browser").exit_code == 0);
  CHECK(Curl(s, {"-H", "Cookie: " + token_cookie}, "/api/v1/apps").status == 401);
  CHECK(Curl(s, {"-H", "Cookie: " + cookie}, "/api/v1/apps").status == 200);

  // Sign-out ends a session; removing the key ends the others.
  const std::string code2 = LinkCode(s, dev_key);
  auto second = Curl(s, {"-X", "POST", "-d", json{{"code", code2}}.dump()}, "/api/v1/session");
  const std::string cookie2 = Header(second, "Set-Cookie").substr(0, Header(second, "Set-Cookie").find(';'));
  const std::string csrf2 = json::parse(second.body)["csrf_token"];
  auto out = Curl(s, {"-H", "Cookie: " + cookie2, "-H", "X-CSRF-Token: " + csrf2, "-X", "DELETE"}, "/api/v1/session");
  CHECK(out.status == 200);
  CHECK(Header(out, "Set-Cookie").find("Max-Age=0") != std::string::npos);
  CHECK(Curl(s, {"-H", "Cookie: " + cookie2}, "/api/v1/apps").status == 401);
  REQUIRE(s.Ssh("keys:remove dev").exit_code == 0);
  auto ended = Curl(s, {"-H", "Cookie: " + cookie}, "/api/v1/apps");
  CHECK(ended.status == 401);
  CHECK(ended.body.find("sign in again") != std::string::npos);
}

TEST_CASE("browser: the dashboard in chromium - sign in, deploy a folder and watch its build, config, scale, roll back, "
          "live logs, a terminal, admin pages, and a member of one app never sees another's",
          "[long]") {
  const auto browser_dir = std::filesystem::path(MOTHERSHIP_SOURCE_DIR) / "test" / "browser";
  INFO("run `npm ci` in test/browser first (scripts/test does)");
  REQUIRE(std::filesystem::exists(browser_dir / "node_modules" / "puppeteer-core"));
  REQUIRE(std::filesystem::exists("/usr/bin/chromium"));
  TestServer s = ms::test::BuildServer();
  auto dev_key = s.NewKey("dev");
  s.AddKey("dev", dev_key, "developer");
  auto other_key = s.NewKey("other");
  s.AddKey("other", other_key, "developer");
  // (Names unique to the run: apps' services share the engine with other tests.)
  const std::string app = ms::test::Unique("web"), scratch = ms::test::Unique("scratch"),
                    other_app = ms::test::Unique("other");
  REQUIRE(s.SshAs(other_key, "apps:create " + other_app).exit_code == 0);
  const std::string other_token = MakeToken(s, other_key, "browser");
  const std::string admin_token = MakeToken(s, s.admin_key(), "browser");

  // The folder the page deploys: the sample app, as a person has it.
  const auto source = s.dir() / "hello-node";
  std::filesystem::copy(std::filesystem::path(MOTHERSHIP_SOURCE_DIR) / "test" / "apps" / "hello-node", source,
                        std::filesystem::copy_options::recursive);
  const std::string base = fmt::format("http://mothership.localhost:{}", s.http_port());
  const auto screenshots = std::filesystem::path(ms::test::BinDir()).parent_path() / "test-screenshots";
  ms::test::RunOptions options;
  options.env = {{"BASE_URL", base},
                 {"LINK", base + "/#code=" + LinkCode(s, dev_key)},
                 {"ADMIN_TOKEN", admin_token},
                 {"OTHER_TOKEN", other_token},
                 {"APP", app},
                 {"SCRATCH", scratch},
                 {"OTHER_APP", other_app},
                 {"SOURCE_DIR", source.string()},
                 {"HTTP_PORT", std::to_string(s.http_port())},
                 {"API_PORT", std::to_string(s.api_port())},
                 {"SCREENSHOTS", screenshots.string()}};
  auto run = Run({"timeout", "540", "node", (browser_dir / "dashboard.test.mjs").string()}, options);
  INFO(run.Both());
  UNSCOPED_INFO("screenshots: " << screenshots.string());
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("FAILED") == std::string::npos);
  CHECK(run.out.find("ok - sign out") != std::string::npos);
  for (const char* page : {"apps", "deploy", "config", "processes", "logs", "releases", "terminal", "nodes"}) {
    CHECK(std::filesystem::exists(screenshots / (std::string(page) + "-phone.png")));
  }
  WARN(run.out);  // the figures and where the screenshots are
}
