// The HTTP API against the real daemon: a token made over ssh, curl on the
// daemon's loopback port, and every command of the catalog run through
// POST /api/v1/commands and over ssh by the same developer, answering alike.

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <boost/process.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "server/commands/catalog.h"
#include "test/support/apps.h"
#include "test/support/test_certs.h"
#include "test/support/test_server.h"

using ms::test::MakeToken;
using ms::test::Run;
using ms::test::TestServer;
using json = nlohmann::json;

namespace {

struct Http {
  int status = 0;
  json body;
  std::string text;
};

// curl METHOD http://127.0.0.1:API_PORT/PATH with a bearer token and a JSON body.
Http Curl(TestServer& s, const std::string& token, const std::string& method, const std::string& path,
          const std::string& body = "") {
  std::vector<std::string> argv = {"curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method,
                                   fmt::format("http://127.0.0.1:{}{}", s.api_port(), path)};
  if (!token.empty()) argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
  if (!body.empty()) argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", "@-"});
  ms::test::RunOptions options;
  options.stdin_data = body;
  auto r = Run(argv, options);
  INFO(r.Both());
  REQUIRE(r.exit_code == 0);
  Http h;
  auto nl = r.out.rfind('\n');
  h.status = std::atoi(r.out.c_str() + nl + 1);
  h.text = r.out.substr(0, nl);
  h.body = json::parse(h.text, nullptr, false);
  return h;
}

// What may differ between two runs of one command: times, sign-in links'
// codes, and the placeholder each side used.
std::string Normalized(std::string text, const std::string& placeholder) {
  for (size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at)) {
    text.replace(at, placeholder.size(), "PLACEHOLDER");
  }
  static const std::regex times(R"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?Z?( UTC)?)");
  static const std::regex link_codes("#code=[0-9a-f]{64}");  // (dashboard: each link its own)
  return std::regex_replace(std::regex_replace(text, times, "TIME"), link_codes, "#code=CODE");
}

}  // namespace

TEST_CASE("api: a token made over ssh answers on the loopback port - every command through /api/v1/commands "
          "answers as over ssh") {
  TestServer s;
  auto dev_key = s.NewKey("dev");
  s.AddKey("dev", dev_key, "developer");
  const std::string token = MakeToken(s, dev_key, "walk");
  auto account = Curl(s, token, "GET", "/api/v1/account");
  CHECK(account.status == 200);
  CHECK(account.body["key_name"] == "dev");
  CHECK(Curl(s, "", "GET", "/api/v1/apps").status == 401);

  // Every command of the catalog, with as many placeholder arguments as it
  // needs, in catalog order: once over ssh (app name "sshapp") and once
  // through the API ("apiapp"), each side's state moving alike. tokens:create
  // is refused to tokens by design (a leaked token cannot mint more).
  int walked = 0, commands = 0;
  for (const ms::Namespace& ns : ms::AllNamespaces()) commands += static_cast<int>(ns.commands.size());
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    for (const ms::Command& c : ns.commands) {
      if (c.name == "tokens:create") continue;
      std::vector<std::string> api_argv = {std::string(c.name)}, ssh_argv = api_argv;
      for (int i = 0; i < c.min_args; ++i) {
        api_argv.push_back("apiapp");
        ssh_argv.push_back("sshapp");
      }
      std::string line;
      for (const auto& w : ssh_argv) line += (line.empty() ? "" : " ") + w;
      auto ssh = s.SshAs(dev_key, line);
      auto api = Curl(s, token, "POST", "/api/v1/commands", json{{"argv", api_argv}}.dump());
      INFO(line << "\nssh: " << ssh.exit_code << "\n" << ssh.Both() << "\napi: " << api.text);
      REQUIRE(api.body.is_object());
      CHECK(api.body["exit_status"] == ssh.exit_code);
      CHECK((api.status == 200) == (ssh.exit_code == 0));
      if (c.name != "audit") {  // (its actor column names the token)
        CHECK(Normalized(api.body["stdout"], "apiapp") == Normalized(ssh.out, "sshapp"));
        CHECK(Normalized(api.body["stderr"], "apiapp") == Normalized(ssh.err, "sshapp"));
      }
      ++walked;
    }
  }
  CHECK(walked == commands - 1);
}

