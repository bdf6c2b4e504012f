// The build pipeline end to end: `git push` of sample apps over SSH, buildpacks in
// a real Docker engine, images pushed to the registry, and each image's web
// process answering HTTP when run. Needs a Docker engine and a registry at
// localhost:5000 (scripts/test starts both).

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/docker/engine_docker_client.h"
#include "server/store/store.h"
#include "test/support/apps.h"
#include "test/support/test_server.h"

using ms::test::RunResult;
using ms::test::TestServer;
using ms::test::BuildServer;
using ms::test::Push;
using ms::test::SampleRepo;
using ms::test::Unique;

namespace {

// Pulls the image from the registry, as a Swarm node would, runs it with
// PORT=5000 published on 127.0.0.1 and returns the body of GET /.
std::string ServeOnce(const std::string& image) {
  ms::EngineDockerClient docker;
  auto colon = image.rfind(':');
  REQUIRE(docker.PullImage(image.substr(0, colon), image.substr(colon + 1), nullptr));
  ms::ContainerSpec spec;
  spec.image = image;
  spec.env = {"PORT=5000"};
  spec.labels = {{"mothership.role", "test"}};
  spec.published_ports = {{5000, "0"}};
  auto id = docker.CreateContainer(spec);
  REQUIRE(id);
  REQUIRE(docker.StartContainer(*id));
  auto info = docker.InspectContainer(*id);
  REQUIRE(info);
  std::string port = info->host_ports["5000/tcp"];
  std::string body;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = ms::test::Run({"curl", "-fsS", "--max-time", "5", "http://127.0.0.1:" + port + "/"});
    if (r.exit_code == 0) {
      body = r.out;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  (void)docker.RemoveContainer(*id);
  return body;
}

void CheckSample(const std::string& sample, const std::string& base, const std::string& detected,
                 const std::string& answer) {
  TestServer s = BuildServer();
  std::string app = Unique(base);
  auto repo = SampleRepo(s, sample);
  std::string output = Push(s, repo, app);
  CHECK(output.find(detected) != std::string::npos);
  CHECK(ServeOnce("localhost:5000/" + app + ":v1").find(answer) != std::string::npos);
}

// test/apps/custom-buildpack (with another bin/release when given) as a git
// repository with one commit in DIR/packs/NAME.
std::filesystem::path PackRepo(TestServer& s, const std::string& name, const std::string& release = "") {
  auto pack = s.dir() / "packs" / name;
  std::filesystem::create_directories(pack.parent_path());
  std::filesystem::copy(std::filesystem::path(MOTHERSHIP_SOURCE_DIR) / "test" / "apps" / "custom-buildpack", pack,
                        std::filesystem::copy_options::recursive);
  if (!release.empty()) ms::test::WriteFile(pack / "bin" / "release", release);
  REQUIRE(s.Git({"init", "-q", "-b", "main"}, pack).exit_code == 0);
  ms::test::CommitAll(s, pack, "buildpack");
  return pack;
}

// local_buildpacks: DIR/packs of the test's server.
void AllowPacksDir(ms::Settings& settings) {
  settings.local_buildpacks = {(settings.data_dir.parent_path() / "packs").string()};
}

}  // namespace

TEST_CASE("build: Node.js app with npm dependencies - a code-only push reuses the cache") {
  TestServer s = BuildServer();
  auto repo = SampleRepo(s, "hello-node");
  const std::string app = Unique("node");
  std::string first = Push(s, repo, app);
  CHECK(first.find("Node.js app detected") != std::string::npos);
  CHECK(first.find("npm install") != std::string::npos);
  CHECK(ServeOnce("localhost:5000/" + app + ":v1").find("Hello from Mothership!") != std::string::npos);

  ms::test::WriteFile(repo / "server.js",
                      ms::test::ReadFile(repo / "server.js") + "// a code-only change\n");
  REQUIRE(s.Git({"commit", "-q", "-am", "code only"}, repo).exit_code == 0);
  std::string second = Push(s, repo, app);
  CHECK(second.find("Reusing node_modules from the cache") != std::string::npos);
  CHECK(second.find("npm install") == std::string::npos);
  CHECK(ServeOnce("localhost:5000/" + app + ":v2").find("Hello from Mothership!") != std::string::npos);
  auto builds = s.Ssh("builds:list " + app);
  CHECK(builds.exit_code == 0);
  CHECK(builds.out.find("succeeded") != std::string::npos);
  CHECK(s.Ssh("builds:output " + app).out.find("Reusing node_modules") != std::string::npos);
}

TEST_CASE("build: Python on the standard library") {
  CheckSample("python-stdlib", "py-app", "Python app detected", "Hello from Python");
}

TEST_CASE("build: Go with no external modules") {
  CheckSample("go-hello", "go-app", "Go app detected", "Hello from Go");
}

TEST_CASE("build: static site") {
  CheckSample("static-site", "static-app", "Static site app detected", "Hello from a static site");
}

TEST_CASE("build: Procfile-only app") {
  CheckSample("procfile-app", "proc-app", "Procfile app detected", "Hello from a Procfile");
}

TEST_CASE("build: multi-buildpack app from .buildpacks") {
  CheckSample("multi", "multi-app", "Python app detected", "Hello from multi: built by npm");
}

TEST_CASE("build: a Dockerfile app with no Procfile runs its image's command as web through the proxy - an image with no command is refused") {
  TestServer s = BuildServer();
  const std::string app = Unique("docker-app");
  std::string output = Push(s, SampleRepo(s, "dockerfile-app"), app);
  CHECK(output.find("Dockerfile app detected") != std::string::npos);
  auto answer = ms::test::Run({"curl", "-s", "--max-time", "10", "-H", "Host: " + app + ".localhost",
                               fmt::format("http://127.0.0.1:{}/", s.http_port())});
  INFO(answer.Both());
  CHECK(answer.out.find("Hello from a Dockerfile") != std::string::npos);

  // ENTRYPOINT [] clears the base image's entrypoint and command.
  const std::string bare = Unique("no-command");
  auto repo = SampleRepo(s, "dockerfile-app");
  ms::test::WriteFile(repo / "Dockerfile", "FROM mothership/run:bookworm\nCOPY app.py /srv/app.py\nENTRYPOINT []\n");
  ms::test::CommitAll(s, repo, "no command");
  auto push = s.Git({"push", s.Url(bare), "main"}, repo);
  INFO(push.Both());
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("the image has no command to run as the web process: add one to the Dockerfile (for example "
                      "CMD [\"node\", \"server.js\"]), or a Procfile with a web: line") != std::string::npos);
  CHECK(ms::test::Run({"docker", "service", "inspect", bare + "-web"}).exit_code != 0);
}

