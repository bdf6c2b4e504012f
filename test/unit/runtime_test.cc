// Runtime's decisions against the scripted fake engine and a fake clock:
// rollouts converging, rolling back, timing out; scale, restart, stop; ps,
// nodes, reconcile, destroy, logs and one-off runs. No Docker engine, no waiting.

#include "server/runtime/runtime.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "server/common/clock.h"
#include "server/docker/ownership.h"
#include "server/runtime/service_spec.h"
#include "test/support/fake_docker_client.h"
#include "test/unit/test_helpers.h"

namespace {

using ms_test::Contains;
using ms_test::StringOutput;
using ms_test::TempDir;

struct RuntimeEnv {
  TempDir dir;
  ms::Settings settings;
  std::unique_ptr<ms::Store> store;
  ms::test::FakeDockerClient docker;
  ms::FakeClock clock;
  std::unique_ptr<ms::Runtime> runtime;
  StringOutput out;

  RuntimeEnv() {
    settings.data_dir = dir.path();
    settings.deploy_timeout_seconds = 30;
    auto opened = ms::Store::Open(dir.path() / "mothership.db");
    REQUIRE(opened);
    store = std::move(*opened);
    runtime = std::make_unique<ms::Runtime>(settings, docker, *store, clock);
  }

  // A stored release vN of app with these process types.
  ms::Release AddRelease(const std::string& app, int version,
                         std::map<std::string, std::string> types = {{"web", "npm start"}}) {
    if (!store->GetApp(app)) REQUIRE(store->CreateApp(app, "root"));
    ms::Release r;
    r.version = version;
    r.image = fmt::format("localhost:5000/{}:v{}", app, version);
    r.description = "test";
    r.process_types = std::move(types);
    REQUIRE(store->CreateRelease(app, r));
    return r;
  }

  // The app (created when missing) runs this formation from its next rollout.
  void SetFormation(const std::string& app, const ms::Formation& formation) {
    if (!store->GetApp(app)) REQUIRE(store->CreateApp(app, "root"));
    REQUIRE(store->SetFormation(app, formation));
  }

  // Deploys vN and expects it to succeed.
  void Deployed(const std::string& app, int version, std::map<std::string, std::string> types = {{"web", "npm start"}}) {
    auto release = AddRelease(app, version, std::move(types));
    auto r = runtime->Deploy(app, release, out);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r);
  }

  int Running(const std::string& service, const std::string& release) {
    int n = 0;
    for (const auto& t : docker.Tasks(service)) {
      if (t.desired_state == "running" && t.state == "running" && t.release == release) ++n;
    }
    return n;
  }
};

ms::test::TaskScript Crashing(std::string error, std::string logs = "") {
  ms::test::TaskScript s;
  s.states = {"starting", "failed"};
  s.error = std::move(error);
  s.logs = std::move(logs);
  return s;
}

}  // namespace

TEST_CASE("Runtime::Deploy creates a service per process type and converges", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1, {{"web", "npm start"}, {"worker", "node w.js"}, {"release", "migrate"}});
  CHECK(env.docker.ServiceNames() == std::vector<std::string>{"shop-web", "shop-worker"});
  CHECK(env.docker.NetworkNames().contains("shop-net"));
  CHECK(env.Running("shop-web", "v1") == 1);
  CHECK(env.docker.Service("shop-worker")->replicas == 0);
  CHECK(Contains(env.out.str(), "Rolling out v1"));
  CHECK(Contains(env.out.str(), "shop-web: 1/1 running v1"));
}

TEST_CASE("Runtime::Deploy gives the services the release's labels and the formation's replicas", "[runtime]") {
  RuntimeEnv env;
  env.SetFormation("shop", {{"web", 2}});
  env.Deployed("shop", 4);
  auto spec = env.docker.LastSpec("shop-web");
  REQUIRE(spec);
  CHECK(spec->replicas == 2);
  CHECK(spec->labels.at("mothership.release") == "v4");
  CHECK(spec->labels.at("mothership.install") == env.settings.InstallId());
  CHECK(spec->image == "localhost:5000/shop:v4");
  CHECK(env.Running("shop-web", "v4") == 2);
}