TEST_CASE("api: mothership deploy DIR and logs with MOTHERSHIP_TOKEN go through the API - git sees what was "
          "deployed") {
  TestServer s;
  REQUIRE(s.Ssh("apps:create site").exit_code == 0);
  const std::string token = MakeToken(s, s.admin_key(), "cli");
  ms::test::TempDir work;
  std::filesystem::create_directories(work.path() / "site");
  ms::test::WriteFile(work.path() / "site" / "Procfile", "web: python3 -m http.server $PORT\n");
  ms::test::WriteFile(work.path() / "site" / "index.html", "<h1>from the API</h1>\n");
  ms::test::WriteFile(work.path() / "site" / ".gitignore", "secret.txt\n");
  ms::test::WriteFile(work.path() / "site" / "secret.txt", "not deployed\n");
  ms::test::RunOptions options;
  options.env = {{"MOTHERSHIP_TOKEN", token},
                 {"MOTHERSHIP_API_URL", fmt::format("http://127.0.0.1:{}", s.api_port())},
                 {"MOTHERSHIP_SSH_COMMAND", "false"}};  // nothing goes over ssh
  const std::string cli = ms::test::BinDir() + "/mothership";
  auto deploy = Run({cli, "deploy", (work.path() / "site").string(), "-a", "site", "-s", "127.0.0.1"}, options);
  INFO(deploy.Both());
  CHECK(deploy.exit_code == 0);
  CHECK(deploy.out.find("through http://127.0.0.1:") != std::string::npos);

  // The app's repository has the commit, without what .gitignore names.
  auto clone = s.Git({"clone", "-q", s.Url("site"), (work.path() / "clone").string()}, work.path());
  INFO(clone.Both());
  REQUIRE(clone.exit_code == 0);
  CHECK(ms::test::ReadFile(work.path() / "clone" / "index.html") == "<h1>from the API</h1>\n");
  CHECK_FALSE(std::filesystem::exists(work.path() / "clone" / "secret.txt"));
  auto log = Run({"git", "-C", (work.path() / "clone").string(), "log", "-1", "--format=%an %s"});
  CHECK(log.out == "admin Deploy from the API by admin (token cli)\n");
  auto builds = Curl(s, token, "GET", "/api/v1/apps/site/builds");
  REQUIRE(builds.body.is_array());
  REQUIRE(builds.body.size() == 1);
  CHECK(builds.body[0]["status"] == "succeeded");

  // logs: this server runs no apps, and the API says so.
  auto logs = Run({cli, "logs", "-a", "site", "-s", "127.0.0.1"}, options);
  CHECK(logs.exit_code == 1);
  INFO(logs.Both());
  CHECK(logs.err.find("this server records deploys only") != std::string::npos);

  // A bad token: the API's message.
  options.env["MOTHERSHIP_TOKEN"] = "mst_0000000000000000000000000000000000000000";
  auto refused = Run({cli, "deploy", (work.path() / "site").string(), "-a", "site", "-s", "127.0.0.1"}, options);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("the token is not valid") != std::string::npos);
}

