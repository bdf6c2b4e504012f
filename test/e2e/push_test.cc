// git push and git clone over the embedded SSH server, with real git and ssh.

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "server/store/store.h"
#include "test/support/run.h"
#include "test/support/test_server.h"

using ms::test::ReadFile;
using ms::test::RunResult;
using ms::test::TestServer;
using ms::test::WriteFile;

namespace {

std::vector<ms::Deploy> Deploys(TestServer& server, const std::string& app) {
  auto store = ms::Store::Open(server.data_dir() / "mothership.db");
  REQUIRE(store);
  auto deploys = (*store)->ListDeploys(app, 100);
  if (!deploys) return {};
  return *deploys;
}

// Polls until pred() holds, for at most `seconds`.
bool WaitFor(const std::function<bool()>& pred, int seconds = 30) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

void Commit(TestServer& s, const std::filesystem::path& repo, const std::string& text) {
  WriteFile(repo / "file.txt", text + "\n");
  REQUIRE(s.Git({"commit", "-q", "-am", text}, repo).exit_code == 0);
}

}  // namespace

TEST_CASE("push deploys / clone returns the commit / a failed deploy leaves the ref") {
  ms::test::DeployScript script;
  TestServer s({.deploy_script = &script});
  REQUIRE(s.Ssh("apps:create demo").exit_code == 0);
  auto list = s.Ssh("apps:list");
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("demo") != std::string::npos);

  auto repo = s.MakeRepo("src", 2);
  std::string first = s.Head(repo);
  auto push = s.Git({"push", s.Url("demo"), "main"}, repo);
  INFO(push.Both());
  REQUIRE(push.exit_code == 0);
  CHECK(push.err.find("remote: -----> Deploying demo " + first.substr(0, 7)) != std::string::npos);
  CHECK(push.err.find(first + " will be deployed") != std::string::npos);

  auto clone = s.Git({"clone", "-q", s.Url("demo"), "clone"}, s.dir());
  INFO(clone.Both());
  REQUIRE(clone.exit_code == 0);
  CHECK(s.Head(s.dir() / "clone") == first);

  Commit(s, repo, "third");
  std::string second = s.Head(repo);
  push = s.Git({"push", s.Url("demo"), "main"}, repo);
  REQUIRE(push.exit_code == 0);
  CHECK(push.err.find(second + " will be deployed") != std::string::npos);

  // The failing step rejects the push and the branch stays where it was.
  script.fail = true;
  Commit(s, repo, "fourth");
  push = s.Git({"push", s.Url("demo"), "main"}, repo);
  INFO(push.Both());
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("Deploy failed") != std::string::npos);
  CHECK(push.err.find("pre-receive hook declined") != std::string::npos);
  auto remote = s.Git({"ls-remote", s.Url("demo"), "refs/heads/main"}, repo);
  CHECK(remote.out.substr(0, 40) == second);
  auto deploys = Deploys(s, "demo");
  REQUIRE(deploys.size() == 3);
  CHECK(deploys[0].status == "failed");
  CHECK(deploys[1].commit == second);
  CHECK(deploys[1].key_name == "admin");
  CHECK(deploys[1].ref == "refs/heads/main");
  CHECK(s.Stop() == 0);
}

TEST_CASE("the first push of main creates the app - other branches are stored / not deployed") {
  TestServer s;
  auto repo = s.MakeRepo("src", 1);

  SECTION("a new app needs main or master first, and nothing is left when refused") {
    auto push = s.Git({"push", s.Url("fresh"), "main:feature"}, repo);
    CHECK(push.exit_code != 0);
    CHECK(push.err.find("push main or master first") != std::string::npos);
    CHECK(s.Ssh("apps:list").out.find("fresh") == std::string::npos);
    CHECK(!std::filesystem::exists(s.data_dir() / "repos" / "fresh.git"));
  }
  SECTION("main creates it and becomes the deploy branch") {
    auto push = s.Git({"push", s.Url("fresh.git"), "main"}, repo);
    INFO(push.Both());
    REQUIRE(push.exit_code == 0);
    CHECK(push.err.find("Created app fresh") != std::string::npos);
    CHECK(s.Ssh("apps:info fresh").out.find("Deploy branch: main") != std::string::npos);
    auto other = s.Git({"push", s.Url("fresh"), "main:feature"}, repo);
    REQUIRE(other.exit_code == 0);
    CHECK(other.err.find("Stored refs/heads/feature (not deployed") != std::string::npos);
    CHECK(Deploys(s, "fresh").size() == 1);
    auto del = s.Git({"push", s.Url("fresh"), ":main"}, repo);
    CHECK(del.exit_code != 0);
    CHECK(del.err.find("Refusing to delete main") != std::string::npos);
  }
  SECTION("master works as well") {
    auto push = s.Git({"push", s.Url("fresh"), "main:master"}, repo);
    REQUIRE(push.exit_code == 0);
    CHECK(s.Ssh("apps:info fresh --json").out.find("\"deploy_branch\":\"master\"") != std::string::npos);
    auto clone = s.Git({"clone", "-q", s.Url("fresh"), "clone"}, s.dir());
    REQUIRE(clone.exit_code == 0);
    CHECK(s.Head(s.dir() / "clone") == s.Head(repo));
  }
}