TEST_CASE("Runtime::Deploy of a new release updates the service and retires the old tasks", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  env.Deployed("shop", 2);
  CHECK(env.docker.CountCalls("CreateService shop-web") == 1);
  CHECK(env.docker.CountCalls("UpdateService shop-web") == 1);
  CHECK(env.Running("shop-web", "v2") == 1);
  CHECK(env.Running("shop-web", "v1") == 0);
  CHECK(env.docker.Service("shop-web")->update_state == "completed");
}

TEST_CASE("Runtime::Deploy polls with the clock instead of sleeping", "[runtime]") {
  RuntimeEnv env;
  ms::test::TaskScript slow;
  slow.states = {"preparing", "preparing", "starting", "starting", "running"};
  env.docker.ScriptRelease("v1", slow);
  env.Deployed("shop", 1);
  CHECK(env.clock.sleeps() >= 3);
  CHECK(env.clock.Elapsed() < std::chrono::seconds(5));
}

TEST_CASE("Runtime: a rollout tells the proxy of its new web tasks once all are healthy - not of other types, "
          "not of a release that fails",
          "[runtime]") {
  RuntimeEnv env;
  std::vector<std::pair<std::string, std::vector<std::string>>> told;
  env.runtime->OnWebReady([&](const std::string& app, const std::vector<std::string>& addresses) {
    told.emplace_back(app, addresses);
  });
  env.Deployed("shop", 1, {{"web", "npm start"}, {"worker", "node w.js"}});
  REQUIRE(told.size() == 1);
  CHECK(told[0].first == "shop");
  REQUIRE(told[0].second.size() == 1);

  // Three tasks of v2: announced together, none of them v1's.
  env.SetFormation("shop", {{"web", 3}, {"worker", 1}});
  env.Deployed("shop", 2, {{"web", "npm start"}, {"worker", "node w.js"}});
  REQUIRE(told.size() == 2);
  std::vector<std::string> expected;
  for (const auto& t : env.docker.Tasks("shop-web")) {
    if (t.desired_state == "running" && t.release == "v2") expected.push_back(t.addresses.at("shop-net"));
  }
  std::sort(expected.begin(), expected.end());
  auto announced = told[1].second;
  std::sort(announced.begin(), announced.end());
  CHECK(expected.size() == 3);
  CHECK(announced == expected);
  CHECK(std::find(announced.begin(), announced.end(), told[0].second[0]) == announced.end());

  env.docker.ScriptRelease("v3", Crashing("task: non-zero exit (1)"));
  auto crashed = env.AddRelease("shop", 3);
  CHECK_FALSE(env.runtime->Deploy("shop", crashed, env.out));
  CHECK(told.size() == 2);
}

TEST_CASE("Runtime::Deploy: a crashing release is rolled back with its error and last lines", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  env.docker.ScriptRelease("v2", Crashing("task: non-zero exit (1)", "Error: cannot find module 'expresss'\n"));
  auto release = env.AddRelease("shop", 2);
  auto r = env.runtime->Deploy("shop", release, env.out);
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "shop-web: a new task failed: task: non-zero exit (1)"));
  CHECK(Contains(r.error().message, "The last lines it printed:"));
  CHECK(Contains(r.error().message, "       Error: cannot find module 'expresss'"));
  // Swarm rolled it back itself: v1 runs, nobody asked for another rollback.
  CHECK(env.docker.Service("shop-web")->labels.at("mothership.release") == "v1");
  CHECK(env.Running("shop-web", "v1") == 1);
  CHECK(env.docker.CountCalls("RollbackService") == 0);
  CHECK(env.docker.CountCalls("TaskLogs") == 1);
}

TEST_CASE("Runtime::Deploy: an unhealthy release is rolled back", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  ms::test::TaskScript unhealthy;
  unhealthy.states = {"starting", "starting", "failed"};
  unhealthy.error = "task: non-zero exit (137): dockerexec: unhealthy container";
  env.docker.ScriptRelease("v2", unhealthy);
  auto r = env.runtime->Deploy("shop", env.AddRelease("shop", 2), env.out);
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "unhealthy container"));
  CHECK_FALSE(Contains(r.error().message, "The last lines it printed"));  // it printed nothing
  CHECK(env.docker.Service("shop-web")->labels.at("mothership.release") == "v1");
}

