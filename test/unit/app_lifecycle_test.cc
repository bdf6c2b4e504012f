#include "server/apps/app_lifecycle.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "test_helpers.h"

using ms_test::Contains;
using ms_test::ListDir;
using ms_test::TestEnv;
namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Nothing at all was created for any app: no rows, no repositories.
void RequireNothingCreated(TestEnv& env) {
  CHECK(env.store->ListApps().value().empty());
  CHECK(ListDir(env.settings.ReposDir()).empty());
}

}  // namespace

TEST_CASE("CreateApp makes the repository and the row", "[app_lifecycle]") {
  TestEnv env;
  {
    std::ofstream hook(env.hooks_dir / "pre-receive");
    hook << "#!/bin/sh\necho hook\n";
  }
  auto app = ms::CreateApp(env.services, "demo", ms_test::kRoot);
  REQUIRE_OK(app);
  CHECK(app->name == "demo");
  CHECK(app->id > 0);
  CHECK(env.AppRowExists("demo"));

  fs::path repo = env.repos.PathOf("demo");
  CHECK(repo == env.settings.ReposDir() / "demo.git");
  REQUIRE(fs::is_directory(repo));
  CHECK(env.repos.Exists("demo"));
  // A bare repository whose HEAD is main.
  CHECK(fs::exists(repo / "objects"));
  CHECK_FALSE(fs::exists(repo / ".git"));
  CHECK(ReadFile(repo / "HEAD") == "ref: refs/heads/main\n");
  // With the hooks installed and executable.
  fs::path hook = repo / "hooks" / "pre-receive";
  REQUIRE(fs::exists(hook));
  CHECK(ReadFile(hook) == "#!/bin/sh\necho hook\n");
  CHECK((fs::status(hook).permissions() & fs::perms::owner_exec) != fs::perms::none);

  // The new repository has no commits yet.
  auto head = env.repos.ResolveRef("demo", "refs/heads/main");
  REQUIRE_OK(head);
  CHECK(head->empty());

  // The lock is released afterwards.
  CHECK(env.locks.TryAcquire("demo"));
}

TEST_CASE("CreateApp refuses bad names before creating anything", "[app_lifecycle]") {
  TestEnv env;
  const std::vector<std::string> bad = {"A",   "x",   "1abc",  "-abc", "..",  "../evil",
                                        "a/b", "/abs", "",     "my app", "UPPER",
                                        std::string(31, 'a'), std::string("ab\0c", 4)};
  for (const auto& name : bad) {
    INFO("name: " << name);
    auto r = ms::CreateApp(env.services, name, ms_test::kRoot);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    CHECK(Contains(r.error().message, "not a valid app name"));
  }
  RequireNothingCreated(env);
  CHECK_FALSE(fs::exists(env.dir.path() / "evil.git"));
  CHECK_FALSE(fs::exists(env.settings.TrashDir()));
}

TEST_CASE("CreateApp refuses an existing app and leaves it alone", "[app_lifecycle]") {
  TestEnv env;
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  REQUIRE_OK(env.store->SetConfig("demo", {{"A", "1"}}));
  auto again = ms::CreateApp(env.services, "demo", ms_test::kRoot);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == ms::ErrorCode::kAlreadyExists);
  CHECK(Contains(again.error().message, "'demo'"));
  CHECK(env.RepoExists("demo"));
  CHECK(env.store->GetConfig("demo").value() == ms::ConfigVars{{"A", "1"}});
}

TEST_CASE("CreateApp refuses when a stray repository exists / without adding a row",
          "[app_lifecycle]") {
  TestEnv env;
  REQUIRE_OK(env.repos.Create("stray"));
  auto r = ms::CreateApp(env.services, "stray", ms_test::kRoot);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ms::ErrorCode::kAlreadyExists);
  CHECK_FALSE(env.AppRowExists("stray"));
}

TEST_CASE("CreateApp / RenameApp and DestroyApp are Busy while the app's lock is held",
          "[app_lifecycle]") {
  TestEnv env;
  {
    ms::AppLock push = env.locks.TryAcquire("new-app");
    REQUIRE(push);
    auto r = ms::CreateApp(env.services, "new-app", ms_test::kRoot);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kBusy);
    CHECK(Contains(r.error().message, "'new-app'"));
    RequireNothingCreated(env);
  }

  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  {
    ms::AppLock push = env.locks.TryAcquire("demo");
    REQUIRE(push);
    auto destroy = ms::DestroyApp(env.services, "demo");
    REQUIRE_FALSE(destroy.has_value());
    CHECK(destroy.error().code == ms::ErrorCode::kBusy);

    auto rename = ms::RenameApp(env.services, "demo", "renamed", ms_test::kRoot);
    REQUIRE_FALSE(rename.has_value());
    CHECK(rename.error().code == ms::ErrorCode::kBusy);

    CHECK(env.AppRowExists("demo"));
    CHECK(env.RepoExists("demo"));
    CHECK_FALSE(env.AppRowExists("renamed"));
    CHECK_FALSE(env.RepoExists("renamed"));
  }
  {
    // A push holding the target name blocks a rename to it too.
    ms::AppLock push = env.locks.TryAcquire("renamed");
    REQUIRE(push);
    auto rename = ms::RenameApp(env.services, "demo", "renamed", ms_test::kRoot);
    REQUIRE_FALSE(rename.has_value());
    CHECK(rename.error().code == ms::ErrorCode::kBusy);
    CHECK(env.AppRowExists("demo"));
    // The failed rename released the lock it had taken on the old name.
    CHECK(env.locks.TryAcquire("demo"));
  }
}