TEST_CASE("build: a broken app rejects the push with the buildpack's error") {
  TestServer s = BuildServer();
  auto repo = SampleRepo(s, "broken-node");
  auto push = s.Git({"push", s.Url("broken-app"), "main"}, repo);
  INFO(push.Both());
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("engines.node") != std::string::npos);
  CHECK(push.err.find("Build failed") != std::string::npos);
  CHECK(push.err.find("pre-receive hook declined") != std::string::npos);

  // An app no buildpack recognises gets the list of supported kinds.
  auto empty = s.MakeRepo("nothing", 1);
  auto none = s.Git({"push", s.Url("none-app"), "main"}, empty);
  CHECK(none.exit_code != 0);
  CHECK(none.err.find("no buildpack recognised this app") != std::string::npos);
}

TEST_CASE("build: a Procfile that is not UTF-8 rejects the push with the line - the daemon goes on") {
  TestServer s = BuildServer();
  auto repo = SampleRepo(s, "procfile-app");
  ms::test::WriteFile(repo / "Procfile", "web: ./serve.sh \xFF\xFE\n");
  REQUIRE(s.Git({"commit", "-qam", "not UTF-8"}, repo).exit_code == 0);
  std::string app = Unique("latin1");
  REQUIRE(s.Ssh("apps:create " + app).exit_code == 0);
  auto push = s.Git({"push", s.Url(app), "main"}, repo);
  INFO(push.Both());
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("Procfile line 1 is not UTF-8 text (byte 17 is not)") != std::string::npos);
  CHECK(push.err.find("pre-receive hook declined") != std::string::npos);
  // The daemon answers, and a config value with such bytes comes back as it went in.
  CHECK(s.Ssh("version").exit_code == 0);
  REQUIRE(s.Ssh("config:set " + app + " 'B=\xFF\xFE'").exit_code == 0);
  CHECK(s.Ssh("config:get " + app + " B").out == "\xFF\xFE\n");
  CHECK(s.Ssh("apps:info " + app + " --json").exit_code == 0);
  CHECK(s.Ssh("audit " + app + " --json").exit_code == 0);
}