TEST_CASE("Runtime::Deploy: a rejected task fails the rollout with the engine's reason", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  ms::test::TaskScript rejected;
  rejected.states = {"rejected"};
  rejected.error = "No such image: localhost:5000/shop:v2";
  env.docker.ScriptRelease("v2", rejected);
  auto r = env.runtime->Deploy("shop", env.AddRelease("shop", 2), env.out);
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "No such image: localhost:5000/shop:v2"));
}

TEST_CASE("Runtime::Deploy: a first release that keeps crashing removes the services it created", "[runtime]") {
  RuntimeEnv env;
  env.docker.ScriptRelease("v1", Crashing("task: non-zero exit (2)", "boom\n"));
  auto r = env.runtime->Deploy("shop", env.AddRelease("shop", 1), env.out);
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "shop-web: a new task failed: task: non-zero exit (2)"));
  CHECK(Contains(r.error().message, "boom"));
  CHECK(env.docker.ServiceNames().empty());
  CHECK(env.docker.CountCalls("RemoveService shop-web") == 1);
  // Swarm restarted it (on-failure) until the runtime gave up after three failures.
  CHECK(env.docker.CountCalls("CreateService") == 1);
  CHECK(env.docker.Tasks("shop-web").empty());
}

TEST_CASE("Runtime::Deploy times out on tasks that never become healthy", "[runtime]") {
  RuntimeEnv env;
  ms::test::TaskScript stuck;
  stuck.states = {"starting"};
  env.docker.ScriptRelease("v1", stuck);
  auto r = env.runtime->Deploy("shop", env.AddRelease("shop", 1), env.out);
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "shop-web: not running and healthy after 30 s (deploy_timeout_seconds)"));
  CHECK(env.clock.Elapsed() >= std::chrono::seconds(30));
  CHECK(env.clock.Elapsed() < std::chrono::seconds(32));
  CHECK(env.docker.ServiceNames().empty());
}

TEST_CASE("Runtime::Deploy: a timeout of an update asks Swarm to roll the service back", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  ms::test::TaskScript stuck;
  stuck.states = {"starting"};
  env.docker.ScriptRelease("v2", stuck);
  auto r = env.runtime->Deploy("shop", env.AddRelease("shop", 2), env.out);
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "not running and healthy"));
  CHECK(env.docker.CountCalls("RollbackService shop-web") == 1);
  CHECK(env.docker.Service("shop-web")->labels.at("mothership.release") == "v1");
}

TEST_CASE("Runtime::Deploy: when one type fails the others return to their previous spec", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  env.SetFormation("shop", {{"web", 1}, {"worker", 1}});
  env.docker.ScriptRelease("v2", Crashing("task: non-zero exit (1)"));
  auto r = env.runtime->Deploy("shop", env.AddRelease("shop", 2, {{"web", "npm start"}, {"worker", "node w.js"}}), env.out);
  REQUIRE_FALSE(r);
  CHECK(env.docker.ServiceNames() == std::vector<std::string>{"shop-web"});  // the new worker service went
  CHECK(env.docker.Service("shop-web")->labels.at("mothership.release") == "v1");
}

TEST_CASE("Runtime::Deploy runs the release command first and stops when it fails", "[runtime]") {
  RuntimeEnv env;
  env.docker.ScriptContainer("release", "migrating the database\n", 3);
  auto r = env.runtime->Deploy("shop", env.AddRelease("shop", 1, {{"web", "npm start"}, {"release", "migrate"}}), env.out);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "the release command failed (exit status 3); nothing was changed");
  CHECK(Contains(env.out.str(), "Running the release command: migrate"));
  CHECK(Contains(env.out.str(), "migrating the database"));
  CHECK(env.docker.ServiceNames().empty());
  CHECK(env.docker.ContainerIds().empty());  // the one-off container was removed
}

TEST_CASE("Runtime::Deploy's release command runs the release's image on the app's network", "[runtime]") {
  RuntimeEnv env;
  env.docker.ScriptContainer("release", "ok\n", 0);
  env.Deployed("shop", 1, {{"web", "npm start"}, {"release", "migrate"}});
  auto calls = env.docker.Calls();
  auto create = std::find(calls.begin(), calls.end(), "CreateContainer localhost:5000/shop:v1");
  auto service = std::find(calls.begin(), calls.end(), "CreateService shop-web");
  REQUIRE(create != calls.end());
  CHECK(create < service);
  CHECK(env.docker.CountCalls("PullImage localhost:5000/shop:v1") == 1);
  CHECK(env.docker.ContainerIds().empty());
}

