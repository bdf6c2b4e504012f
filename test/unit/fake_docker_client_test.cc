// The seams themselves: the scripted fake engine plays Swarm's part as the
// runtime tests assume; the fake clock moves only when slept on; the output
// adapters.

#include "test/support/fake_docker_client.h"

#include <catch2/catch.hpp>

#include "server/common/clock.h"
#include "server/common/output.h"
#include "test/unit/test_helpers.h"

namespace {

ms::ServiceSpec Web(const std::string& release, int replicas = 1) {
  ms::ServiceSpec s;
  s.name = "shop-web";
  s.labels = {{"mothership.app", "shop"}};
  s.image = "r/shop:" + release;
  s.container_labels = {{"mothership.release", release}};
  s.replicas = replicas;
  s.update.failure_action = "rollback";
  return s;
}

std::vector<std::string> States(ms::test::FakeDockerClient& docker) {
  auto tasks = docker.ListTasks({{"service", {"shop-web"}}});
  std::vector<std::string> out;
  for (const auto& t : *tasks) out.push_back(t.state);
  return out;
}

}  // namespace

TEST_CASE("FakeDockerClient: a new task walks its release's script, one state per look", "[fake_docker]") {
  ms::test::FakeDockerClient docker;
  ms::test::TaskScript script;
  script.states = {"preparing", "starting", "running"};
  docker.ScriptRelease("v1", script);
  REQUIRE(docker.CreateService(Web("v1")));
  CHECK(States(docker) == std::vector<std::string>{"preparing"});
  CHECK(States(docker) == std::vector<std::string>{"starting"});
  CHECK(States(docker) == std::vector<std::string>{"running"});
  CHECK(States(docker) == std::vector<std::string>{"running"});
}

TEST_CASE("FakeDockerClient: an update starts new tasks first and retires the old ones once they run", "[fake_docker]") {
  ms::test::FakeDockerClient docker;
  auto id = docker.AddRunningService(Web("v1"));
  auto svc = docker.Service("shop-web");
  REQUIRE(svc);
  REQUIRE(docker.UpdateService(id, svc->version, Web("v2")));
  CHECK(docker.Service("shop-web")->update_state == "updating");
  (void)docker.ListTasks({});  // starting
  auto tasks = docker.Tasks("shop-web");
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].state == "running");  // v1 still serves
  (void)docker.ListTasks({});  // v2 running: v1 retired
  tasks = docker.Tasks("shop-web");
  CHECK(tasks[0].desired_state == "shutdown");
  CHECK(tasks[1].state == "running");
  CHECK(docker.Service("shop-web")->update_state == "completed");
}

TEST_CASE("FakeDockerClient: a failing update rolls back to the previous spec", "[fake_docker]") {
  ms::test::FakeDockerClient docker;
  auto id = docker.AddRunningService(Web("v1"));
  ms::test::TaskScript crash;
  crash.states = {"failed"};
  crash.error = "exit 1";
  docker.ScriptRelease("v2", crash);
  REQUIRE(docker.UpdateService(id, docker.Service(id)->version, Web("v2")));
  (void)docker.ListTasks({});
  auto svc = docker.Service(id);
  CHECK(svc->update_state == "rollback_started");
  CHECK(svc->container_labels.at("mothership.release") == "v1");
  CHECK(ms_test::Contains(svc->update_message, "exit 1"));
  (void)docker.ListTasks({});
  CHECK(docker.Service(id)->update_state == "rollback_completed");
}

TEST_CASE("FakeDockerClient: an update based on an old version is refused", "[fake_docker]") {
  ms::test::FakeDockerClient docker;
  auto id = docker.AddRunningService(Web("v1"));
  auto r = docker.UpdateService(id, 999, Web("v2"));
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "update out of sequence");
}

TEST_CASE("FakeDockerClient records calls and fails the scripted ones once", "[fake_docker]") {
  ms::test::FakeDockerClient docker;
  docker.FailNext("RemoveImage", ms::Failed("busy"));
  docker.AddImage("a:1", "sha256:1");
  CHECK_FALSE(docker.RemoveImage("a:1"));
  CHECK(docker.RemoveImage("a:1"));
  CHECK(docker.Calls() == std::vector<std::string>{"RemoveImage a:1", "RemoveImage a:1"});
  CHECK(docker.CountCalls("RemoveImage") == 2);
  CHECK(docker.ImageNames().empty());
}

TEST_CASE("FakeDockerClient filters services by label and tasks by desired state", "[fake_docker]") {
  ms::test::FakeDockerClient docker;
  docker.AddRunningService(Web("v1", 2));
  auto other = Web("v1");
  other.name = "blog-web";
  other.labels = {{"mothership.app", "blog"}};
  docker.AddRunningService(other);
  auto shop = docker.ListServices({{"label", {"mothership.app=shop"}}});
  REQUIRE(shop);
  REQUIRE(shop->size() == 1);
  CHECK((*shop)[0].name == "shop-web");
  CHECK((*shop)[0].replicas == 2);
  CHECK(docker.ListServices({{"label", {"mothership.app"}}})->size() == 2);
  CHECK(docker.ListTasks({{"service", {"shop-web"}}, {"desired-state", {"running"}}})->size() == 2);
  CHECK(docker.ListTasks({{"service", {"shop-web"}}, {"desired-state", {"shutdown"}}})->empty());
}

TEST_CASE("FakeClock moves only when slept on or advanced, and runs its hook", "[clock]") {
  ms::FakeClock clock;
  auto start = clock.Now();
  CHECK(clock.Now() == start);
  int hooks = 0;
  clock.OnSleep([&] { ++hooks; });
  clock.SleepFor(std::chrono::seconds(5));
  clock.Advance(std::chrono::milliseconds(250));
  CHECK(clock.Now() - start == std::chrono::milliseconds(5250));
  CHECK(clock.sleeps() == 1);
  CHECK(hooks == 1);
  CHECK(clock.Elapsed() == std::chrono::milliseconds(5250));
}

TEST_CASE("SystemClock's time moves forward", "[clock]") {
  auto& clock = ms::SystemClock::Get();
  auto a = clock.Now();
  clock.SleepFor(std::chrono::milliseconds(1));
  CHECK(clock.Now() > a);
}

TEST_CASE("PrefixedOutput starts every line with its prefix, across writes", "[output]") {
  ms_test::StringOutput out;
  ms::PrefixedOutput indented(out, "  > ");
  indented.Write("one\ntw");
  indented.Write("o\n");
  ms::WriteLine(indented, "three");
  CHECK(out.str() == "  > one\n  > two\n  > three\n");
}

TEST_CASE("LambdaOutput hands each write to its function - NullOutput drops it", "[output]") {
  std::string seen;
  ms::LambdaOutput out([&](std::string_view data) { seen.append(data); });
  ms::WriteLine(out, "hello");
  out.Write("x");
  CHECK(seen == "hello\nx");
  ms::NullOutput null;
  ms::WriteLine(null, "dropped");
  ms::LambdaOutput empty(nullptr);
  empty.Write("nothing happens");
  CHECK(seen == "hello\nx");
}