TEST_CASE("build: a buildpack from local_buildpacks - other paths of the server are refused however they are named") {
  TestServer s = BuildServer(AllowPacksDir);
  const std::string app = Unique("custom");
  REQUIRE(s.Ssh("apps:create " + app).exit_code == 0);
  // The holes: a directory of the server, another app's repository, a host
  // that is this machine (the cloud metadata address).
  auto etc = s.Ssh("buildpacks:add " + app + " /etc");
  INFO(etc.Both());
  CHECK(etc.exit_code == 2);
  CHECK(etc.err.find("'/etc' is a path on the server: buildpacks come from https:// git URLs, or from directories an "
                     "admin lists in local_buildpacks") != std::string::npos);
  auto other = s.Ssh("config:set " + app + " BUILDPACK_URL=file://" + (s.data_dir() / "repos" / "other.git").string());
  CHECK(other.exit_code == 2);
  CHECK(other.err.find("BUILDPACK_URL: 'file://") != std::string::npos);
  auto metadata = s.Ssh("buildpacks:add " + app + " https://169.254.169.254/latest/meta-data.git");
  CHECK(metadata.exit_code == 2);
  CHECK(metadata.err.find("its host is this machine") != std::string::npos);
  CHECK(s.Ssh("buildpacks:list " + app).out.find("has no buildpacks set") != std::string::npos);
  auto dotfile = SampleRepo(s, "custom-app");
  ms::test::WriteFile(dotfile / ".buildpacks", "/etc\n");
  ms::test::CommitAll(s, dotfile, ".buildpacks naming /etc");
  auto refused = s.Git({"push", s.Url(app), "main"}, dotfile);
  INFO(refused.Both());
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("Build failed: '/etc' is a path on the server") != std::string::npos);

  // The buildpack lives in its own git repository, tagged v1, under local_buildpacks.
  auto pack = PackRepo(s, "custom-buildpack");
  REQUIRE(s.Git({"tag", "v1"}, pack).exit_code == 0);

  REQUIRE(s.Ssh("config:set " + app + " BUILDPACK_URL=file://" + pack.string() + "#v1").exit_code == 0);
  auto repo = SampleRepo(s, "custom-app");
  std::string output = Push(s, repo, app);
  CHECK(output.find("Fetched buildpack file://") != std::string::npos);
  CHECK(output.find("Custom buildpack compiling") != std::string::npos);
  CHECK(ServeOnce("localhost:5000/" + app + ":v1").find("Hello from a custom buildpack (from a third-party buildpack)") !=
        std::string::npos);
}

TEST_CASE("build: buildpacks:set chooses the buildpack - bad choices are refused") {
  TestServer s = BuildServer();
  const std::string app = Unique("chosen");
  REQUIRE(s.Ssh("apps:create " + app).exit_code == 0);
  auto bad = s.Ssh("buildpacks:set " + app + " not-a-buildpack");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("'not-a-buildpack' is not a buildpack: use") != std::string::npos);
  CHECK(s.Ssh("buildpacks:list " + app).out.find("detected at each build") != std::string::npos);
  REQUIRE(s.Ssh("buildpacks:set " + app + " heroku/procfile").exit_code == 0);
  REQUIRE(s.Ssh("buildpacks:add " + app + " static --index 1").exit_code == 0);
  CHECK(s.Ssh("buildpacks:list " + app + " --json").out == "[\"static\",\"heroku/procfile\"]\n");
  REQUIRE(s.Ssh("buildpacks:remove " + app + " heroku/procfile").exit_code == 0);
  CHECK(s.Ssh("buildpacks:list " + app + " --json").out == "[\"static\"]\n");
  auto absent = s.Ssh("buildpacks:remove " + app + " heroku/procfile");
  CHECK(absent.exit_code != 0);
  CHECK(absent.err.find(app + " does not use heroku/procfile") != std::string::npos);
  // A Node.js app with an index.html, built as a static site because it was chosen.
  auto repo = SampleRepo(s, "hello-node");
  ms::test::WriteFile(repo / "index.html", "<p>chosen static</p>\n");
  REQUIRE(s.Git({"add", "-A"}, repo).exit_code == 0);
  REQUIRE(s.Git({"commit", "-q", "-m", "static"}, repo).exit_code == 0);
  std::string output = Push(s, repo, app);
  CHECK(output.find("Static site app detected") != std::string::npos);
  CHECK(output.find("Node.js app detected") == std::string::npos);
  CHECK(ServeOnce("localhost:5000/" + app + ":v1").find("chosen static") != std::string::npos);
  REQUIRE(s.Ssh("buildpacks:clear " + app).exit_code == 0);
  CHECK(s.Ssh("buildpacks:list " + app + " --json").out == "[]\n");
}