TEST_CASE("Runtime::Deploy removes the services of types the release no longer has", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1, {{"web", "npm start"}, {"clock", "node clock.js"}});
  env.Deployed("shop", 2, {{"web", "npm start"}});
  CHECK(env.docker.ServiceNames() == std::vector<std::string>{"shop-web"});
}

TEST_CASE("Runtime::Deploy returns the engine's error when a service cannot be created", "[runtime]") {
  RuntimeEnv env;
  env.docker.FailNext("CreateService", ms::Failed("Docker engine: no space left"));
  auto r = env.runtime->Deploy("shop", env.AddRelease("shop", 1), env.out);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "Docker engine: no space left");
}

TEST_CASE("Runtime::Scale applies the formation and waits for the tasks", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  env.SetFormation("shop", {{"web", 3}});
  REQUIRE(env.runtime->Scale("shop", env.out));
  CHECK(env.docker.Service("shop-web")->replicas == 3);
  CHECK(env.Running("shop-web", "v1") == 3);
  CHECK(Contains(env.out.str(), "shop-web: 3/3 running v1"));
}

TEST_CASE("Runtime::Scale down keeps the tasks of the remaining slots", "[runtime]") {
  RuntimeEnv env;
  env.SetFormation("shop", {{"web", 3}});
  env.Deployed("shop", 1);
  auto before = env.docker.Tasks("shop-web");
  env.SetFormation("shop", {{"web", 1}});
  REQUIRE(env.runtime->Scale("shop", env.out));
  CHECK(env.Running("shop-web", "v1") == 1);
  std::string slot1;
  for (const auto& t : before) {
    if (t.slot == 1) slot1 = t.id;
  }
  bool kept = false;
  for (const auto& t : env.docker.Tasks("shop-web")) kept = kept || (t.id == slot1 && t.state == "running");
  CHECK(kept);
}

TEST_CASE("Runtime::Scale of an app with no release says to push first", "[runtime]") {
  RuntimeEnv env;
  REQUIRE(env.store->CreateApp("shop", "root"));
  auto r = env.runtime->Scale("shop", env.out);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "shop has no release yet: git push it first");
}

TEST_CASE("Runtime::Restart forces new tasks of one type with the same release", "[runtime]") {
  RuntimeEnv env;
  env.SetFormation("shop", {{"web", 1}, {"worker", 1}});
  env.Deployed("shop", 1, {{"web", "npm start"}, {"worker", "node w.js"}});
  auto old = env.docker.Tasks("shop-web");
  REQUIRE(env.runtime->Restart("shop", "web", env.out));
  CHECK(env.docker.Service("shop-web")->force_update == 1);
  CHECK(env.docker.Service("shop-worker")->force_update == 0);
  CHECK(env.Running("shop-web", "v1") == 1);
  for (const auto& t : env.docker.Tasks("shop-web")) {
    if (t.id == old[0].id) CHECK(t.desired_state == "shutdown");
  }
}

TEST_CASE("Runtime::Restart of every type bumps each service", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1, {{"web", "npm start"}, {"worker", "node w.js"}});
  REQUIRE(env.runtime->Restart("shop", "", env.out));
  REQUIRE(env.runtime->Restart("shop", "", env.out));
  CHECK(env.docker.Service("shop-web")->force_update == 2);
  CHECK(env.docker.Service("shop-worker")->force_update == 2);
}

TEST_CASE("Runtime::Restart of an unknown type fails without touching Swarm", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  auto r = env.runtime->Restart("shop", "nope", env.out);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "shop has no process type 'nope'");
  CHECK(env.docker.CountCalls("UpdateService") == 0);
}

TEST_CASE("Runtime::Stop scales every type to zero and keeps the formation", "[runtime]") {
  RuntimeEnv env;
  env.SetFormation("shop", {{"web", 2}});
  env.Deployed("shop", 1);
  REQUIRE(env.runtime->Stop("shop", env.out));
  CHECK(env.docker.Service("shop-web")->replicas == 0);
  CHECK(env.Running("shop-web", "v1") == 0);
  CHECK(env.store->GetFormation("shop")->at("web") == 2);
  // Start is a scale to the formation.
  REQUIRE(env.runtime->Scale("shop", env.out));
  CHECK(env.Running("shop-web", "v1") == 2);
}