TEST_CASE("RenameApp moves the repository and the row", "[app_lifecycle]") {
  TestEnv env;
  auto app = ms::CreateApp(env.services, "demo", ms_test::kRoot);
  REQUIRE_OK(app);
  REQUIRE_OK(env.store->SetConfig("demo", {{"KEY", "value with spaces"}}));
  REQUIRE_OK(env.store->SetDeployBranch("demo", "main"));

  REQUIRE_OK(ms::RenameApp(env.services, "demo", "renamed", ms_test::kRoot));
  CHECK_FALSE(env.RepoExists("demo"));
  CHECK_FALSE(env.AppRowExists("demo"));
  CHECK(env.RepoExists("renamed"));
  auto renamed = env.store->GetApp("renamed");
  REQUIRE_OK(renamed);
  CHECK(renamed->id == app->id);
  CHECK(renamed->deploy_branch == "main");
  CHECK(env.store->GetConfig("renamed").value() == ms::ConfigVars{{"KEY", "value with spaces"}});
  CHECK(ReadFile(env.repos.PathOf("renamed") / "HEAD") == "ref: refs/heads/main\n");
  CHECK(env.locks.TryAcquire("demo"));
  CHECK(env.locks.TryAcquire("renamed"));
}

TEST_CASE("RenameApp refuses bad and taken names and missing apps", "[app_lifecycle]") {
  TestEnv env;
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  REQUIRE_OK(ms::CreateApp(env.services, "other", ms_test::kRoot));

  for (std::string bad : {"Bad", "../x", "a", ""}) {
    auto r = ms::RenameApp(env.services, "demo", bad, ms_test::kRoot);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
  }
  auto same = ms::RenameApp(env.services, "demo", "demo", ms_test::kRoot);
  REQUIRE_FALSE(same.has_value());
  CHECK(same.error().code == ms::ErrorCode::kInvalidArgument);

  auto taken = ms::RenameApp(env.services, "demo", "other", ms_test::kRoot);
  REQUIRE_FALSE(taken.has_value());
  CHECK(taken.error().code == ms::ErrorCode::kAlreadyExists);

  auto missing = ms::RenameApp(env.services, "nope", "fresh", ms_test::kRoot);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ms::ErrorCode::kNotFound);
  CHECK_FALSE(env.RepoExists("fresh"));

  CHECK(env.RepoExists("demo"));
  CHECK(env.RepoExists("other"));
  auto names = ListDir(env.settings.ReposDir());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"demo.git", "other.git"});
}

TEST_CASE("DestroyApp removes the repository and the row", "[app_lifecycle]") {
  TestEnv env;
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  REQUIRE_OK(ms::CreateApp(env.services, "keep", ms_test::kRoot));
  REQUIRE_OK(env.store->SetConfig("demo", {{"A", "1"}}));

  auto left = ms::DestroyApp(env.services, "demo");
  REQUIRE_OK(left);
  CHECK(*left == "");
  CHECK(env.store->ListDestroyedApps().value().empty());
  CHECK_FALSE(env.AppRowExists("demo"));
  CHECK_FALSE(env.RepoExists("demo"));
  CHECK(ListDir(env.settings.TrashDir()).empty());
  CHECK(env.AppRowExists("keep"));
  CHECK(env.RepoExists("keep"));
  CHECK(env.locks.TryAcquire("demo"));

  // The name can be used again, with nothing carried over.
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  CHECK(env.store->GetConfig("demo").value().empty());

  auto missing = ms::DestroyApp(env.services, "nope");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ms::ErrorCode::kNotFound);
}

TEST_CASE("A destroy stopped after its record went is finished at start, or before the name is used again", "[app_lifecycle]") {
  TestEnv env;
  // As a daemon killed right after the record was deleted leaves it.
  for (const char* name : {"gone", "again"}) {
    REQUIRE_OK(ms::CreateApp(env.services, name, ms_test::kRoot));
    REQUIRE_OK(env.store->DeleteApp(name));
    CHECK(env.RepoExists(name));
  }
  REQUIRE(env.store->ListDestroyedApps().value().size() == 2);

  // A new app of the name first removes what is left of the old one.
  REQUIRE_OK(ms::CreateApp(env.services, "again", ms_test::kRoot));
  CHECK_FALSE(env.store->GetDestroyedApp("again").value());
  CHECK(env.RepoExists("again"));
  CHECK(env.AppRowExists("again"));

  // The start finishes the rest.
  ms::FinishDestroyedApps(env.services);
  CHECK(env.store->ListDestroyedApps().value().empty());
  CHECK_FALSE(env.RepoExists("gone"));
  CHECK(env.RepoExists("again"));
}