TEST_CASE("build: a Docker engine that does not answer gives a message saying so") {
  ms::test::TestServerOptions options;
  options.build = true;
  options.configure = [](ms::Settings& s) { s.docker_socket = "/nonexistent/docker.sock"; };
  TestServer s(options);
  auto repo = s.MakeRepo("src", 1);
  auto push = s.Git({"push", s.Url("nodocker"), "main"}, repo);
  INFO(push.Both());
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("the Docker engine does not answer on /nonexistent/docker.sock") != std::string::npos);
  CHECK(s.Ssh("stack:info").out.find("nodejs, python, ruby, go, static, procfile") != std::string::npos);
}

namespace {

// How many builder containers of `app` the engine has, running or not.
int Builders(const std::string& app) {
  ms::EngineDockerClient docker;
  auto containers = docker.ListContainers("mothership.app=" + app);
  REQUIRE(containers);
  int builders = 0;
  for (const auto& c : *containers) {
    auto role = c.labels.find("mothership.role");
    builders += role != c.labels.end() && role->second == "build";
  }
  return builders;
}

}  // namespace

TEST_CASE("build: images beyond keep_releases leave the registry and the engine - no builder container outlives the daemon") {
  const std::string app = Unique("pruned");
  {
    ms::test::TestServerOptions options;
    options.build = true;
    options.configure = [](ms::Settings& s) {
      s.registry = "localhost:5000";
      s.keep_releases = 2;
    };
    TestServer s(options);
    auto repo = SampleRepo(s, "procfile-app");
    std::string first_image;  // REGISTRY/APP:v1@sha256:...
    for (int i = 1; i <= 3; ++i) {
      if (i > 1) REQUIRE(s.Git({"commit", "-q", "--allow-empty", "-m", fmt::format("change {}", i)}, repo).exit_code == 0);
      Push(s, repo, app);
      if (i == 1) {
        auto v1 = ms::test::OpenStore(s)->GetRelease(app, 1);
        REQUIRE(v1);
        first_image = v1->image;
        const auto digest = first_image.find('@');
        REQUIRE(digest != std::string::npos);
        auto here = ms::EngineDockerClient().ImageExists("localhost:5000/" + app + first_image.substr(digest));
        REQUIRE(here);
        CHECK(*here);  // (what the prune must remove)
      }
    }
    // The engine pulled v1 by digest for its task, untagged; pruned, it is gone from the engine too.
    const auto at = first_image.find('@');
    REQUIRE(at != std::string::npos);
    ms::EngineDockerClient engine;
    auto pulled = engine.ImageExists("localhost:5000/" + app + first_image.substr(at));
    REQUIRE(pulled);
    CHECK_FALSE(*pulled);
    auto status = [&](int version) { return ms::test::ManifestStatus(app, fmt::format("v{}", version)); };
    CHECK(status(1) == "404");
    CHECK(status(2) == "200");
    CHECK(status(3) == "200");
    CHECK(ServeOnce("localhost:5000/" + app + ":v3").find("Hello from a Procfile") != std::string::npos);
    // While the daemon runs, the app's builder waits for the next push.
    CHECK(Builders(app) == 1);
  }
  // The daemon has stopped: its idle builder container went with it.
  CHECK(Builders(app) == 0);
}