TEST_CASE("Runtime::Ps maps tasks to names, nodes, states and releases", "[runtime]") {
  RuntimeEnv env;
  env.SetFormation("shop", {{"web", 2}});
  env.Deployed("shop", 1, {{"web", "npm start"}, {"worker", "node w.js"}});
  auto ps = env.runtime->Ps("shop");
  REQUIRE(ps);
  REQUIRE(ps->size() == 2);
  const auto& web = (*ps)[0];
  CHECK(web.type == "web");
  CHECK(web.command == "npm start");
  CHECK(web.desired == 2);
  CHECK(web.running == 2);
  REQUIRE(web.tasks.size() == 2);
  CHECK(web.tasks[0].name == "web.1");
  CHECK(web.tasks[1].name == "web.2");
  CHECK(web.tasks[0].node == "manager1");
  CHECK(web.tasks[0].release == "v1");
  CHECK(web.tasks[0].state == "running");
  CHECK_FALSE(web.tasks[0].since.empty());
  CHECK((*ps)[1].type == "worker");
  CHECK((*ps)[1].tasks.empty());
}

TEST_CASE("Runtime::Ps of an app with no release is empty", "[runtime]") {
  RuntimeEnv env;
  REQUIRE(env.store->CreateApp("shop", "root"));
  auto ps = env.runtime->Ps("shop");
  REQUIRE(ps);
  CHECK(ps->empty());
}

TEST_CASE("Runtime::Ps: a task of a node that went down starts on another", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  env.docker.AddNode("worker2");
  env.docker.SetNodeDown("node-1");
  auto ps = env.runtime->Ps("shop");  // each look is a step: the new task starts
  ps = env.runtime->Ps("shop");
  REQUIRE(ps);
  REQUIRE((*ps)[0].tasks.size() == 1);
  CHECK((*ps)[0].tasks[0].node == "worker2");
  CHECK((*ps)[0].tasks[0].state == "running");
  CHECK((*ps)[0].running == 1);
}

TEST_CASE("Runtime::Nodes lists every node with the tasks it runs", "[runtime]") {
  RuntimeEnv env;
  env.docker.AddNode("worker2");
  env.Deployed("shop", 1);
  auto nodes = env.runtime->Nodes();
  REQUIRE(nodes);
  REQUIRE(nodes->size() == 2);
  CHECK((*nodes)[0]["hostname"] == "manager1");
  CHECK((*nodes)[0]["role"] == "manager");
  CHECK((*nodes)[0]["state"] == "ready");
  CHECK((*nodes)[0]["address"] == "10.0.0.1");
  CHECK((*nodes)[0]["tasks"] == nlohmann::json{"shop-web.1"});
  CHECK((*nodes)[1]["hostname"] == "worker2");
  CHECK((*nodes)[1]["tasks"].empty());
}

TEST_CASE("Runtime::JoinCommand names the worker token and a manager's address - refuses one at 127.0.0.1",
          "[runtime]") {
  RuntimeEnv env;
  auto command = env.runtime->JoinCommand();
  REQUIRE(command);
  CHECK(*command == "docker swarm join --token SWMTKN-worker 10.0.0.1:2377");
  ms::EngineInfo info;
  info.swarm_state = "active";
  info.control_available = true;
  info.node_addr = "10.0.0.1";
  info.remote_managers = {"192.168.1.5:2377"};
  env.docker.SetEngineInfo(info);
  CHECK(*env.runtime->JoinCommand() == "docker swarm join --token SWMTKN-worker 192.168.1.5:2377");
  // A manager at 127.0.0.1 (Docker could not choose an address) takes no node.
  info.node_addr = "127.0.0.1";
  info.remote_managers = {"127.0.0.1:2377"};
  env.docker.SetEngineInfo(info);
  auto refused = env.runtime->JoinCommand();
  REQUIRE_FALSE(refused);
  CHECK(Contains(refused.error().message, "this Swarm manager advertises 127.0.0.1, which no other node can reach"));
  CHECK(Contains(refused.error().message, "docker swarm init --force-new-cluster --advertise-addr ADDRESS"));
}