TEST_CASE("api: the README's curl examples run against a server") {
  auto lines = ms::test::ReadmeBlock("api examples");
  REQUIRE(lines.size() >= 8);
  TestServer s;
  ms::test::TempDir work;
  std::filesystem::create_directories(work.path() / "shop");
  ms::test::WriteFile(work.path() / "shop" / "Procfile", "web: node server.js\n");
  // Each line, echoed, in one script: the server's ssh and its loopback API
  // for paas.example.com's.
  std::string ssh = fmt::format("ssh -i {} -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes "
                                "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
                                s.admin_key().string());
  std::string script = "set -eu\n";
  for (auto l : lines) {
    if (auto at = l.find("ssh -p 2222 git@paas.example.com"); at != std::string::npos) {
      l.replace(at, 32, fmt::format("{} -p {} git@127.0.0.1", ssh, s.port()));
    }
    if (auto at = l.find("https://mothership.paas.example.com"); at != std::string::npos) {
      l.replace(at, 35, fmt::format("http://127.0.0.1:{}", s.api_port()));
    }
    script += l + "\necho\n";
  }
  ms::test::RunOptions options;
  options.cwd = work.path();
  auto run = Run({"bash", "-c", script}, options);
  INFO(script << "\n" << run.Both());
  REQUIRE(run.exit_code == 0);
  // Each step's answer: the list, the new app, its config, the build from
  // the archive (recorded on this server), its output, the log's error
  // event (this server runs no apps), the releases command.
  CHECK(run.out.find("[]") != std::string::npos);
  CHECK(run.out.find("\"name\":\"shop\"") != std::string::npos);
  CHECK(run.out.find("{\"GREETING\":\"hello\"}") != std::string::npos);
  CHECK(run.out.find("\"output_stream_url\":\"/api/v1/apps/shop/builds/1/output\"") != std::string::npos);
  CHECK(run.out.find("event: error") != std::string::npos);
  CHECK(run.out.find("\"exit_status\":0") != std::string::npos);
  auto builds = Curl(s, "", "GET", "/api/v1/apps/shop/builds");
  CHECK(builds.status == 401);
}