TEST_CASE("build: bytes that are not UTF-8 in app.json, bin/release, a commit message, a branch name, command lines - the daemon goes on") {
  TestServer s = BuildServer(AllowPacksDir);
  const std::string app = Unique("bytes");
  auto repo = SampleRepo(s, "procfile-app");
  REQUIRE(s.Ssh("apps:create " + app).exit_code == 0);

  // app.json: the push is refused, saying where.
  ms::test::WriteFile(repo / "app.json", "{\"name\": \"caf\xE9\"}");
  REQUIRE(s.Git({"add", "-A"}, repo).exit_code == 0);
  REQUIRE(s.Git({"commit", "-q", "-m", "app.json in Latin-1"}, repo).exit_code == 0);
  auto refused = s.Git({"push", s.Url(app), "main"}, repo);
  INFO(refused.Both());
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("app.json is not UTF-8 text (byte 14 is not); save it as UTF-8") != std::string::npos);

  // It was refused before the build, which it would only have wasted.
  CHECK(refused.err.find("Building " + app) != std::string::npos);
  CHECK(refused.err.find("detected") == std::string::npos);

  // A commit message in Latin-1: deployed; the push's output (JSON from the
  // daemon to the hook) shows the bytes it cannot carry as U+FFFD.
  std::filesystem::remove(repo / "app.json");
  REQUIRE(s.Git({"add", "-A"}, repo).exit_code == 0);
  // (Without an encoding, git would turn the bytes into UTF-8 as Latin-1.)
  REQUIRE(s.Git({"-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-m", "caf\xE9 \xFF"}, repo).exit_code == 0);
  std::string pushed = Push(s, repo, app);
  INFO(pushed);
  CHECK(pushed.find("(caf\xEF\xBF\xBD \xEF\xBF\xBD) pushed by admin") != std::string::npos);
  auto json = s.Ssh("releases " + app + " --json");
  CHECK(json.exit_code == 0);
  CHECK(nlohmann::json::parse(json.out, nullptr, false).is_array());
  // A branch name: refused, saying why (the hook's request is JSON too).
  auto branch = s.Git({"push", s.Url(app), "main:refs/heads/caf\xE9"}, repo);
  INFO(branch.Both());
  CHECK(branch.exit_code != 0);
  CHECK(branch.err.find("the name refs/heads/caf\xE9 is not UTF-8 text (byte 15 is not). Rename it") !=
        std::string::npos);

  // bin/release: a process command that is not UTF-8 fails the build, saying so.
  auto pack = PackRepo(s, "latin1-buildpack",
                       "#!/usr/bin/env bash\nprintf -- '---\\ndefault_process_types:\\n  web: echo caf\\xE9\\n'\n");
  const std::string other = Unique("bytes");
  REQUIRE(s.Ssh("apps:create " + other).exit_code == 0);
  REQUIRE(s.Ssh("config:set " + other + " BUILDPACK_URL=file://" + pack.string()).exit_code == 0);
  auto custom = s.Git({"push", s.Url(other), "main"}, SampleRepo(s, "custom-app"));
  INFO(custom.Both());
  CHECK(custom.exit_code != 0);
  CHECK(custom.err.find("Build failed: the command of a process type (from the Procfile or the buildpack's "
                        "bin/release) is not UTF-8 text") != std::string::npos);

  // Command lines: a command or an app name that is not UTF-8 gets the usual answer.
  auto command = s.Ssh("\xFF\xFE " + app);
  INFO(command.Both());
  CHECK(command.exit_code == 2);
  CHECK(command.err.find("is not a mothership command") != std::string::npos);
  auto name = s.Ssh("apps:create caf\xE9");
  INFO(name.Both());
  CHECK(name.exit_code == 2);
  CHECK(name.err.find("not a valid app name") != std::string::npos);

  // The daemon answers throughout, and apps:info of both still works.
  CHECK(s.Ssh("version").exit_code == 0);
  CHECK(s.Ssh("apps:info " + app + " --json").exit_code == 0);
  CHECK(s.Ssh("apps:info " + other + " --json").exit_code == 0);
}