TEST_CASE("Runtime::Reconcile removes services of deleted apps and keeps the proxy and live apps", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  env.Deployed("gone", 1);
  ms::ServiceSpec proxy;
  proxy.name = "mothership-proxy";
  proxy.labels = {{"mothership.install", env.settings.InstallId()}, {"mothership.role", "proxy"}};
  proxy.global = true;
  env.docker.AddRunningService(proxy);
  ms::ServiceSpec other;  // another installation's
  other.name = "other-web";
  other.labels = {{"mothership.install", "someone-else"}, {"mothership.app", "other"}};
  env.docker.AddRunningService(other);
  REQUIRE(env.store->DeleteApp("gone"));
  REQUIRE(env.runtime->Reconcile());
  CHECK(env.docker.ServiceNames() == std::vector<std::string>{"mothership-proxy", "other-web", "shop-web"});
}

TEST_CASE("Runtime::Reconcile brings services to the recorded formation and sizes - a stopped app stays stopped", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1, {{"web", "npm start"}, {"worker", "node w.js"}});
  env.Deployed("idle", 1);
  REQUIRE(env.runtime->Stop("idle", env.out));
  CHECK(env.docker.LastSpec("idle-web")->labels.at("mothership.stopped") == "true");
  CHECK(env.docker.LastSpec("shop-web")->labels.at("mothership.size") == env.settings.default_size);
  auto updates = [&](const std::string& service) { return env.docker.CountCalls("UpdateService " + service); };
  const int web = updates("shop-web"), worker = updates("shop-worker"), idle = updates("idle-web");

  // In step: nothing changes.
  REQUIRE(env.runtime->Reconcile());
  CHECK(updates("shop-web") == web);
  CHECK(updates("idle-web") == idle);

  // As a daemon killed between recording ps:scale and ps:resize and applying them leaves it.
  REQUIRE(env.store->SetFormation("shop", {{"worker", 2}}));
  REQUIRE(env.store->SetProcessSizes("shop", {{"web", "standard-2x"}}));
  REQUIRE(env.runtime->Reconcile());
  CHECK(updates("shop-worker") == worker + 1);
  CHECK(env.docker.Service("shop-worker")->replicas == 2);
  CHECK(env.docker.LastSpec("shop-web")->labels.at("mothership.size") == "standard-2x");
  CHECK(env.Running("shop-worker", "v1") == 2);
  CHECK(env.docker.Service("idle-web")->replicas == 0);
  CHECK(updates("idle-web") == idle);
}

TEST_CASE("Runtime::Reconcile makes an engine in no swarm its manager", "[runtime]") {
  RuntimeEnv env;
  ms::EngineInfo info;
  info.swarm_state = "inactive";
  env.docker.SetEngineInfo(info);
  REQUIRE(env.runtime->Reconcile());
  CHECK(env.docker.CountCalls("SwarmInit") == 1);
  // Once ready, it does not ask again.
  REQUIRE(env.runtime->EnsureSwarm());
  CHECK(env.docker.CountCalls("Info") == 1);
}

TEST_CASE("EnsureSwarmManager refuses a worker and a swarm in a bad state", "[runtime]") {
  ms::test::FakeDockerClient docker;
  ms::Settings settings;
  ms::EngineInfo worker;
  worker.swarm_state = "active";
  worker.control_available = false;
  docker.SetEngineInfo(worker);
  auto r = ms::EnsureSwarmManager(docker, settings);
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "is a Swarm worker"));
  ms::EngineInfo locked;
  locked.swarm_state = "locked";
  docker.SetEngineInfo(locked);
  r = ms::EnsureSwarmManager(docker, settings);
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "Swarm state is 'locked'"));
}

TEST_CASE("EnsureSwarmManager falls back to 127.0.0.1 only when Docker cannot choose this host's address",
          "[runtime]") {
  ms::test::FakeDockerClient docker;
  ms::Settings settings;
  ms::EngineInfo inactive;
  inactive.swarm_state = "inactive";
  docker.SetEngineInfo(inactive);
  SECTION("it cannot choose") {
    docker.FailNext("SwarmInit", ms::Failed("could not choose an IP address to advertise"));
    auto r = ms::EnsureSwarmManager(docker, settings);
    REQUIRE(r);
    CHECK(*r);
    CHECK(docker.CountCalls("SwarmInit 127.0.0.1") == 1);
  }
  SECTION("another failure is reported, with no fallback") {
    docker.FailNext("SwarmInit", ms::Unavailable("the Docker engine did not answer within 30 s"));
    auto r = ms::EnsureSwarmManager(docker, settings);
    REQUIRE_FALSE(r);
    CHECK(Contains(r.error().message, "cannot initialise Docker Swarm: the Docker engine did not answer"));
    CHECK(docker.CountCalls("SwarmInit") == 1);
    CHECK(docker.CountCalls("SwarmInit 127.0.0.1") == 0);
  }
}

