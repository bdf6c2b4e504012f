// BuilderPool and the Builder's housekeeping against the fake engine: warm
// containers started ahead and reused only when they still match, leftovers
// cleaned, old images pruned, stack images built when missing.

#include "server/builder/builder_pool.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "server/builder/builder.h"
#include "server/common/clock.h"
#include "test/support/fake_docker_client.h"
#include "test/unit/test_helpers.h"

namespace {

using ms_test::Contains;
using ms_test::TempDir;

ms::ContainerSpec BuildSpec(const std::string& app) {
  ms::ContainerSpec spec;
  spec.image = "mothership/build:bookworm";
  spec.labels = {{"mothership.role", "build"}, {"mothership.app", app}};
  spec.env = {"STACK=mothership-bookworm"};
  spec.cmd = {"/build"};
  return spec;
}

// Polls (with a deadline) until the fake saw n calls starting with prefix.
bool WaitForCalls(ms::test::FakeDockerClient& docker, const std::string& prefix, int n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (docker.CountCalls(prefix) < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

struct PoolEnv {
  ms::test::FakeDockerClient docker;
  PoolEnv() { docker.AddImage("mothership/build:bookworm", "sha256:build1"); }
};

}  // namespace

TEST_CASE("BuilderPool::Take starts an idle container when none is warm", "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker);
  auto id = pool.Take("shop", BuildSpec("shop"));
  REQUIRE(id);
  auto spec = env.docker.ContainerSpecOf(*id);
  REQUIRE(spec);
  CHECK(spec->cmd == std::vector<std::string>{"sleep", "infinity"});
  CHECK(spec->labels.at("mothership.app") == "shop");
  CHECK(env.docker.CountCalls("StartContainer " + *id) == 1);
}

TEST_CASE("BuilderPool::Prewarm starts the next container ahead and Take hands it out", "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker);
  pool.Prewarm("shop", BuildSpec("shop"));
  auto id = pool.Take("shop", BuildSpec("shop"));  // waits for the one on its way
  REQUIRE(id);
  CHECK(env.docker.CountCalls("CreateContainer") == 1);
  CHECK(env.docker.ContainerIds() == std::set<std::string>{*id});
  // It is handed out once: the next push gets a fresh one.
  auto next = pool.Take("shop", BuildSpec("shop"));
  REQUIRE(next);
  CHECK(*next != *id);
}

TEST_CASE("BuilderPool::Take replaces a warm container made from an older build image", "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker);
  pool.Prewarm("shop", BuildSpec("shop"));
  REQUIRE(WaitForCalls(env.docker, "StartContainer", 1));
  env.docker.AddImage("mothership/build:bookworm", "sha256:build2");  // stack:rebuild
  auto id = pool.Take("shop", BuildSpec("shop"));
  REQUIRE(id);
  CHECK(env.docker.CountCalls("CreateContainer") == 2);
  CHECK(env.docker.ContainerIds() == std::set<std::string>{*id});  // the stale warm one was removed
}

TEST_CASE("BuilderPool::Take replaces a warm container made for another spec", "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker);
  pool.Prewarm("shop", BuildSpec("shop"));
  auto changed = BuildSpec("shop");
  changed.limits.memory_bytes = 512 << 20;  // build_memory_mb changed
  auto id = pool.Take("shop", changed);
  REQUIRE(id);
  CHECK(env.docker.CountCalls("CreateContainer") == 2);
  CHECK(env.docker.ContainerSpecOf(*id)->limits.memory_bytes == 512 << 20);
  CHECK(env.docker.ContainerIds().size() == 1);
}

TEST_CASE("BuilderPool::Take replaces a warm container that stopped", "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker);
  pool.Prewarm("shop", BuildSpec("shop"));
  REQUIRE(WaitForCalls(env.docker, "StartContainer", 1));
  auto ids = env.docker.ContainerIds();
  REQUIRE(ids.size() == 1);
  std::string warm = *ids.begin();
  REQUIRE(env.docker.StopContainer(warm, 1));
  auto id = pool.Take("shop", BuildSpec("shop"));
  REQUIRE(id);
  CHECK(*id != warm);
  CHECK_FALSE(env.docker.ContainerIds().contains(warm));
}

TEST_CASE("BuilderPool: a container that cannot start is removed and the error returned", "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker);
  env.docker.FailNext("StartContainer", ms::Failed("Docker engine: cannot start"));
  auto id = pool.Take("shop", BuildSpec("shop"));
  REQUIRE_FALSE(id);
  CHECK(id.error().message == "Docker engine: cannot start");
  CHECK(env.docker.ContainerIds().empty());
}

TEST_CASE("BuilderPool: destruction removes the warm containers, even those still starting", "[builder_pool]") {
  PoolEnv env;
  {
    ms::BuilderPool pool(env.docker);
    pool.Prewarm("shop", BuildSpec("shop"));
    pool.Prewarm("blog", BuildSpec("blog"));
  }
  CHECK(env.docker.CountCalls("CreateContainer") >= 1);
  CHECK(env.docker.ContainerIds().empty());
}

TEST_CASE("BuilderPool::Discard removes a used container off the push's path", "[builder_pool]") {
  PoolEnv env;
  std::string used;
  {
    ms::BuilderPool pool(env.docker);
    auto id = pool.Take("shop", BuildSpec("shop"));
    REQUIRE(id);
    used = *id;
    pool.Discard(used);
  }
  CHECK(env.docker.CountCalls("RemoveContainer " + used) == 1);
  CHECK(env.docker.ContainerIds().empty());
}

TEST_CASE("BuilderPool::Drop of an app with nothing warm removes nothing", "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker);
  auto id = pool.Take("shop", BuildSpec("shop"));
  REQUIRE(id);
  pool.Drop("shop");
  CHECK(env.docker.CountCalls("RemoveContainer") == 0);
  CHECK(env.docker.ContainerIds() == std::set<std::string>{*id});
}

TEST_CASE("BuilderPool::Prewarm of an app with one already warm starts no other", "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker);
  pool.Prewarm("shop", BuildSpec("shop"));
  pool.Prewarm("shop", BuildSpec("shop"));
  pool.Prewarm("shop", BuildSpec("shop"));
  auto id = pool.Take("shop", BuildSpec("shop"));
  REQUIRE(id);
  CHECK(env.docker.CountCalls("CreateContainer") == 1);
  CHECK(env.docker.ContainerIds() == std::set<std::string>{*id});
}

namespace {

// Polls (with a deadline) until the pool holds n idle containers.
bool WaitForIdle(ms::BuilderPool& pool, size_t n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pool.IdleCount() != n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace

TEST_CASE("BuilderPool keeps idle containers for the apps pushed last only - the oldest goes", "[builder_pool]") {
  PoolEnv env;
  ms::FakeClock clock;
  ms::BuilderPool pool(env.docker, {.max = 2, .keep = std::chrono::minutes(15)}, clock);
  pool.Prewarm("a", BuildSpec("a"));
  REQUIRE(WaitForIdle(pool, 1));
  clock.Advance(std::chrono::seconds(1));
  pool.Prewarm("b", BuildSpec("b"));
  REQUIRE(WaitForIdle(pool, 2));
  clock.Advance(std::chrono::seconds(1));
  pool.Prewarm("c", BuildSpec("c"));
  REQUIRE(WaitForCalls(env.docker, "RemoveContainer", 1));
  CHECK(pool.IdleCount() == 2);
  CHECK(env.docker.ContainerIds().size() == 2);
  // b and c are warm: taking them starts nothing; a's push starts its own.
  const int created = env.docker.CountCalls("CreateContainer");
  REQUIRE(pool.Take("b", BuildSpec("b")));
  REQUIRE(pool.Take("c", BuildSpec("c")));
  CHECK(env.docker.CountCalls("CreateContainer") == created);
  REQUIRE(pool.Take("a", BuildSpec("a")));
  CHECK(env.docker.CountCalls("CreateContainer") == created + 1);
}

TEST_CASE("BuilderPool removes idle containers once they waited their time", "[builder_pool]") {
  PoolEnv env;
  ms::FakeClock clock;
  ms::BuilderPool pool(env.docker, {.max = 4, .keep = std::chrono::minutes(15)}, clock);
  pool.Prewarm("a", BuildSpec("a"));
  REQUIRE(WaitForIdle(pool, 1));
  clock.Advance(std::chrono::minutes(10));
  pool.Prewarm("b", BuildSpec("b"));
  REQUIRE(WaitForIdle(pool, 2));
  clock.Advance(std::chrono::minutes(5));
  pool.Expire();
  CHECK(pool.IdleCount() == 1);
  CHECK(env.docker.ContainerIds().size() == 1);
  clock.Advance(std::chrono::minutes(10));
  pool.Expire();
  CHECK(pool.IdleCount() == 0);
  CHECK(env.docker.ContainerIds().empty());
}

TEST_CASE("BuilderPool::Drop removes a container still on its way (it would hold the app's cache volume)",
          "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker);
  pool.Prewarm("a", BuildSpec("a"));
  pool.Drop("a");  // right away: the container may not have started yet
  // Once it has started (Drop waited for it), it is gone.
  REQUIRE(WaitForCalls(env.docker, "StartContainer", 1));
  CHECK(env.docker.ContainerIds().empty());
  CHECK(pool.IdleCount() == 0);
}

TEST_CASE("BuilderPool with no warm builders starts none ahead", "[builder_pool]") {
  PoolEnv env;
  ms::BuilderPool pool(env.docker, {.max = 0, .keep = std::chrono::minutes(15)});
  pool.Prewarm("a", BuildSpec("a"));
  CHECK(pool.IdleCount() == 0);
  CHECK(env.docker.CountCalls("CreateContainer") == 0);
  REQUIRE(pool.Take("a", BuildSpec("a")));
  CHECK(env.docker.CountCalls("CreateContainer") == 1);
}

namespace {

struct BuilderEnv {
  TempDir dir;
  ms::Settings settings;
  ms::test::FakeDockerClient docker;
  ms::FakeClock clock;
  std::unique_ptr<ms::AppRepos> repos;
  std::unique_ptr<ms::Builder> builder;

  BuilderEnv() {
    settings.data_dir = dir.path();
    settings.registry = "127.0.0.1:9";  // nothing answers: registry deletes only warn
    settings.keep_releases = 3;
    repos = std::make_unique<ms::AppRepos>(dir.path() / "repos", dir.path() / "hooks", dir.path() / "trash");
    builder = std::make_unique<ms::Builder>(settings, docker, *repos,
                                            std::filesystem::path(MOTHERSHIP_SOURCE_DIR) / "buildpacks", clock);
  }

  std::string Image(int v) { return fmt::format("{}/shop:v{}", settings.registry, v); }

  std::vector<ms::Release> Releases(int newest) {
    std::vector<ms::Release> out;
    for (int v = newest; v >= 1; --v) {
      ms::Release r;
      r.version = v;
      r.image = Image(v);
      out.push_back(r);
      docker.AddImage(Image(v), fmt::format("sha256:{}", v));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("Builder::PruneImages removes the image that falls out of the kept releases", "[builder]") {
  BuilderEnv env;
  auto releases = env.Releases(4);
  env.builder->PruneImages("shop", 4, releases);
  CHECK(env.docker.CountCalls("RemoveImage") == 1);
  CHECK_FALSE(env.docker.ImageNames().contains(env.Image(1)));
  CHECK(env.docker.ImageNames().contains(env.Image(2)));
}

TEST_CASE("Builder::PruneImages keeps everything while there are few releases", "[builder]") {
  BuilderEnv env;
  auto releases = env.Releases(3);
  env.builder->PruneImages("shop", 3, releases);
  CHECK(env.docker.CountCalls("RemoveImage") == 0);
  CHECK(env.docker.ImageNames().size() == 3);
}

TEST_CASE("Builder::PruneImages keeps an old image a kept release runs again (a rollback)", "[builder]") {
  BuilderEnv env;
  auto releases = env.Releases(4);
  releases[0].image = env.Image(1);  // v4 is a rollback to v1's image
  env.builder->PruneImages("shop", 4, releases);
  CHECK(env.docker.CountCalls("RemoveImage") == 0);
  CHECK(env.docker.ImageNames().contains(env.Image(1)));
}

TEST_CASE("Builder::CleanLeftovers removes build and one-off containers of this installation only", "[builder]") {
  BuilderEnv env;
  auto make = [&](const std::string& role, const std::string& install) {
    ms::ContainerSpec spec;
    spec.image = "x";
    spec.labels = {{"mothership.install", install}};
    if (!role.empty()) spec.labels["mothership.role"] = role;
    return *env.docker.CreateContainer(spec);
  };
  std::string mine = env.settings.InstallId();
  make("build", mine);
  make("run", mine);
  make("release", mine);
  auto task = make("", mine);  // a Swarm task's container
  auto registry = make("registry", mine);
  auto other = make("build", "another-install");
  env.builder->CleanLeftovers();
  CHECK(env.docker.ContainerIds() == std::set<std::string>{task, registry, other});
}

TEST_CASE("Builder::Forget removes the app's cache volume and release images", "[builder]") {
  BuilderEnv env;
  env.Releases(2);
  const std::string install = env.settings.InstallId();
  REQUIRE(env.docker.EnsureVolume("mothership-cache-" + install + "-shop", {}));
  REQUIRE(env.docker.EnsureVolume("mothership-cache-" + install + "-blog", {}));
  REQUIRE(env.docker.EnsureVolume("mothership-cache-someone-else-shop", {}));  // another installation's
  env.builder->Forget("shop", {1, 2});
  CHECK(env.docker.VolumeNames() ==
        std::set<std::string>{"mothership-cache-" + install + "-blog", "mothership-cache-someone-else-shop"});
  CHECK(env.docker.ImageNames().empty());
}

TEST_CASE("Builder::EnsureStackImages builds the missing stack images and those made from other files",
          "[builder]") {
  BuilderEnv env;
  const auto stack = std::filesystem::path(MOTHERSHIP_SOURCE_DIR) / "buildpacks" / "stack";
  env.docker.AddImage(env.settings.base_image, "sha256:base");
  env.docker.AddImage(env.settings.run_image, "sha256:run", {{"mothership.stack", ms::StackHash(stack / "run")}});
  ms_test::StringOutput said;
  REQUIRE(env.builder->EnsureStackImages(false, said));
  CHECK(env.docker.CountCalls("BuildImage") == 1);
  CHECK(env.docker.CountCalls("BuildImage " + env.settings.build_image) == 1);
  CHECK(said.str().starts_with("Building the build stack image"));
  CHECK(Contains(said.str(), "  Step 1/1 : FROM scratch\n"));
  CHECK(said.str().ends_with("built " + env.settings.build_image + " in 0 s\n"));
  CHECK(env.docker.InspectImage(env.settings.build_image)->labels.at("mothership.stack") ==
        ms::StackHash(stack / "build"));
  CHECK(ms::StackHash(stack / "build") != ms::StackHash(stack / "run"));

  // A run image of an older Mothership (another launcher) is made again.
  env.docker.AddImage(env.settings.run_image, "sha256:old", {{"mothership.stack", "0123456789abcdef"}});
  REQUIRE(env.builder->EnsureStackImages(false, said));
  CHECK(env.docker.CountCalls("BuildImage " + env.settings.run_image) == 1);
  CHECK(env.docker.CountCalls("BuildImage") == 2);
}

TEST_CASE("Builder::EnsureStackImages with force rebuilds both", "[builder]") {
  BuilderEnv env;
  env.docker.AddImage(env.settings.base_image, "sha256:base");
  env.docker.AddImage(env.settings.build_image, "sha256:b");
  env.docker.AddImage(env.settings.run_image, "sha256:r");
  ms::NullOutput quiet;
  REQUIRE(env.builder->EnsureStackImages(true, quiet));
  CHECK(env.docker.CountCalls("BuildImage") == 2);
  REQUIRE(env.builder->EnsureStackImages(false, quiet));
  CHECK(env.docker.CountCalls("BuildImage") == 2);
}
