// Storage mounts end to end: a file an app writes under a mounted path is
// still there after two redeploys and a restart, and a one-off `run` sees it;
// the app's service is pinned to the volume's node and rolled stop-first
// (said in the push's output); bad mounts are refused; apps:destroy asks
// before it deletes the volume. Needs a Docker engine and the registry at
// localhost:5000.

#include <catch2/catch.hpp>
#include <fmt/format.h>


#include "server/config/settings.h"
#include "test/support/apps.h"
#include "test/support/run.h"
#include "test/support/test_server.h"

using ms::test::BuildServer;
using ms::test::CommitAll;
using ms::test::ProxyGetUntil;
using ms::test::Push;
using ms::test::Run;
using ms::test::SampleRepo;
using ms::test::TestServer;
using ms::test::Trim;
using ms::test::Unique;

namespace {

std::string Inspect(const std::string& format, const std::string& object) {
  return Trim(Run({"docker", "inspect", "-f", format, object}).out);
}

}  // namespace

TEST_CASE("storage: a file under a mounted path outlives two redeploys and a restart - pinned, stop-first - "
          "apps:destroy asks before the volume goes",
          "[long]") {
  TestServer s = BuildServer();
  const std::string app = Unique("st");
  auto repo = SampleRepo(s, "redis-node");
  Push(s, repo, app);
  auto settings = ms::LoadSettings(s.data_dir());
  REQUIRE(settings);
  const std::string volume = fmt::format("mothership-storage-{}-{}_files", settings->InstallId(), app);

  auto mounted = s.Ssh(fmt::format("storage:mount {} files:/data", app));
  INFO(mounted.Both());
  REQUIRE(mounted.exit_code == 0);
  CHECK(mounted.out.find(fmt::format("Mounted files at /data in {}'s processes (volume {}", app, volume)) !=
        std::string::npos);
  const std::string service = app + "-web";
  CHECK(Inspect("{{.Spec.UpdateConfig.Order}}", service) == "stop-first");
  auto node = Trim(Run({"docker", "info", "-f", "{{.Swarm.NodeID}}"}).out);
  CHECK(Inspect("{{.Spec.TaskTemplate.Placement.Constraints}}", service) == "[node.id==" + node + "]");
  CHECK(Inspect("{{range .Spec.TaskTemplate.ContainerSpec.Mounts}}{{.Source}}:{{.Target}}{{end}}", service) ==
        volume + ":/data");
  auto listed = s.Ssh("storage:list " + app);
  CHECK(listed.out.find("files") != std::string::npos);
  CHECK(listed.out.find(volume) != std::string::npos);

  // Refused: a system path, the same name, a path inside another mount, a bad name.
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
           {"xy:/app", "would hide the app"},
           {"xy:/etc/x", "system directory"},
           {"xy:/data/../etc", "'..' parts"},
           {"files:/other", "has a storage named files"},
           {"sub:/data/sub", "one volume would hide the other"},
           {"Bad:/srv", "not a storage name"}}) {
    auto refused = s.Ssh(fmt::format("storage:mount {} {}", app, args));
    INFO(args << ": " << refused.Both());
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find(says) != std::string::npos);
  }

  // The app (uid 1000) writes under the mount.
  CHECK(ProxyGetUntil(s, app, "/file/write?text=kept", "wrote") == "wrote");
  CHECK(ProxyGetUntil(s, app, "/file/read", "kept") == "kept");

  // Two redeploys: rolled stop-first, said in the push's output.
  for (int i = 1; i <= 2; ++i) {
    ms::test::WriteFile(repo / "CHANGES", fmt::format("release {}\n", i));
    CommitAll(s, repo, fmt::format("change {}", i));
    auto pushed = Push(s, repo, app);
    CHECK(pushed.find("stop-first: storage is mounted") != std::string::npos);
    CHECK(ProxyGetUntil(s, app, "/file/read", "kept") == "kept");
  }
  REQUIRE(s.Ssh("ps:restart " + app).exit_code == 0);
  CHECK(ProxyGetUntil(s, app, "/file/read", "kept") == "kept");
  // A one-off process has it too.
  auto run = s.Ssh(fmt::format("run {} cat /data/note.txt", app));
  INFO(run.Both());
  CHECK(run.exit_code == 0);
  CHECK(Trim(run.out) == "kept");

  // Unmounted: the processes lose it, the volume keeps it; mounted again, it is back.
  auto unmounted = s.Ssh(fmt::format("storage:unmount {} files", app));
  INFO(unmounted.Both());
  REQUIRE(unmounted.exit_code == 0);
  CHECK(unmounted.out.find("start-first again") != std::string::npos);
  CHECK(Inspect("{{.Spec.UpdateConfig.Order}}", service) == "start-first");
  CHECK(Run({"docker", "volume", "inspect", volume}).exit_code == 0);
  REQUIRE(s.Ssh(fmt::format("storage:mount {} files:/data", app)).exit_code == 0);
  CHECK(ProxyGetUntil(s, app, "/file/read", "kept") == "kept");

  // apps:rename cannot move it; apps:destroy asks before deleting it.
  CHECK(s.Ssh(fmt::format("apps:rename {} {}-2", app, app)).err.find("has storage mounted") != std::string::npos);
  auto asked = s.Ssh(fmt::format("apps:destroy {} --confirm {}", app, app));
  CHECK(asked.exit_code != 0);
  CHECK(asked.err.find("--destroy-storage") != std::string::npos);
  CHECK(s.Ssh("apps:info " + app).exit_code == 0);
  CHECK(Run({"docker", "volume", "inspect", volume}).exit_code == 0);
  auto destroyed = s.Ssh(fmt::format("apps:destroy {} --confirm {} --destroy-storage", app, app));
  INFO(destroyed.Both());
  REQUIRE(destroyed.exit_code == 0);
  CHECK(Run({"docker", "volume", "inspect", volume}).exit_code != 0);
}