// An init that fails for this caller (its answer came too late) but that the
// engine finished.
struct LateSwarmInit : ms::test::FakeDockerClient {
  ms::Result<void> SwarmInit(const std::string& advertise_addr) override {
    (void)FakeDockerClient::SwarmInit(advertise_addr);
    return ms::Unavailable("the Docker engine did not answer within 30 s");
  }
};

TEST_CASE("EnsureSwarmManager takes a swarm the engine made although the init call failed", "[runtime]") {
  LateSwarmInit docker;
  ms::Settings settings;
  ms::EngineInfo inactive;
  inactive.swarm_state = "inactive";
  docker.SetEngineInfo(inactive);
  auto r = ms::EnsureSwarmManager(docker, settings);
  REQUIRE(r);
  CHECK(*r);
  CHECK(docker.CountCalls("SwarmInit") == 1);
  CHECK(docker.CountCalls("SwarmInit 127.0.0.1") == 0);
}

TEST_CASE("Runtime::Destroy removes services, one-off containers and, once free, the network", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  ms::ContainerSpec run;
  run.image = "x";
  run.labels = {{"mothership.app", "shop"}, {"mothership.install", env.settings.InstallId()}, {"mothership.role", "run"}};
  auto mine = env.docker.CreateContainer(run);
  run.labels["mothership.install"] = "another";
  auto theirs = env.docker.CreateContainer(run);
  REQUIRE(mine);
  REQUIRE(theirs);
  env.docker.SetNetworkBusy(3);
  int sleeps = env.clock.sleeps();
  REQUIRE(env.runtime->Destroy("shop"));
  CHECK(env.docker.ServiceNames().empty());
  CHECK(env.docker.ContainerIds() == std::set<std::string>{*theirs});
  CHECK_FALSE(env.docker.NetworkNames().contains("shop-net"));
  CHECK(env.docker.CountCalls("RemoveNetwork shop-net") == 4);
  CHECK(env.clock.sleeps() - sleeps == 3);
}

TEST_CASE("Runtime::Destroy gives up on a network that stays busy for a minute", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  env.docker.SetNetworkBusy(100000);
  auto start = env.clock.Now();
  auto r = env.runtime->Destroy("shop");
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "has active endpoints"));
  CHECK(env.clock.Now() - start >= std::chrono::seconds(60));
}

TEST_CASE("Runtime::Logs merges the types' lines by time and names each task", "[runtime]") {
  RuntimeEnv env;
  env.SetFormation("shop", {{"web", 1}, {"worker", 1}});
  env.Deployed("shop", 1, {{"web", "npm start"}, {"worker", "node w.js"}});
  auto web = env.docker.Tasks("shop-web")[0].id;
  auto worker = env.docker.Tasks("shop-worker")[0].id;
  env.docker.ScriptServiceLogs("shop-web", {"2026-01-01T00:00:03Z com.docker.swarm.task.id=" + web + ",x=y GET /"});
  env.docker.ScriptServiceLogs("shop-worker", {"2026-01-01T00:00:01Z com.docker.swarm.task.id=" + worker + " tick"});
  StringOutput out;
  REQUIRE(env.runtime->Logs("shop", 100, false, "", out, nullptr));
  CHECK(out.str() == "2026-01-01T00:00:01Z shop[worker.1]: tick\n2026-01-01T00:00:03Z shop[web.1]: GET /\n");
}

TEST_CASE("Runtime::Logs of an unknown type is refused", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  StringOutput out;
  auto r = env.runtime->Logs("shop", 10, false, "clock", out, nullptr);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "shop has no process type 'clock'");
}

