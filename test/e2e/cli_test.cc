// The README's deploy walkthrough, command by command: the lines of its
// `<!-- walkthrough -->` block run in order in one bash, with the real
// `mothership` CLI, git and ssh against a real daemon that builds and runs on
// Swarm, the server's name and the apps' names replaced by the test's. Then
// the apps answer through the proxy. Also the CLI's errors without a server
// or an app.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "test/support/apps.h"
#include "test/support/run.h"
#include "test/support/test_server.h"

using ms::test::BuildServer;
using ms::test::Run;
using ms::test::RunOptions;
using ms::test::TempDir;
using ms::test::TestServer;
using ms::test::Unique;

namespace {

// The command lines of the README's walkthrough block, comments removed.
std::vector<std::string> WalkthroughLines() {
  std::vector<std::string> lines;
  for (std::string line : ms::test::ReadmeBlock("walkthrough")) {
    if (auto hash = line.find(" #"); hash != std::string::npos) line.resize(hash);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

int CurlStatus(int port, const std::string& host, std::string* body = nullptr) {
  auto r = Run({"curl", "-s", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}", "-H", "Host: " + host,
                fmt::format("http://127.0.0.1:{}/", port)});
  auto nl = r.out.rfind('\n');
  if (body) *body = r.out.substr(0, nl == std::string::npos ? 0 : nl);
  return nl == std::string::npos ? 0 : std::atoi(r.out.c_str() + nl + 1);
}

std::string CliSsh(const TestServer& s) {
  return fmt::format(
      "ssh -i {} -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=accept-new "
      "-o UserKnownHostsFile={} -o LogLevel=ERROR",
      s.admin_key().string(), (s.dir() / "known_hosts").string());
}

}  // namespace

TEST_CASE("cli: the README walkthrough runs command by command with the mothership CLI and git", "[long]") {
  auto lines = WalkthroughLines();
  REQUIRE(lines.size() >= 10);
  REQUIRE(lines[0].starts_with("cd hello-node"));

  TestServer s = BuildServer();
  const std::string app = Unique("walk");
  const std::string site = Unique("site");
  TempDir work;
  const auto apps = std::filesystem::path(MOTHERSHIP_SOURCE_DIR) / "test" / "apps";
  std::filesystem::copy(apps / "hello-node", work.path() / app, std::filesystem::copy_options::recursive);
  std::filesystem::copy(apps / "static-site", work.path() / "static-site", std::filesystem::copy_options::recursive);
  std::map<std::string, std::string> env = {{"PATH", ms::test::BinDir() + ":" + std::getenv("PATH")},
                                            {"MOTHERSHIP_SSH_COMMAND", CliSsh(s)},
                                            {"GIT_SSH_COMMAND", CliSsh(s)},
                                            {"GIT_AUTHOR_NAME", "walkthrough"},
                                            {"GIT_AUTHOR_EMAIL", "walkthrough@example.test"},
                                            {"GIT_COMMITTER_NAME", "walkthrough"},
                                            {"GIT_COMMITTER_EMAIL", "walkthrough@example.test"},
                                            {"BROWSER", ""},
                                            {"DISPLAY", ""},
                                            {"WAYLAND_DISPLAY", ""}};
  // "your app, a git repository"
  for (const auto& git : {"init -q -b main", "add -A", "commit -q -m first"}) {
    REQUIRE(Run({"bash", "-c", std::string("git ") + git}, RunOptions{"", env, work.path() / app}).exit_code == 0);
  }

  std::string script = "set -u\nexec 2>&1\n";  // one stream: each line's output follows it
  for (auto line : lines) {
    line = Replace(line, "paas.example.com", fmt::format("127.0.0.1:{}", s.port()));
    line = Replace(line, "hello-node", app);
    line = Replace(line, "my-site", site);
    script += fmt::format("echo '+++ {0}'\n{0} || {{ echo \"+++ FAILED ($?): {0}\"; exit 1; }}\n", line);
  }
  auto walk = Run({"bash", "-c", script}, RunOptions{"", env, work.path()});
  INFO(script);
  INFO(walk.Both());
  REQUIRE(walk.exit_code == 0);

  const std::string url = fmt::format("http://{}.localhost:{}/", app, s.http_port());
  // What one line of the walkthrough printed.
  auto output_of = [&](const std::string& line) {
    auto from = walk.Both().find("+++ " + line);
    if (from == std::string::npos) return std::string();
    auto to = walk.Both().find("+++ ", from + 4);
    return walk.Both().substr(from, to == std::string::npos ? std::string::npos : to - from);
  };
  CHECK(output_of("mothership remote:add").find(fmt::format("ssh://git@127.0.0.1:{}/{}", s.port(), app)) !=
        std::string::npos);
  CHECK(output_of("git push mothership main").find(url) != std::string::npos);
  CHECK(output_of("mothership open").find(url) != std::string::npos);  // no browser: printed
  CHECK(output_of("mothership config:set").find("Released v2") != std::string::npos);
  CHECK(output_of("mothership config\n").find("GREETING") != std::string::npos);
  CHECK(output_of("mothership ps\n").find("=== web (2/2 running") != std::string::npos);
  CHECK(output_of("mothership releases").find("v2 (current)") != std::string::npos);
  CHECK(output_of("mothership rollback").find("v3 is running") != std::string::npos);
  CHECK(output_of("mothership logs").find("[web.1]") != std::string::npos);

  // Through the proxy: the app, its custom domain and the deployed directory.
  std::string body;
  CHECK(CurlStatus(s.http_port(), app + ".localhost", &body) == 200);
  CHECK(body.find("Hello from Mothership!") != std::string::npos);
  CHECK(CurlStatus(s.http_port(), "www.example.test") == 200);
  CHECK(CurlStatus(s.http_port(), site + ".localhost") == 200);
  // rollback made v3 from v1: no GREETING any more; scaled to 2.
  auto releases = s.Ssh("releases " + app);
  CHECK(releases.out.find("v3") != std::string::npos);
  CHECK(s.Ssh("config:get " + app + " GREETING").exit_code != 0);
  CHECK(s.Ssh("ps " + app).out.find("=== web (2/2 running") != std::string::npos);
}

TEST_CASE("cli: without a server or an app the CLI says what to do") {
  TempDir dir;
  std::map<std::string, std::string> env = {{"MOTHERSHIP_SERVER", ""}};
  auto cli = ms::test::BinDir() + "/mothership";
  auto no_server = Run({cli, "apps:list"}, RunOptions{"", env, dir.path()});
  CHECK(no_server.exit_code == 2);
  CHECK(no_server.err.find("mothership remote:add HOST[:PORT]") != std::string::npos);

  auto no_app = Run({cli, "config", "-s", "127.0.0.1:1"}, RunOptions{"", env, dir.path()});
  CHECK(no_app.exit_code == 2);
  CHECK(no_app.err.find("which app? Pass -a APP") != std::string::npos);

  auto not_repo = Run({cli, "remote:add", "example.com"}, RunOptions{"", env, dir.path()});
  CHECK(not_repo.exit_code == 1);
  CHECK(not_repo.err.find("git init") != std::string::npos);

  auto bad_server = Run({cli, "apps:list", "-s", "example.com:99999"}, RunOptions{"", env, dir.path()});
  CHECK(bad_server.exit_code == 2);
  CHECK(bad_server.err.find("not a port number") != std::string::npos);

  auto help = Run({cli, "help"}, RunOptions{"", env, dir.path()});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("remote:add HOST[:PORT]") != std::string::npos);
  CHECK(help.out.find("config:set") != std::string::npos);  // the server's commands

  // Server administration is the daemon's.
  auto setup = Run({cli, "setup", "--data-dir", dir.path().string()}, RunOptions{"", env, dir.path()});
  CHECK(setup.exit_code == 2);
  CHECK(setup.err.find("mothershipd setup") != std::string::npos);
}
