// Faults end to end (issue 16): the daemon killed with SIGKILL at each step of
// a push, a config change and a rollback. After each restart the state is
// consistent (the change is done or cleanly failed; the deploy branch points at
// the last deploy that was recorded; the services run the latest release; no
// build container, unreleased image or unfinished deploy is left), the app
// answered every request through the proxy throughout, and the next push
// works. The steps are seen from outside: the push's output, the store's
// releases, the Engine API. Needs a Docker engine and the registry at
// localhost:5000.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

#include "server/config/settings.h"
#include "server/store/store.h"
#include "test/support/apps.h"
#include "test/support/run.h"
#include "test/support/running.h"
#include "test/support/test_server.h"

using ms::test::AnswersWith;
using ms::test::ManifestStatus;
using ms::test::BuildServer;
using ms::test::GitEnv;
using ms::test::OpenStore;
using ms::test::Trim;
using ms::test::Push;
using ms::test::Run;
using ms::test::Running;
using ms::test::SampleRepo;
using ms::test::TestServer;
using ms::test::Unique;

namespace {

using Clock = std::chrono::steady_clock;

int LatestVersion(TestServer& s, const std::string& app) {
  auto latest = OpenStore(s)->LatestRelease(app);
  REQUIRE(latest);
  return *latest ? (*latest)->version : 0;
}

// What must hold after every restart: the latest release is what runs and
// what the deploy branch and the registry say, nothing is left half-done.
// (A daemon that was not restarted keeps an idle builder container per app.)
void CheckConsistent(TestServer& s, const std::string& app, int version, const std::string& commit,
                     const std::string& greeting, bool restarted = true) {
  auto store = OpenStore(s);
  auto latest = store->LatestRelease(app);
  REQUIRE(latest);
  REQUIRE(*latest);
  CHECK((*latest)->version == version);
  // The deploy branch: the commit of the last recorded deploy.
  CHECK(Trim(Run({"git", "--git-dir", (s.data_dir() / "repos" / (app + ".git")).string(), "rev-parse",
                  "refs/heads/main"})
                 .out) == commit);
  // No deploy is left running.
  auto deploys = store->ListDeploys(app, 1);
  REQUIRE(deploys);
  REQUIRE_FALSE(deploys->empty());
  CHECK(deploys->front().status != "running");
  // The service runs the latest release.
  CHECK(Trim(Run({"docker", "service", "inspect", "-f", "{{index .Spec.Labels \"mothership.release\"}}", app + "-web"})
                 .out) == fmt::format("v{}", version));
  CHECK(Trim(Run({"docker", "service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", app + "-web"})
                 .out) == (*latest)->image);
  // No image of a release that was not recorded, no build container.
  const std::string& image = (*latest)->image;
  // (The release names its image by digest, localhost:5000/APP@sha256:..., or by tag.)
  const auto at = image.find('@');
  CHECK(ManifestStatus(app, at != std::string::npos ? image.substr(at + 1) : image.substr(image.rfind(':') + 1)) ==
        "200");
  CHECK(ManifestStatus(app, fmt::format("v{}", version + 1)) == "404");
  auto settings = ms::LoadSettings(s.data_dir());
  REQUIRE(settings);
  if (restarted) {
    CHECK(Trim(Run({"docker", "ps", "-aq", "--filter", "label=mothership.role=build", "--filter",
                    "label=mothership.install=" + settings->InstallId()})
                   .out)
              .empty());
  }
  AnswersWith(s, app, greeting);
}

// ssh git@127.0.0.1 COMMAND, as the admin.
std::vector<std::string> SshArgv(TestServer& s, const std::string& command) {
  std::vector<std::string> argv;
  std::istringstream words(s.SshCommand(s.admin_key()));
  for (std::string w; words >> w;) argv.push_back(w);
  argv.push_back("git@127.0.0.1");
  argv.push_back(command);
  return argv;
}

std::string Inspect(const std::string& format, const std::string& object) {
  return Trim(Run({"docker", "inspect", "-f", format, object}).out);
}

// Polls fn every 5 ms for up to 120 s.
bool PollFor(const std::function<bool()>& fn) {
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("faults: the daemon killed at each step of a push, a config change, a rollback, a scale and a destroy - consistent after each restart, the app answered throughout, the next push works", "[long]") {
  TestServer s = BuildServer();  // (the default update monitor, as installed: the rollout step lasts as long as in use)
  const std::string app = Unique("crash");
  auto repo = SampleRepo(s, "hello-node");
  Push(s, repo, app);
  std::string deployed = s.Head(repo);
  AnswersWith(s, app, "Hello from Mothership");
  ms::test::CurlLoad load(app, s.http_port());

  // The Engine API says when a service's rolling update is under way.
  auto rolling = [&](const std::string& service) {
    return PollFor([&] {
      return Trim(Run({"docker", "service", "inspect", "-f", "{{.UpdateStatus.State}}", service}).out) == "updating";
    });
  };
  struct Step {
    std::string name;
    std::function<bool(Running&, int)> reached;  // true once the push is in the step
  };
  const std::vector<Step> steps = {
      {"receiving", [](Running& push, int) { return push.WaitFor("Writing objects"); }},
      {"building", [](Running& push, int) { return push.WaitFor("Node.js app detected"); }},
      {"pushing", [](Running& push, int) { return push.WaitFor("-----> Pushing"); }},
      {"rolling", [&](Running& push, int) { return push.WaitFor("-----> Rolling out") && rolling(app + "-web"); }},
      {"recorded", [&](Running& push, int before) {
         auto store = OpenStore(s);
         return push.WaitFor("-----> Rolling out") && PollFor([&] {
                  auto latest = store->LatestRelease(app);
                  return latest && *latest && (*latest)->version > before;
                });
       }},
  };
  std::string greeting = "Hello from Mothership";
  for (const auto& step : steps) {
    INFO("push, killed while " << step.name);
    const int before = LatestVersion(s, app);
    const std::string mine = "Hello from " + step.name;
    ms::test::SetDefaultGreeting(s, repo, mine);
    const std::string commit = s.Head(repo);

    Running push({"git", "push", "--progress", s.Url(app), "main"}, repo, GitEnv(s));
    REQUIRE(step.reached(push, before));
    s.Kill();
    push.Finish();
    s.Start();

    const bool recorded = LatestVersion(s, app) > before;
    INFO(push.output());
    INFO(s.Log());
    CHECK(recorded == (step.name == "recorded"));
    // What the restarted daemon did about it.
    if (step.name == "rolling") CHECK(s.Log().find("rolling them back to it") != std::string::npos);
    if (step.name == "recorded") CHECK(s.Log().find("was recorded before the daemon stopped") != std::string::npos);
    if (recorded) {
      deployed = commit;
      greeting = mine;
    }
    CheckConsistent(s, app, recorded ? before + 1 : before, deployed, greeting);
    // What runs stays what the repository says.
    if (!recorded) ms::test::SetDefaultGreeting(s, repo, greeting);
  }

  // A config change and a rollback, killed while their new release rolls out.
  for (const std::string& command : {std::string("config:set ") + app + " GREETING=changed",
                                     std::string("rollback ") + app}) {
    INFO(command << ", killed while rolling out");
    const int before = LatestVersion(s, app);
    Running running(SshArgv(s, command), s.dir(), {});
    REQUIRE(rolling(app + "-web"));
    s.Kill();
    running.Finish();
    s.Start();
    CHECK(LatestVersion(s, app) == before);
    INFO(s.Log());
    CHECK(s.Log().find("rolling them back to it") != std::string::npos);
    CheckConsistent(s, app, before, deployed, greeting);
  }

  // A scale, killed while its new task starts: it was recorded, so it is done.
  {
    INFO("ps:scale, killed while the new task starts");
    Running running(SshArgv(s, "ps:scale " + app + " web=2"), s.dir(), {});
    REQUIRE(PollFor([&] { return Inspect("{{.Spec.Mode.Replicated.Replicas}}", app + "-web") == "2"; }));
    s.Kill();
    running.Finish();
    s.Start();
    auto formation = OpenStore(s)->GetFormation(app);
    REQUIRE(formation);
    CHECK(formation->at("web") == 2);
    CHECK(Inspect("{{.Spec.Mode.Replicated.Replicas}}", app + "-web") == "2");
    // Both tasks run.
    CHECK(PollFor([&] {
      std::istringstream states(Run({"docker", "service", "ps", "--format", "{{.CurrentState}}", "--filter",
                                     "desired-state=running", app + "-web"})
                                    .out);
      int running = 0;
      for (std::string line; std::getline(states, line);) running += line.starts_with("Running");
      return running == 2;
    }));
    CheckConsistent(s, app, LatestVersion(s, app), deployed, greeting);
  }

  // Another app destroyed, killed once its service is gone (the daemon is
  // removing its network): after the restart nothing of it is left, and the
  // name can be pushed again.
  {
    const std::string doomed = Unique("doomed");
    auto doomed_repo = SampleRepo(s, "hello-node");
    Push(s, doomed_repo, doomed);
    AnswersWith(s, doomed, "Hello from Mothership");
    REQUIRE(ManifestStatus(doomed, "v1") == "200");
    INFO("apps:destroy, killed half way");
    Running running(SshArgv(s, "apps:destroy " + doomed + " --confirm " + doomed), s.dir(), {});
    REQUIRE(PollFor([&] { return Run({"docker", "service", "inspect", doomed + "-web"}).exit_code != 0; }));
    s.Kill();
    running.Finish();
    // Killed half way: the record is gone, what is left to remove is noted.
    REQUIRE(OpenStore(s)->GetDestroyedApp(doomed).value());
    s.Start();
    INFO(s.Log());
    auto store = OpenStore(s);
    CHECK(store->GetApp(doomed).error().code == ms::ErrorCode::kNotFound);
    CHECK(store->ListDestroyedApps().value().empty());
    // Swarm drops a removed network from this node once the proxy's old task
    // on it has stopped.
    CHECK(PollFor([&] { return Run({"docker", "network", "inspect", doomed + "-net"}).exit_code != 0; }));
    auto settings = ms::LoadSettings(s.data_dir());
    REQUIRE(settings);
    CHECK(Run({"docker", "volume", "inspect", fmt::format("mothership-cache-{}-{}", settings->InstallId(), doomed)})
              .exit_code != 0);
    CHECK(ManifestStatus(doomed, "v1") == "404");
    CHECK_FALSE(std::filesystem::exists(s.data_dir() / "repos" / (doomed + ".git")));
    CHECK(s.Log().find("removed what was left of the destroyed app " + doomed) != std::string::npos);
    CHECK(Inspect("{{index .Spec.Labels \"mothership.networks\"}}", "mothership-proxy").find(doomed) ==
          std::string::npos);
    // The name works again.
    Push(s, doomed_repo, doomed);
    AnswersWith(s, doomed, "Hello from Mothership");
  }

  // The next push works.
  ms::test::SetDefaultGreeting(s, repo, "Hello after the faults");
  Push(s, repo, app);
  CheckConsistent(s, app, LatestVersion(s, app), s.Head(repo), "Hello after the faults", false);

  load.Stop();
  WARN(fmt::format("{} requests through the proxy during the faults, {} failed", load.requests(),
                   load.failures().size()));
  CHECK(load.requests() > 100);
  CHECK(load.failures() == std::vector<std::string>{});
}

TEST_CASE("faults: the daemon killed while an add-on is made, backed up, restored, attached and destroyed - after "
          "each restart it is whole or gone, nothing left behind",
          "[long]") {
  TestServer s = BuildServer();
  const std::string app = Unique("crashpg");
  const std::string addon = app + "-postgres";
  const std::string service = "addon_" + addon;
  REQUIRE(s.Ssh("apps:create " + app).exit_code == 0);
  auto settings = ms::LoadSettings(s.data_dir());
  REQUIRE(settings);
  const std::string volume = fmt::format("mothership-addon-{}-{}", settings->InstallId(), addon);
  auto gone = [&] {
    return Run({"docker", "service", "inspect", service}).exit_code != 0 &&
           Run({"docker", "volume", "inspect", volume}).exit_code != 0;
  };

  {
    INFO("addons:create, killed once its service exists");
    Running running(SshArgv(s, fmt::format("addons:create {} postgres", app)), s.dir(), {});
    REQUIRE(PollFor([&] { return Run({"docker", "service", "inspect", service}).exit_code == 0; }));
    s.Kill();
    running.Finish();
    s.Start();
    INFO(s.Log());
    CHECK(s.Log().find(fmt::format("removing the add-on {}, which was being made", addon)) != std::string::npos);
    CHECK_FALSE(OpenStore(s)->GetAddon(addon).value());
    CHECK(PollFor(gone));
    CHECK(s.Ssh(fmt::format("config:get {} DATABASE_URL", app)).exit_code != 0);
  }

  // Made again (the name is free), then destroyed and killed once its service is gone.
  auto created = s.Ssh(fmt::format("addons:create {} postgres", app));
  INFO(created.Both());
  REQUIRE(created.exit_code == 0);
  const int64_t addon_id = OpenStore(s)->GetAddon(addon).value()->id;
  // Rows enough for a dump and a restore of a few seconds (about 100 MB).
  REQUIRE(s.Ssh("pg:psql " + app,
                "CREATE TABLE t AS SELECT g, md5(g || 'a') || md5(g || 'b') || md5(g || 'c') || md5(g || 'd') AS v "
                "FROM generate_series(1, 400000) g;\n")
              .exit_code == 0);
  auto rows = [&] {
    auto counted = s.Ssh("pg:psql " + app, "SELECT 'rows=' || count(*) FROM t;\n");
    auto at = counted.out.find("rows=");
    return at == std::string::npos ? std::string("(none: " + counted.Both() + ")")
                                   : Trim(counted.out.substr(at + 5, counted.out.find('\n', at) - at - 5));
  };
  auto client_containers = [&] {
    return Trim(Run({"docker", "ps", "-aq", "--filter", "label=mothership.role=addon-client", "--filter",
                     "label=mothership.addon=" + addon})
                    .out);
  };
  {
    INFO("pg:backups:capture, killed while pg_dump writes");
    Running running(SshArgv(s, "pg:backups:capture " + app), s.dir(), {});
    REQUIRE(running.WaitFor("dumping contents of table"));
    s.Kill();
    running.Finish();
    s.Start();
    INFO(s.Log());
    auto backups = OpenStore(s)->ListBackups(addon_id);
    REQUIRE(backups);
    REQUIRE(backups->size() == 1);
    CHECK(backups->front().status == "failed");
    CHECK(backups->front().reason == "the daemon stopped while it ran");
    std::vector<std::string> partial;
    for (const auto& f : std::filesystem::directory_iterator(s.data_dir() / "backups" / addon)) {
      partial.push_back(f.path().filename().string());
    }
    CHECK(partial == std::vector<std::string>{});
    CHECK(PollFor([&] { return client_containers().empty(); }));
    auto listed = s.Ssh("pg:backups " + app);
    CHECK(listed.out.find("failed") != std::string::npos);
    auto again = s.Ssh("pg:backups:capture " + app);
    INFO(again.Both());
    REQUIRE(again.exit_code == 0);
  }
  {
    INFO("pg:backups:restore, killed while pg_restore runs: all of the backup or none of it");
    REQUIRE(s.Ssh("pg:psql " + app, "DELETE FROM t WHERE g > 1000;\n").exit_code == 0);
    REQUIRE(rows() == "1000");
    Running running(SshArgv(s, fmt::format("pg:backups:restore {} --confirm {}", app, app)), s.dir(), {});
    REQUIRE(running.WaitFor("Restoring"));
    REQUIRE(PollFor([&] { return !client_containers().empty(); }));
    s.Kill();
    running.Finish();
    s.Start();
    INFO(s.Log());
    const std::string after = rows();
    CHECK((after == "1000" || after == "400000"));
    CHECK(PollFor([&] { return client_containers().empty(); }));
    auto restored = s.Ssh(fmt::format("pg:backups:restore {} --confirm {}", app, app));
    INFO(restored.Both());
    REQUIRE(restored.exit_code == 0);
    CHECK(rows() == "400000");
  }
  const std::string other = Unique("crashpg-b");
  REQUIRE(s.Ssh("apps:create " + other).exit_code == 0);
  {
    INFO("addons:attach, killed while the database moves onto the other app's network");
    Running running(SshArgv(s, fmt::format("addons:attach {} --app {}", addon, other)), s.dir(), {});
    REQUIRE(PollFor([&] {
      auto attached = OpenStore(s)->AttachmentsOf(addon);
      return attached && attached->size() == 2;
    }));
    s.Kill();
    running.Finish();
    s.Start();
    INFO(s.Log());
    // The attachment was recorded: after the restart the database is on the
    // other app's network and the app has its URL.
    CHECK(Inspect("{{index .Spec.Labels \"mothership.networks\"}}", service).find(other + "-net") !=
          std::string::npos);
    CHECK(PollFor([&] {
      return s.Ssh(fmt::format("config:get {} DATABASE_URL", other)).out.find("@" + service + ":") !=
             std::string::npos;
    }));
    const std::string network_id = Inspect("{{.Id}}", other + "-net");
    REQUIRE_FALSE(network_id.empty());
    CHECK(Inspect("{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}", service).find(network_id) !=
          std::string::npos);
    auto detached = s.Ssh(fmt::format("addons:detach {} --app {}", addon, other));
    INFO(detached.Both());
    CHECK(detached.exit_code == 0);
  }
  REQUIRE(s.Ssh(fmt::format("apps:destroy {} --confirm {}", other, other)).exit_code == 0);
  {
    INFO("addons:destroy, killed once its service is gone");
    Running running(SshArgv(s, fmt::format("addons:destroy {} {} --confirm {}", app, addon, addon)), s.dir(), {});
    REQUIRE(PollFor([&] { return Run({"docker", "service", "inspect", service}).exit_code != 0; }));
    s.Kill();
    running.Finish();
    s.Start();
    INFO(s.Log());
    CHECK_FALSE(OpenStore(s)->GetAddon(addon).value());
    CHECK(PollFor(gone));
    CHECK(s.Ssh(fmt::format("config:get {} DATABASE_URL", app)).exit_code != 0);
    // Its last backup was taken before it went.
    auto backups = OpenStore(s)->ListBackups(addon_id);
    REQUIRE(backups);
    REQUIRE_FALSE(backups->empty());
    CHECK(backups->front().status == "succeeded");
  }
  REQUIRE(s.Ssh(fmt::format("apps:destroy {} --confirm {}", app, app)).exit_code == 0);
}
