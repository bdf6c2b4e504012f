// Limits end to end (issue 14, item 4): a fork bomb and a memory hog in one app
// run into their size's process and memory limits while another app, under
// load through the proxy, answers every request and the daemon answers
// commands; pushes beyond max_concurrent_builds wait in line, told their place.
// Needs a Docker engine (Swarm is initialised by the daemon) and the registry
// at localhost:5000.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "test/support/apps.h"
#include "test/support/run.h"
#include "test/support/running.h"
#include "test/support/test_server.h"

using ms::test::BuildServer;
using ms::test::GitEnv;
using ms::test::Push;
using ms::test::Run;
using ms::test::Running;
using ms::test::SampleRepo;
using ms::test::TestServer;
using ms::test::Unique;

namespace {

// The number of processes in the one running task of a service (0 when none
// runs), from the engine's own accounting.
int TaskProcesses(const std::string& service) {
  auto id = Run({"docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=" + service});
  std::string container = id.out.substr(0, id.out.find('\n'));
  if (container.empty()) return 0;
  auto stats = Run({"docker", "stats", "--no-stream", "--format", "{{.PIDs}}", container});
  return std::atoi(stats.out.c_str());
}

}  // namespace

TEST_CASE("limits: a fork bomb and a memory hog in app B - app A under load answers every request - the daemon answers", "[long]") {
  TestServer s = BuildServer();
  const std::string a = Unique("calm"), b = Unique("hostile");
  Push(s, SampleRepo(s, "hello-node"), a);

  // B: hello-node with a fork bomb as a process type and a memory hog to run.
  auto repo = SampleRepo(s, "hello-node");
  ms::test::WriteFile(repo / "Procfile", "web: node server.js\nbomb: bash bomb.sh\n");
  // Every copy starts two more in the background, until fork fails; the
  // script itself becomes a sleep, which needs no new process.
  ms::test::WriteFile(repo / "bomb.sh", "bomb() { bomb | bomb & }\nbomb\nexec sleep infinity\n");
  // Touches 16 MB more at each step, for ever.
  ms::test::WriteFile(repo / "hog.js", "const kept = [];\nfor (;;) kept.push(Buffer.alloc(1 << 24, 1));\n");
  ms::test::CommitAll(s, repo, "a fork bomb and a memory hog");
  Push(s, repo, b);
  REQUIRE(s.Ssh("ps:resize " + b + " bomb=basic").exit_code == 0);

  // A under load through the proxy for as long as B misbehaves.
  ms::test::Load load(s, a, 8);

  auto scaled = s.Ssh("ps:scale " + b + " bomb=1");
  INFO(scaled.Both());
  REQUIRE(scaled.exit_code == 0);
  // The bomb fills its size's 256 processes and goes no further.
  const std::string bomb_service = b + "-bomb";
  int most = 0;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       most < 256 && std::chrono::steady_clock::now() < deadline;) {
    most = std::max(most, TaskProcesses(bomb_service));
  }
  CHECK(most == 256);

  // While it goes on: a memory hog as a one-off run, at basic's 512 MB, is
  // stopped by the kernel and says so.
  auto hog = s.Ssh("run " + b + " --size basic node hog.js");
  INFO(hog.Both());
  CHECK(hog.exit_code == 137);
  CHECK(hog.err.find("The process used all the memory of its size (basic, 512 MB) and was stopped") !=
        std::string::npos);

  // The daemon answers commands, and still pushes, all along.
  auto list = s.Ssh("apps:list");
  CHECK(list.exit_code == 0);
  CHECK(list.out.find(a) != std::string::npos);
  CHECK(s.Ssh("ps " + b + " --json").out.find("\"type\":\"bomb\"") != std::string::npos);
  const int during = TaskProcesses(bomb_service);
  CHECK(during > 0);  // still going
  CHECK(during <= 256);

  load.Finish();

  // Stopping the bomb is an ordinary scale (its task has its stop grace
  // period to go).
  CHECK(s.Ssh("ps:scale " + b + " bomb=0").exit_code == 0);
  int left = TaskProcesses(bomb_service);
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       left > 0 && std::chrono::steady_clock::now() < deadline;) {
    left = TaskProcesses(bomb_service);
  }
  CHECK(left == 0);
}

TEST_CASE("limits: with max_concurrent_builds 1 two pushes at once - one waits - told its place - both deploy") {
  TestServer s = BuildServer([](ms::Settings& settings) { settings.max_concurrent_builds = 1; });
  const std::string first = Unique("queue"), second = Unique("queue");
  auto repo_first = SampleRepo(s, "hello-node");
  auto repo_second = SampleRepo(s, "hello-node");
  ms::test::RunResult pushed[2];
  {
    std::thread one([&] { pushed[0] = s.Git({"push", s.Url(first), "main"}, repo_first); });
    std::thread two([&] { pushed[1] = s.Git({"push", s.Url(second), "main"}, repo_second); });
    one.join();
    two.join();
  }
  int waited = 0;
  for (const auto& push : pushed) {
    INFO(push.Both());
    CHECK(push.exit_code == 0);
    CHECK(push.err.find("remote: -----> Released v1") != std::string::npos);
    if (push.err.find("Waiting for a build slot: 1 build running (max_concurrent_builds 1); this push is number 1 "
                      "in line") != std::string::npos) {
      ++waited;
      CHECK(push.err.find("A build slot is free: building") != std::string::npos);
    }
  }
  CHECK(waited == 1);
}

TEST_CASE("limits: a push waiting for a build slot whose client leaves gives up its place - nothing of it is built - "
          "the next push builds at once") {
  TestServer s = BuildServer([](ms::Settings& settings) { settings.max_concurrent_builds = 1; });
  const std::string first = Unique("slot"), gone = Unique("gone"), next = Unique("slot");
  auto repo_first = SampleRepo(s, "hello-node");
  auto repo_gone = SampleRepo(s, "hello-node");
  auto repo_next = SampleRepo(s, "hello-node");

  Running building({"git", "push", "--progress", s.Url(first), "main"}, repo_first, GitEnv(s));
  REQUIRE(building.WaitFor(" app detected"));  // (in the builder: it holds the slot)
  Running waiting({"git", "push", "--progress", s.Url(gone), "main"}, repo_gone, GitEnv(s));
  INFO(building.output() << waiting.output());
  REQUIRE(waiting.WaitFor("this push is number 1 in line"));
  waiting.Kill();  // the client goes away (git and its ssh)
  waiting.Finish();

  // The first build goes on and releases.
  CHECK(building.Finish() == 0);
  CHECK(building.Saw("-----> Released v1"));
  // The slot is free at once: the push that left is not built in it.
  auto pushed = s.Git({"push", s.Url(next), "main"}, repo_next);
  INFO(pushed.Both());
  CHECK(pushed.exit_code == 0);
  CHECK(pushed.err.find("Waiting for a build slot") == std::string::npos);
  CHECK(pushed.err.find("-----> Released v1") != std::string::npos);

  // The push that left: recorded as failed, with why; no release, no service.
  auto deploys = ms::test::OpenStore(s)->ListDeploys(gone, 10);
  REQUIRE(deploys);
  REQUIRE(deploys->size() == 1);
  CHECK(deploys->front().status == "failed");
  CHECK(deploys->front().message == "the push went away while it waited for a build slot");
  CHECK(s.Ssh("releases " + gone).out.find("v1") == std::string::npos);
  CHECK(Run({"docker", "service", "inspect", gone + "-web"}).exit_code != 0);
}