TEST_CASE("https: the HTTP API through the proxy at mothership.DOMAIN, over http and https - a deploy from an "
          "archive streams its build and the app answers", "[long]") {
  TestServer s = ms::test::BuildServer();
  const std::string token = MakeToken(s, s.admin_key(), "web");
  const std::string auth = "Authorization: Bearer " + token;
  // Over http: the proxy's route to the daemon's socket; the client's own
  // X-Forwarded-For is replaced.
  auto http = Run({"curl", "-sS", "--max-time", "20", "-H", "Host: mothership.localhost", "-H", auth, "-H",
                   "X-Forwarded-For: 203.0.113.99", fmt::format("http://127.0.0.1:{}/api/v1/account", s.http_port())});
  INFO(http.Both());
  CHECK(json::parse(http.out, nullptr, false) == json{{"key_name", "admin"}, {"role", "admin"}, {"token", "web"}});
  auto audit_before = s.Ssh("audit -n 1").out;

  // Over https with the admin's *.localhost certificate (curl will not match
  // a one-dot wildcard: the handshake is checked with openssl).
  auto wildcard = ms::test::MakeSelfSigned({"*.localhost"});
  auto ca = s.dir() / "wildcard-ca.pem";
  ms::test::WriteFile(ca, wildcard.cert_pem);
  REQUIRE(s.Ssh("certs:add --wildcard", wildcard.Bundle()).exit_code == 0);
  const std::string port = std::to_string(s.https_port());
  auto https = [&](std::vector<std::string> extra, const std::string& path, const std::string& as = "") {
    std::vector<std::string> argv = {"curl", "-sS", "-k", "--max-time", "300", "-H",
                                     as.empty() ? auth : "Authorization: Bearer " + as, "--resolve",
                                     "mothership.localhost:" + port + ":127.0.0.1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://mothership.localhost:" + port + path);
    return Run(argv);
  };
  ms::test::RunResult apps;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
    apps = https({}, "/api/v1/apps");
    if (apps.out == "[]\n") break;
  }
  INFO(apps.Both());
  CHECK(apps.out == "[]\n");
  auto handshake = Run({"bash", "-c",
                        fmt::format("openssl s_client -connect 127.0.0.1:{} -servername mothership.localhost -CAfile {} "
                                    "</dev/null 2>/dev/null | grep -E '^subject=|Verify return code'",
                                    s.https_port(), ca.string())});
  CHECK(handshake.out.find("Verify return code: 0 (ok)") != std::string::npos);

  // A deploy from an archive of the sample app, its output followed through the proxy.
  const std::string app = ms::test::Unique("api");
  CHECK(https({"-X", "POST", "-d", json{{"name", app}}.dump()}, "/api/v1/apps").out.find(app) != std::string::npos);
  auto archive = s.dir() / "source.tar.gz";
  REQUIRE(Run({"tar", "czf", archive.string(), "-C", std::string(MOTHERSHIP_SOURCE_DIR) + "/test/apps", "hello-node"})
              .exit_code == 0);
  auto created = https({"-X", "POST", "--data-binary", "@" + archive.string()}, fmt::format("/api/v1/apps/{}/builds", app));
  INFO(created.Both());
  auto build = json::parse(created.out, nullptr, false);
  REQUIRE(build.is_object());
  REQUIRE(build.contains("output_stream_url"));
  auto output = https({"-N"}, build["output_stream_url"].get<std::string>());
  INFO(output.out);
  CHECK(output.out.find("Released v1") != std::string::npos);
  ms::test::AnswersWith(s, app, "Hello from Mothership");
  // git sees the commit that runs.
  auto builds = json::parse(https({}, fmt::format("/api/v1/apps/{}/builds", app)).out, nullptr, false);
  REQUIRE(builds.is_array());
  REQUIRE(builds.size() == 1);
  CHECK(builds[0]["status"] == "succeeded");
  auto head = Run({"git", "--git-dir", (s.data_dir() / "repos" / (app + ".git")).string(), "rev-parse", "main"});
  CHECK(ms::test::Trim(head.out) == build["commit"]);

  // Every resource once through the proxy, with its errors. (-w: the status
  // after the body.)
  auto call = [&](const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& as = "") {
    std::vector<std::string> extra = {"-X", method, "-w", "\n%{http_code}"};
    if (!body.empty()) extra.insert(extra.end(), {"-d", body});
    auto r = https(extra, path, as);
    auto nl = r.out.rfind('\n');
    Http h;
    h.status = std::atoi(r.out.c_str() + nl + 1);
    h.text = r.out.substr(0, nl);
    h.body = json::parse(h.text, nullptr, false);
    return h;
  };
  const std::string base = "/api/v1/apps/" + app;
  auto config = call("PATCH", base + "/config-vars", R"({"GREETING": "Hello from the API"})");
  CHECK(config.status == 200);
  CHECK(config.body == json{{"GREETING", "Hello from the API"}});
  ms::test::AnswersWith(s, app, "Hello from the API");
  auto releases = call("GET", base + "/releases");
  REQUIRE(releases.body.is_array());
  CHECK(releases.body.size() == 2);
  auto rollback = call("POST", base + "/releases", R"({"release": 1})");
  CHECK(rollback.status == 201);
  ms::test::AnswersWith(s, app, "Hello from Mothership");
  CHECK(call("POST", base + "/releases", R"({"release": 99})").status == 404);
  auto scaled = call("PATCH", base + "/formation", R"({"updates": [{"type": "web", "quantity": 2}]})");
  INFO(scaled.text);
  CHECK(scaled.status == 200);
  CHECK(scaled.text.find("\"running\":2") != std::string::npos);
  CHECK(call("PATCH", base + "/formation", R"({"worker": 1})").status == 422);
  CHECK(call("POST", base + "/domains", R"({"hostname": "www.api-test.example"})").status == 201);
  CHECK(call("GET", base + "/domains").text.find("www.api-test.example") != std::string::npos);
  CHECK(call("DELETE", base + "/domains/www.api-test.example").status == 200);
  CHECK(call("POST", base + "/domains", R"({"hostname": "mothership.localhost"})").status == 422);

  // A developer: 404 for an app it is not a member of, then a member; a
  // revoked token fails at once.
  auto dev_key = s.NewKey("dev");
  s.AddKey("dev", dev_key, "developer");
  const std::string dev = MakeToken(s, dev_key, "dev");
  auto hidden = call("GET", base, "", dev);
  CHECK(hidden.status == 404);
  CHECK(hidden.body["id"] == "not_found");
  CHECK(call("POST", base + "/access", R"({"user": "dev"})").status == 201);
  CHECK(call("GET", base + "/config-vars", "", dev).status == 200);
  CHECK(call("DELETE", base, "", dev).status == 403);
  CHECK(call("DELETE", base + "/access/dev").status == 200);
  CHECK(call("GET", base, "", dev).status == 404);
  REQUIRE(s.SshAs(dev_key, "tokens:revoke dev").exit_code == 0);
  CHECK(call("GET", "/api/v1/apps", "", dev).status == 401);

  auto destroyed = call("DELETE", base);
  CHECK(destroyed.status == 200);
  CHECK(call("GET", base).status == 404);
}

