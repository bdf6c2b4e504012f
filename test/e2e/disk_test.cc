// A full disk, end to end (issue 16, item 2): the daemon's data directory on
// a small tmpfs, filled. A push is refused with a message saying the server's
// disk is full, nothing half-written is left (no objects of the refused push,
// no release, the deploy branch and the running app as they were, the store
// readable), and pushes work again once space is freed. Needs a Docker engine
// and the registry at localhost:5000.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "server/common/disk_space.h"
#include "test/support/apps.h"
#include "test/support/run.h"
#include "test/support/test_server.h"

using ms::test::AnswersWith;
using ms::test::BuildServer;
using ms::test::CommitAll;
using ms::test::ManifestStatus;
using ms::test::OpenStore;
using ms::test::Push;
using ms::test::Run;
using ms::test::RunResult;
using ms::test::SampleRepo;
using ms::test::TestServer;
using ms::test::Trim;
using ms::test::Unique;

namespace {

long FreeMb(const std::filesystem::path& dir) {
  auto free = ms::FreeMb(dir);
  REQUIRE(free);
  return static_cast<long>(*free);
}

// Fills dir's filesystem until about free_mb are left.
void FillUntil(const std::filesystem::path& dir, long free_mb) {
  const auto filler = dir / "filler";
  std::filesystem::remove(filler);
  const long size = FreeMb(dir) - free_mb;
  REQUIRE(size > 0);
  REQUIRE(Run({"fallocate", "-l", fmt::format("{}M", size), filler.string()}).exit_code == 0);
  CHECK(FreeMb(dir) <= free_mb);
}

// Every file and directory name under dir, one per line.
std::string Tree(const std::filesystem::path& dir) {
  return Run({"find", dir.string(), "-printf", "%P\n"}).out;
}

}  // namespace

TEST_CASE("disk: the data directory full - a push is refused saying so, nothing half-written is left, pushes work "
          "again once space is freed", "[long]") {
  TestServer s = BuildServer(nullptr, 160);
  const std::string app = Unique("full");
  const auto bare = s.data_dir() / "repos" / (app + ".git");
  auto repo = SampleRepo(s, "hello-node");
  Push(s, repo, app);
  AnswersWith(s, app, "Hello from Mothership");
  const std::string deployed = s.Head(repo);

  // A commit of 72 MB that cannot be compressed.
  ms::test::SetDefaultGreeting(s, repo, "Hello from a full disk");
  REQUIRE(Run({"bash", "-c", "head -c 72M /dev/urandom > big.bin"}, {.stdin_data = "", .env = {}, .cwd = repo})
              .exit_code == 0);
  CommitAll(s, repo, "a big file");

  // Nothing of a refused push is left, and what ran runs on.
  auto unchanged = [&, objects = Tree(bare / "objects"), tmp = Tree(s.data_dir() / "tmp")] {
    CHECK(Tree(bare / "objects") == objects);
    CHECK(Tree(s.data_dir() / "tmp") == tmp);
    CHECK(Trim(Run({"git", "--git-dir", bare.string(), "rev-parse", "refs/heads/main"}).out) == deployed);
    auto releases = OpenStore(s)->ListReleases(app, 10);
    REQUIRE(releases);
    CHECK(releases->size() == 1);
    auto listed = s.Ssh("releases " + app);
    CHECK(listed.exit_code == 0);
    CHECK(listed.out.find("v1") != std::string::npos);
    AnswersWith(s, app, "Hello from Mothership");
  };
  struct Case {
    std::string name;
    long free_mb;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           // Under kPushNeedsFreeMb (64): refused before git writes.
           {"less than a push needs", 30, "error: the server's disk is full: "},
           // Enough to start, not for the objects: git fails, we say why.
           {"too little for the objects", 68, "error: the server ran out of disk space"},
           // Room for the objects, not for the build's input.
           {"too little for the build", 110, "-----> The server's disk is full: "},
       }) {
    INFO(c.name);
    FillUntil(s.data_dir(), c.free_mb);
    auto push = s.Git({"push", s.Url(app), "main"}, repo);
    INFO(push.Both());
    CHECK(push.exit_code != 0);
    CHECK(push.err.find(c.says) != std::string::npos);
    CHECK(push.err.find("operator to free space") != std::string::npos);
    CHECK(push.err.find("then push again.") != std::string::npos);
    std::filesystem::remove(s.data_dir() / "filler");
    unchanged();
  }

  // Space freed: the push deploys.
  REQUIRE(Run({"git", "rm", "-q", "big.bin"}, {.stdin_data = "", .env = {}, .cwd = repo}).exit_code == 0);
  CommitAll(s, repo, "without the big file");
  Push(s, repo, app);
  AnswersWith(s, app, "Hello from a full disk");
}

// The engine's own directory full: the disk under /var/lib/docker (here the
// host's root filesystem, filled but for 40 MB; the data directory has room on
// a tmpfs). Tagged [serial]: every other test's engine shares that disk.
TEST_CASE("disk: the Docker engine's disk full - a push is refused saying so, nothing half-written is left, pushes "
          "work again once space is freed",
          "[serial]") {
  TestServer s = BuildServer(nullptr, 200);
  const std::string app = Unique("engine-full");
  auto repo = SampleRepo(s, "hello-node");
  Push(s, repo, app);
  AnswersWith(s, app, "Hello from Mothership");
  const auto bare = s.data_dir() / "repos" / (app + ".git");
  const std::string deployed = s.Head(repo);

  ms::test::SetDefaultGreeting(s, repo, "Hello after the engine's disk was full");
  REQUIRE(Run({"bash", "-c", "head -c 72M /dev/urandom > big.bin"}, {.stdin_data = "", .env = {}, .cwd = repo})
              .exit_code == 0);
  CommitAll(s, repo, "a big file");

  const std::filesystem::path engine_dir =
      Trim(Run({"docker", "info", "-f", "{{.DockerRootDir}}"}).out);
  REQUIRE_FALSE(engine_dir.empty());
  const auto filler = engine_dir.parent_path() / ("mothership-test-filler-" + app);
  {
    // Removed whatever happens below.
    std::shared_ptr<void> remove_filler(nullptr, [&](void*) { std::filesystem::remove(filler); });
    const long size = FreeMb(engine_dir) - 40;
    REQUIRE(size > 0);
    REQUIRE(Run({"fallocate", "-l", fmt::format("{}M", size), filler.string()}).exit_code == 0);
    auto push = s.Git({"push", s.Url(app), "main"}, repo);
    INFO(push.Both());
    CHECK(push.exit_code != 0);
    CHECK(push.err.find("-----> The server ran out of disk space") != std::string::npos);
    CHECK(push.err.find("then push again.") != std::string::npos);
  }
  // Nothing of it is left: no release, the deploy branch as it was, the app
  // running its release, no build container.
  CHECK(Trim(Run({"git", "--git-dir", bare.string(), "rev-parse", "refs/heads/main"}).out) == deployed);
  auto releases = OpenStore(s)->ListReleases(app, 10);
  REQUIRE(releases);
  CHECK(releases->size() == 1);
  CHECK(ManifestStatus(app, "v1") == "200");
  CHECK(ManifestStatus(app, "v2") == "404");
  AnswersWith(s, app, "Hello from Mothership");

  // Space freed: the next push deploys.
  REQUIRE(Run({"git", "rm", "-q", "big.bin"}, {.stdin_data = "", .env = {}, .cwd = repo}).exit_code == 0);
  CommitAll(s, repo, "without the big file");
  Push(s, repo, app);
  AnswersWith(s, app, "Hello after the engine's disk was full");
}