TEST_CASE("auto-create can be turned off") {
  TestServer s({.configure = [](ms::Settings& settings) { settings.auto_create_apps = false; }});
  auto repo = s.MakeRepo("src", 1);
  auto push = s.Git({"push", s.Url("fresh"), "main"}, repo);
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("apps:create fresh") != std::string::npos);
  CHECK(!std::filesystem::exists(s.data_dir() / "repos" / "fresh.git"));
  REQUIRE(s.Ssh("apps:create fresh").exit_code == 0);
  CHECK(s.Git({"push", s.Url("fresh"), "main"}, repo).exit_code == 0);
}

TEST_CASE("bad repository paths are refused before anything is created") {
  TestServer s;
  auto repo = s.MakeRepo("src", 1);
  for (std::string path : {"../etc", "/tmp/x", "a/b", "UPPER", "x", "-rf",
                           "a-very-long-app-name-that-is-over-thirty", "demo%00"}) {
    auto push = s.Git({"push", s.Url(path), "main"}, repo);
    INFO(path << "\n" << push.Both());
    CHECK(push.exit_code != 0);
    CHECK(push.err.find("does not name an app") != std::string::npos);
  }
  auto fetch = s.Git({"ls-remote", s.Url("nosuchapp")}, repo);
  CHECK(fetch.exit_code != 0);
  CHECK(fetch.err.find("app 'nosuchapp' does not exist") != std::string::npos);
  CHECK(std::filesystem::is_empty(s.data_dir() / "repos"));
}

TEST_CASE("two pushes to one app never deploy at once - different apps do") {
  ms::test::DeployScript script;
  // Long enough that app two's push (an ssh and a git under ASan on two busy
  // cores) starts while app one's first deploy still runs: 1.5 s was not.
  script.delay_ms = 4000;
  TestServer s({.deploy_script = &script});
  auto a = s.MakeRepo("a", 1);
  auto b = s.MakeRepo("b", 1);
  Commit(s, b, "b only");
  REQUIRE(s.Git({"push", s.Url("one"), "main"}, a).exit_code == 0);
  Commit(s, a, "a again");

  // The first push is deploying when the second one starts: the second waits.
  auto first = std::async(std::launch::async, [&] { return s.Git({"push", s.Url("one"), "main"}, a); });
  REQUIRE(WaitFor([&] {
    auto d = Deploys(s, "one");
    return d.size() == 2 && d[0].status == "running";
  }));
  auto second = std::async(std::launch::async, [&] { return s.Git({"push", "-f", s.Url("one"), "main"}, b); });
  // Meanwhile another app deploys in parallel.
  auto other = std::async(std::launch::async, [&] { return s.Git({"push", s.Url("two"), "main"}, a); });
  RunResult r1 = first.get(), r2 = second.get(), r3 = other.get();
  INFO(r1.Both() << r2.Both() << r3.Both());
  REQUIRE(r1.exit_code == 0);
  REQUIRE(r2.exit_code == 0);
  REQUIRE(r3.exit_code == 0);
  CHECK(r2.err.find("waiting for it to finish") != std::string::npos);

  auto one = Deploys(s, "one");
  REQUIRE(one.size() == 3);
  for (size_t i = 0; i + 1 < one.size(); ++i) {
    CHECK(one[i + 1].finished_at <= one[i].started_at);  // newest first, no overlap
  }
  auto two = Deploys(s, "two");
  REQUIRE(two.size() == 1);
  CHECK(two[0].started_at < one[1].finished_at);  // app two ran while app one deployed
  CHECK(s.Head(b) == s.Git({"ls-remote", s.Url("one"), "refs/heads/main"}, b).out.substr(0, 40));
}