namespace {

// curl -N of an app's log events through the proxy's http port, in the
// background, its output in a file.
struct LogStream {
  std::filesystem::path file;
  boost::process::child curl;
  LogStream(TestServer& s, const std::string& token, const std::string& app, const std::filesystem::path& out,
            const std::string& last_event_id)
      : file(out) {
    std::vector<std::string> args = {"-sS", "-N", "-H", "Host: mothership.localhost", "-H",
                                     "Authorization: Bearer " + token};
    if (!last_event_id.empty()) args.insert(args.end(), {"-H", "Last-Event-ID: " + last_event_id});
    args.push_back(fmt::format("http://127.0.0.1:{}/api/v1/apps/{}/logs?tail=1&lines={}", s.http_port(), app,
                               last_event_id.empty() ? 0 : 100));
    curl = boost::process::child("/usr/bin/curl", boost::process::args(args), boost::process::std_out > out.string(),
                                 boost::process::std_err > boost::process::null);
  }
  ~LogStream() {
    if (curl.running()) curl.terminate();
  }
  std::string Text() const { return ms::test::ReadFile(file); }
  // The "data:" lines holding `text`, and the id of the last event.
  int Count(const std::string& text, std::string* last_id = nullptr) const {
    std::istringstream in(Text());
    std::string line, id;
    int n = 0;
    while (std::getline(in, line)) {
      if (line.starts_with("id: ")) id = line.substr(4);
      if (line.starts_with("data: ") && line.find(text) != std::string::npos) ++n;
    }
    if (last_id) *last_id = id;
    return n;
  }
  // Polls (60 s) until `text` has appeared n times.
  bool WaitFor(const std::string& text, int n) {
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
         std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
      if (Count(text) >= n) return true;
    }
    return false;
  }
};

}  // namespace

TEST_CASE("proxy: an API log stream outlives the proxy worker's replacement - resumed with Last-Event-ID, it "
          "misses and repeats no line", "[long]") {
  TestServer s = ms::test::BuildServer();
  const std::string token = MakeToken(s, s.admin_key(), "logs");
  const std::string a = ms::test::Unique("logs"), b = ms::test::Unique("other");
  ms::test::Push(s, ms::test::SampleRepo(s, "hello-node"), a);
  const std::string listening = "hello-node listening on";

  // A new task of a prints one line: seen live.
  LogStream first(s, token, a, s.dir() / "first.events", "");
  REQUIRE(s.Ssh("config:set " + a + " ROUND=1").exit_code == 0);
  INFO(first.Text());
  REQUIRE(first.WaitFor(listening, 1));
  std::string last_id;
  CHECK(first.Count(listening, &last_id) == 1);
  REQUIRE_FALSE(last_id.empty());

  // b's first deploy replaces the proxy's worker (to join b's network); the
  // old one drains and its connections end, this stream's too.
  ms::test::Push(s, ms::test::SampleRepo(s, "hello-node"), b);
  bool ended = false;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
       !ended && std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(250))) {
    ended = !first.curl.running();
  }
  CHECK(ended);

  // A line while no stream is open, then the client resumes after the last id it saw.
  REQUIRE(s.Ssh("config:set " + a + " ROUND=2").exit_code == 0);
  LogStream resumed(s, token, a, s.dir() / "resumed.events", last_id);
  INFO(resumed.Text());
  CHECK(resumed.WaitFor(listening, 1));
  // Not the line before the cut (nor the first deploy's), once.
  REQUIRE(s.Ssh("config:set " + a + " ROUND=3").exit_code == 0);
  CHECK(resumed.WaitFor(listening, 2));
  CHECK(resumed.Count(listening) == 2);
}
