// Addons (server/addons/addons.cc) against the fake engine and a fake clock.

#include "server/addons/addons.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "server/addons/postgres_service.h"
#include "server/builder/builder.h"
#include "server/common/clock.h"
#include "server/git/app_repos.h"
#include "test/support/fake_docker_client.h"
#include "test/unit/test_helpers.h"

namespace {

using ms_test::TempDir;

struct AddonsEnv {
  TempDir dir;
  ms::Settings settings;
  std::unique_ptr<ms::Store> store;
  ms::test::FakeDockerClient docker;
  ms::FakeClock clock;
  std::unique_ptr<ms::AppRepos> repos;
  std::unique_ptr<ms::Builder> builder;
  std::unique_ptr<ms::Addons> addons;

  AddonsEnv() {
    settings.data_dir = dir.path();
    store = ms_test::OpenStore(dir.path() / "mothership.db");
    repos = std::make_unique<ms::AppRepos>(dir.path() / "repos", dir.path() / "hooks", dir.path() / "trash");
    builder = std::make_unique<ms::Builder>(settings, docker, *repos, dir.path() / "buildpacks", clock);
    addons = std::make_unique<ms::Addons>(settings, docker, *store, *builder, clock);
  }
};

}  // namespace

TEST_CASE("Addons: Remove waits for the removed service's task to stop before removing its volume - a task still "
          "starting makes the volume after the service is gone",
          "[addons]") {
  AddonsEnv env;
  REQUIRE_OK(env.store->CreateApp("shop", "alice"));
  ms::Addon addon = ms_test::ShopPostgres();
  auto created = env.store->CreateAddon(addon, "DATABASE");
  REQUIRE_OK(created);
  const std::string volume = ms::AddonVolumeName(env.settings.InstallId(), addon.name);
  env.docker.AddRunningService(ms::MakePostgresServiceSpec(*created, env.settings.InstallId(), {"shop-net"}));
  REQUIRE_OK(env.docker.EnsureVolume(volume, {}));
  env.docker.SetRemovedTasksLinger(4);

  REQUIRE_OK(env.addons->Remove(*created));

  CHECK_FALSE(env.docker.Service(ms::AddonServiceName(addon.name)));
  // Time passes: the volume is not made again.
  for (int i = 0; i < 5; ++i) REQUIRE_OK(env.docker.ListTasks({}));
  CHECK_FALSE(env.docker.VolumeNames().contains(volume));
  // The volume was removed after the task had gone, not before.
  auto calls = env.docker.Calls();
  auto removed = std::find(calls.begin(), calls.end(), "RemoveVolume " + volume);
  REQUIRE(removed != calls.end());
  CHECK(std::count(calls.begin(), removed, "ListTasks") == 4);
}
