// The Docker engine restarted under running apps, end to end (issue 16, item
// 2): as `systemctl restart docker` does (SIGTERM, then start it again) and
// as a crash does (SIGKILL). The apps, the proxy with its routes (custom
// domains included), a Postgres add-on with its rows and the registry come
// back on their own, the daemon,
// which was not restarted, answers while the engine is away with a clear
// error and works again once it is back, and the next push deploys.
// Tagged [serial]: it stops the engine every other test uses, so ctest runs it
// alone (test/CMakeLists.txt). Needs the registry at localhost:5000 and
// scripts/start-services to start the engine again.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <thread>

#include "test/support/apps.h"
#include "test/support/run.h"
#include "test/support/test_server.h"

using ms::test::AnswersWith;
using ms::test::BuildServer;
using ms::test::Push;
using ms::test::Run;
using ms::test::SampleRepo;
using ms::test::TestServer;
using ms::test::Trim;
using ms::test::Unique;

namespace {

using Clock = std::chrono::steady_clock;

bool PollFor(int seconds, const std::function<bool()>& fn) {
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The body of GET / with this Host through the proxy ("" when it fails).
std::string Get(TestServer& s, const std::string& host, const std::string& path = "/") {
  auto r = Run({"curl", "-sf", "--max-time", "3", "-H", "Host: " + host,
                fmt::format("http://127.0.0.1:{}{}", s.http_port(), path)});
  return r.exit_code == 0 ? r.out : "";
}

// Stops the engine with signal (its pid from /var/run/docker.pid: the second
// node's engine, when one runs, has a pid file of its own) and waits until it
// is gone.
void StopEngine(int signal) {
  const std::string pid = Trim(ms::test::ReadFile("/var/run/docker.pid"));
  REQUIRE_FALSE(pid.empty());
  REQUIRE(::kill(std::stoi(pid), signal) == 0);
  REQUIRE(PollFor(60, [&] { return ::kill(std::stoi(pid), 0) != 0; }));
}

void StartEngine() {
  auto r = Run({std::string(MOTHERSHIP_SOURCE_DIR) + "/scripts/start-services"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("engine: the Docker engine stopped and started again, then killed and started again, with apps running - "
          "apps, proxy routes and registry come back on their own, the daemon goes on and the next push deploys",
          "[serial]") {
  TestServer s = BuildServer();
  const std::string one = Unique("engine-one");
  const std::string two = Unique("engine-two");
  const std::string domain = two + ".custom.test";
  auto repo_one = SampleRepo(s, "hello-node");
  ms::test::SetDefaultGreeting(s, repo_one, "Hello from one");
  Push(s, repo_one, one);
  auto repo_two = SampleRepo(s, "hello-node");
  ms::test::SetDefaultGreeting(s, repo_two, "Hello from two");
  Push(s, repo_two, two);
  REQUIRE(s.Ssh(fmt::format("domains:add {} {}", two, domain)).exit_code == 0);
  AnswersWith(s, one, "Hello from one");
  REQUIRE(PollFor(60, [&] { return Get(s, domain).find("Hello from two") != std::string::npos; }));
  // An app with a Postgres add-on: each GET / writes a row and says how many
  // there are; the rows outlive the engine's restarts.
  const std::string three = Unique("engine-pg");
  Push(s, SampleRepo(s, "pg-node"), three);
  REQUIRE(s.Ssh(fmt::format("addons:create {} postgres", three)).exit_code == 0);
  REQUIRE(PollFor(60, [&] { return Get(s, three + ".localhost") == "items=1\n"; }));
  int rows = 1;
  // An app with a Redis add-on: each GET /count adds one (its append-only
  // file is synced every second; the engine goes long after the last one).
  const std::string four = Unique("engine-rd");
  Push(s, SampleRepo(s, "redis-node"), four);
  REQUIRE(s.Ssh(fmt::format("addons:create {} redis", four)).exit_code == 0);
  REQUIRE(PollFor(60, [&] { return Get(s, four + ".localhost", "/count") == "count=1\n"; }));
  int count = 1;

  for (int signal : {SIGTERM, SIGKILL}) {
    INFO((signal == SIGTERM ? "stopped (SIGTERM)" : "killed (SIGKILL)"));
    StopEngine(signal);

    // The daemon answers without the engine: what needs it fails with a
    // clear error and changes nothing; what does not works.
    auto ps = s.Ssh("ps " + one);
    CHECK(ps.exit_code != 0);
    CHECK(ps.err.find("the Docker engine does not answer") != std::string::npos);
    auto set = s.Ssh(fmt::format("config:set {} FOO=bar", one));
    CHECK(set.exit_code != 0);
    CHECK(set.err.find("Nothing was changed") != std::string::npos);
    CHECK(s.Ssh("config:get " + one + " FOO").exit_code != 0);
    CHECK(s.Ssh("releases " + one + " --json").out.find("\"version\":2") == std::string::npos);
    auto list = s.Ssh("apps:list");
    CHECK(list.exit_code == 0);
    CHECK(list.out.find(two) != std::string::npos);

    const auto started = Clock::now();
    StartEngine();

    // Everything comes back with nobody doing anything: the apps' tasks, the
    // proxy (edge and worker) with its routes, the registry.
    CHECK(PollFor(120, [&] {
      return Get(s, one + ".localhost").find("Hello from one") != std::string::npos &&
             Get(s, domain).find("Hello from two") != std::string::npos;
    }));
    // (A request whose answer was lost may have written a row too: more, never fewer.)
    std::string answer;
    CHECK(PollFor(120, [&] { return (answer = Get(s, three + ".localhost")).starts_with("items="); }));
    INFO(answer);
    const int now = answer.starts_with("items=") ? std::stoi(answer.substr(6)) : 0;
    CHECK(now > rows);
    rows = now;
    std::string counted;
    CHECK(PollFor(120, [&] { return (counted = Get(s, four + ".localhost", "/count")).starts_with("count="); }));
    INFO(counted);
    const int next = counted.starts_with("count=") ? std::stoi(counted.substr(6)) : 0;
    CHECK(next > count);
    count = next;
    WARN(fmt::format("{}: the apps answered through the proxy {} ms after the engine was started",
                     signal == SIGTERM ? "SIGTERM" : "SIGKILL",
                     std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()));
    CHECK(PollFor(60, [] {
      return Run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://localhost:5000/v2/"}).out == "200";
    }));
    CHECK(ms::test::ManifestStatus(one, "v1") == "200");

    // The daemon, which ran on, works with the engine again.
    CHECK(PollFor(60, [&] {
      auto r = s.Ssh("ps " + one);
      return r.exit_code == 0 && r.out.find("1/1 running") != std::string::npos;
    }));
  }

  // The next push deploys and serves, and the other app's routes stayed.
  ms::test::SetDefaultGreeting(s, repo_one, "Hello after the engine came back");
  CHECK(Push(s, repo_one, one).find("Released v2") != std::string::npos);  // no release was left by config:set
  AnswersWith(s, one, "Hello after the engine came back");
  CHECK(Get(s, domain).find("Hello from two") != std::string::npos);
  CHECK(s.Log().find("fatal") == std::string::npos);
}