TEST_CASE("Runtime::Run starts a one-off container, relays its output and returns its status", "[runtime]") {
  RuntimeEnv env;
  env.Deployed("shop", 1);
  env.docker.ScriptContainer("run", "hello from run\n", 7);
  StringOutput out;
  ms::RunIO io;
  io.out = &out;
  auto code = env.runtime->Run("shop", {"echo", "a b"}, io);
  REQUIRE(code);
  CHECK(*code == 7);
  CHECK(out.str() == "hello from run\n");
  CHECK(env.docker.ContainerIds().empty());
}

TEST_CASE("Runtime::Run says when the kernel stopped the process for its memory - from State or from the late event - and hedges a SIGKILL without either", "[runtime]") {
  using Oom = ms::test::FakeDockerClient::OomReport;
  for (auto report : {Oom::kState, Oom::kEventOnly, Oom::kNone}) {
    RuntimeEnv env;
    env.Deployed("shop", 1);
    env.docker.ScriptContainer("run", "", 137);
    env.docker.ScriptOomKill("run", report);
    StringOutput out, err;
    ms::RunIO io;
    io.out = &out;
    io.err = &err;
    io.size = "basic";
    auto code = env.runtime->Run("shop", {"node hog.js"}, io);
    INFO(static_cast<int>(report));
    REQUIRE(code);
    CHECK(*code == 137);
    const bool told = err.str().find("The process used all the memory of its size (basic, 512 MB) and was "
                                     "stopped. Run it at a bigger size with `run APP --size SIZE ...`") !=
                      std::string::npos;
    CHECK(told == (report != Oom::kNone));
    // Without the engine's word, a SIGKILL is named and the likely cause hedged.
    const bool hedged = err.str().find("The process was killed (SIGKILL). If it ran out of the memory of its size "
                                       "(basic, 512 MB), run it at a bigger size") != std::string::npos;
    CHECK(hedged == (report == Oom::kNone));
    // The events are read only when State does not say.
    CHECK(env.docker.CountCalls("OomEvent") == (report == Oom::kState ? 0 : 1));
    CHECK(env.docker.ContainerIds().empty());
  }
}

TEST_CASE("Runtime::Deploy never changes a service or network of another installation or app", "[runtime]") {
  RuntimeEnv env;
  ms::ServiceSpec theirs;  // another installation's app shop on the same engine
  theirs.name = "shop-web";
  theirs.image = "localhost:5000/shop:v9";
  theirs.labels = {{"mothership.install", "someone-else"}, {"mothership.app", "shop"}};
  env.docker.AddRunningService(theirs);
  auto release = env.AddRelease("shop", 1);
  auto r = env.runtime->Deploy("shop", release, env.out);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ms::ErrorCode::kAlreadyExists);
  CHECK(r.error().message ==
        "the Docker service shop-web belongs to another Mothership installation on this Docker engine; Mothership "
        "leaves it alone. Remove it, or give the app another name (apps:rename)");
  CHECK(env.docker.Service("shop-web")->image == "localhost:5000/shop:v9");
  CHECK(env.docker.CountCalls("UpdateService") == 0);

  // A network of the same name made by someone else: refused the same way.
  REQUIRE(env.docker.EnsureOverlayNetwork("cart-net", {{"com.example", "theirs"}}));
  auto cart = env.AddRelease("cart", 1);
  auto net = env.runtime->Deploy("cart", cart, env.out);
  REQUIRE_FALSE(net.has_value());
  CHECK(Contains(net.error().message, "the Docker network cart-net belongs to something Mothership did not make"));
  CHECK(env.docker.CountCalls("CreateService") == 0);
}

TEST_CASE("ForeignOwner names whose an object is from its labels", "[runtime]") {
  CHECK(ms::ForeignOwner({{"mothership.install", "me"}, {"mothership.app", "shop"}}, "me", "shop") == "");
  CHECK(ms::ForeignOwner({{"mothership.install", "me"}, {"mothership.app", "shop"}}, "me") == "");
  CHECK(ms::ForeignOwner({{"mothership.install", "me"}, {"mothership.app", "cart"}}, "me", "shop") == "app cart");
  CHECK(ms::ForeignOwner({{"mothership.install", "you"}}, "me") ==
        "another Mothership installation on this Docker engine");
  CHECK(ms::ForeignOwner({}, "me", "shop") == "something Mothership did not make");
}