TEST_CASE("deploy output reaches the pusher while the deploy runs") {
  ms::test::DeployScript script;
  script.delay_ms = 3000;
  TestServer s({.deploy_script = &script});
  auto repo = s.MakeRepo("src", 1);
  namespace bp = boost::process;
  bp::ipstream err;
  bp::environment env = boost::this_process::environment();
  env["GIT_SSH_COMMAND"] = s.SshCommand(s.admin_key());
  bp::child git(bp::search_path("git"), bp::args({"push", "--progress", s.Url("live"), "main"}),
                env, bp::start_dir(repo.string()), bp::std_out > bp::null, bp::std_err > err);
  std::string line;
  std::chrono::steady_clock::time_point working_at;
  while (std::getline(err, line)) {
    if (line.find("-----> Working...") != std::string::npos) working_at = std::chrono::steady_clock::now();
  }
  git.wait();
  auto ended_at = std::chrono::steady_clock::now();
  REQUIRE(git.exit_code() == 0);
  REQUIRE(working_at.time_since_epoch().count() != 0);
  // The line came while the 3 s step was still running, not with the end of the push.
  CHECK(ended_at - working_at > std::chrono::milliseconds(1500));
}

namespace {

// True when the app's repository answers and has no branch: nothing of a
// refused push was kept.
bool NoRefs(TestServer& s, const std::filesystem::path& repo, const std::string& app) {
  auto ls = s.Git({"ls-remote", s.Url(app)}, repo);
  INFO(ls.Both());
  return ls.exit_code == 0 && ls.out.empty();
}

}  // namespace

TEST_CASE("git hygiene: a malformed object is refused with git's reason - a push over max_push_mb is refused") {
  ms::test::DeployScript script;
  TestServer s({.deploy_script = &script, .configure = [](ms::Settings& settings) { settings.max_push_mb = 1; }});
  REQUIRE(s.Ssh("apps:create tidy").exit_code == 0);
  auto repo = s.MakeRepo("src", 1);

  // A commit whose author has no email: git itself would not write it.
  auto tree = s.Git({"rev-parse", "HEAD^{tree}"}, repo).out.substr(0, 40);
  WriteFile(repo / "bad-commit", "tree " + tree + "\nauthor nobody 1700000000 +0000\ncommitter nobody 1700000000 +0000\n\nbad\n");
  auto bad = s.Git({"hash-object", "-t", "commit", "-w", "--literally", "bad-commit"}, repo);
  REQUIRE(bad.exit_code == 0);
  std::filesystem::remove(repo / "bad-commit");
  REQUIRE(s.Git({"update-ref", "refs/heads/malformed", bad.out.substr(0, 40)}, repo).exit_code == 0);
  auto refused = s.Git({"push", s.Url("tidy"), "malformed:main"}, repo);
  INFO(refused.Both());
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("missingEmail") != std::string::npos);
  CHECK(NoRefs(s, repo, "tidy"));

  // 3 MB that do not compress, against max_push_mb: 1.
  auto big = ms::test::Run({"bash", "-c", "head -c 3000000 /dev/urandom > " + (repo / "big.bin").string()});
  REQUIRE(big.exit_code == 0);
  REQUIRE(s.Git({"add", "big.bin"}, repo).exit_code == 0);
  REQUIRE(s.Git({"commit", "-qm", "big"}, repo).exit_code == 0);
  auto too_big = s.Git({"push", s.Url("tidy"), "main"}, repo);
  INFO(too_big.Both());
  CHECK(too_big.exit_code != 0);
  CHECK(too_big.err.find("pack exceeds maximum allowed size") != std::string::npos);
  CHECK(NoRefs(s, repo, "tidy"));
  // The daemon goes on: a push within the limit works.
  REQUIRE(s.Git({"reset", "-q", "--hard", "HEAD~1"}, repo).exit_code == 0);
  auto fine = s.Git({"push", s.Url("tidy"), "main"}, repo);
  INFO(fine.Both());
  CHECK(fine.exit_code == 0);
}
