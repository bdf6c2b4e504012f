// Per-app access with the real ssh and git clients: two developers and an
// admin. A non-member gets the no-such-app answer from every app command of
// the command table and from git; after access:add the same things work; the
// audit log shows the session; removing a key ends its open session.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <boost/process.hpp>
#include <chrono>
#include <thread>

#include "server/commands/catalog.h"
#include "test/support/test_server.h"

using ms::test::TestServer;
namespace bp = boost::process;

namespace {

// The command line of an app command for `app`, with enough arguments to pass
// the count (the access check comes before any of them is read).
std::string CommandFor(const ms::Command& c, const std::string& app) {
  std::string line = std::string(c.name) + " " + app;
  for (int i = 1; i < c.min_args; ++i) line += " A=1";
  return line;
}

bool IsAppCommand(const ms::Command& c) {
  return c.access == ms::Access::kMember || c.access == ms::Access::kOwner;
}

const std::string kNoShop = "error: app 'shop' does not exist (see apps:list)\n";

struct Team {
  TestServer s;
  std::filesystem::path alice = s.NewKey("alice");
  std::filesystem::path bob = s.NewKey("bob");
  std::filesystem::path repo;
  Team() {
    s.AddKey("alice", alice, "developer");
    s.AddKey("bob", bob, "developer");
    repo = s.MakeRepo("shop-src", 1);
    auto push = s.Git({"push", s.Url("shop"), "main"}, repo, alice);  // the first push creates shop
    INFO(push.Both());
    REQUIRE(push.exit_code == 0);
  }
};

}  // namespace

TEST_CASE("access: a non-member gets the no-such-app answer from every command and from git") {
  Team t;
  TestServer& s = t.s;
  size_t walked = 0;
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    for (const ms::Command& c : ns.commands) {
      if (!IsAppCommand(c)) continue;
      INFO(CommandFor(c, "shop"));
      auto r = s.SshAs(t.bob, CommandFor(c, "shop"));
      CHECK(r.exit_code == 1);
      CHECK(r.err == kNoShop);
      CHECK(r.out.empty());
      ++walked;
    }
  }
  CHECK(walked >= 30);
  // The same words as for a name that is no app.
  auto none = s.SshAs(t.bob, "config nope");
  CHECK(none.err == "error: app 'nope' does not exist (see apps:list)\n");
  CHECK(s.SshAs(t.bob, "audit shop").err == kNoShop);
  CHECK(s.SshAs(t.bob, "apps:list --json").out == "[]\n");

  auto clone = s.Git({"clone", "-q", s.Url("shop"), "stolen"}, s.dir(), t.bob);
  CHECK(clone.exit_code != 0);
  CHECK(clone.err.find(kNoShop.substr(0, kNoShop.size() - 1)) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(s.dir() / "stolen" / ".git" / "HEAD"));
  auto clone_none = s.Git({"clone", "-q", s.Url("nope"), "nothing"}, s.dir(), t.bob);
  CHECK(clone_none.err.find("error: app 'nope' does not exist (see apps:list)") != std::string::npos);

  // A forced push of other code is refused as a taken name, and changes nothing.
  std::string before = s.Head(t.repo);
  auto other = s.MakeRepo("other-src", 2);
  auto push = s.Git({"push", "-f", s.Url("shop"), "main"}, other, t.bob);
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("error: name 'shop' is not available; choose another") != std::string::npos);
  auto ls = s.Git({"ls-remote", s.Url("shop"), "refs/heads/main"}, s.dir(), t.alice);
  CHECK(ls.out.substr(0, 40) == before);
  CHECK(s.SshAs(t.bob, "apps:create shop").err == "error: name 'shop' is not available; choose another\n");
}

TEST_CASE("access: after access:add a member uses the app, git included / the owner's commands stay the owner's") {
  Team t;
  TestServer& s = t.s;
  REQUIRE(s.SshAs(t.alice, "access:add shop bob").exit_code == 0);
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    for (const ms::Command& c : ns.commands) {
      if (!IsAppCommand(c) || c.name == "apps:rename") continue;  // keep the app where it is
      INFO(CommandFor(c, "shop"));
      auto r = s.SshAs(t.bob, CommandFor(c, "shop"));
      CHECK(r.err.find("does not exist") == std::string::npos);
      if (c.access == ms::Access::kOwner) {
        CHECK(r.err == "error: only the owner of shop (alice) or an admin may do that; see: access shop\n");
      } else {
        CHECK(r.err.find("may do that") == std::string::npos);
      }
    }
  }
  CHECK(s.SshAs(t.bob, "config:set shop FROM=bob").exit_code == 0);
  CHECK(s.SshAs(t.bob, "config:get shop FROM").out == "bob\n");
  auto clone = s.Git({"clone", "-q", s.Url("shop"), "mine"}, s.dir(), t.bob);
  INFO(clone.Both());
  REQUIRE(clone.exit_code == 0);
  CHECK(s.Head(s.dir() / "mine") == s.Head(t.repo));
  ms::test::WriteFile(s.dir() / "mine" / "bob.txt", "bob was here\n");
  REQUIRE(s.Git({"add", "bob.txt"}, s.dir() / "mine").exit_code == 0);
  REQUIRE(s.Git({"-c", "user.name=bob", "-c", "user.email=bob@example.com", "commit", "-qm", "bob"}, s.dir() / "mine")
              .exit_code == 0);
  auto push = s.Git({"push", s.Url("shop"), "main"}, s.dir() / "mine", t.bob);
  INFO(push.Both());
  CHECK(push.exit_code == 0);
  CHECK(push.err.find("pushed by bob") != std::string::npos);
  CHECK(s.SshAs(t.bob, "apps:list --json").out.find("\"shop\"") != std::string::npos);

  // An admin sees and does everything; the owner hands the app over.
  CHECK(s.Ssh("config:get shop FROM").out == "bob\n");
  REQUIRE(s.SshAs(t.alice, "apps:transfer shop bob").exit_code == 0);
  auto access = nlohmann::json::parse(s.SshAs(t.alice, "access shop --json").out);
  CHECK(access == nlohmann::json::parse(R"([{"name":"bob","role":"owner","since":")" +
                                        access[0]["since"].get<std::string>() +
                                        R"("},{"name":"alice","role":"member","since":")" +
                                        access[1]["since"].get<std::string>() + R"("}])"));
}

TEST_CASE("access: the audit log of a scripted session shows each action once with its actor") {
  Team t;
  TestServer& s = t.s;
  REQUIRE(s.SshAs(t.alice, "config:set shop SECRET=hunter2").exit_code == 0);
  REQUIRE(s.SshAs(t.alice, "access:add shop bob").exit_code == 0);
  REQUIRE(s.SshAs(t.bob, "domains:add shop www.shop-example.org").exit_code == 0);
  REQUIRE(s.SshAs(t.bob, "config:unset shop SECRET").exit_code == 0);
  REQUIRE(s.SshAs(t.alice, "access:remove shop bob").exit_code == 0);
  REQUIRE(s.SshAs(t.bob, "config shop").exit_code == 1);  // refused: not a change

  auto log = nlohmann::json::parse(s.Ssh("audit shop --json").out);
  std::vector<std::string> seen;
  for (const auto& e : log) {
    seen.push_back(e["actor"].get<std::string>() + " " + e["action"].get<std::string>() + " " +
                   e["detail"].get<std::string>());
    CHECK(e["address"].get<std::string>().starts_with("127.0.0.1:"));
    CHECK(e["app"] == "shop");
  }
  std::string head = s.Head(t.repo).substr(0, 7);
  CHECK(seen == std::vector<std::string>{
                    "alice access:remove bob",
                    "bob config:unset SECRET",
                    "bob domains:add www.shop-example.org",
                    "alice access:add bob",
                    "alice config:set SECRET",
                    "alice deploy " + head + " refs/heads/main succeeded",
                    "alice apps:create by push",
                });
  CHECK(s.Ssh("audit").out.find("hunter2") == std::string::npos);
  // Members see their apps' records; bob is no longer one.
  CHECK(s.SshAs(t.alice, "audit shop -n 2 --json").out.find("access:remove") != std::string::npos);
  CHECK(s.SshAs(t.bob, "audit --json").out == "[]\n");
}

TEST_CASE("access: keys:remove of a name's last key closes its open session and gives its apps to the admin") {
  Team t;
  TestServer& s = t.s;
  // bob holds a session open: receive-pack waits for the push's commands.
  auto advert = s.dir() / "advert";
  bp::opstream hold_stdin;
  REQUIRE(s.SshAs(t.bob, "apps:create bobs").exit_code == 0);
  bp::child held("/bin/sh",
                 bp::args({"-c", s.SshCommand(t.bob) + " git@127.0.0.1 'git-receive-pack bobs'"}),
                 bp::std_in < hold_stdin, bp::std_out > advert.string(), bp::std_err > bp::null);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ms::test::ReadFile(advert).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE_FALSE(ms::test::ReadFile(advert).empty());
  REQUIRE(held.running());

  auto removed = s.Ssh("keys:remove bob");
  INFO(removed.Both());
  REQUIRE(removed.exit_code == 0);
  CHECK(removed.out.find("1 open session closed") != std::string::npos);
  CHECK(removed.out.find("Its apps now belong to admin: bobs") != std::string::npos);
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (held.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK_FALSE(held.running());
  if (held.running()) held.terminate();
  held.wait();
  auto info = nlohmann::json::parse(s.Ssh("apps:info bobs --json").out);
  CHECK(info["owner"] == "admin");
  auto gone = s.SshAs(t.bob, "apps:list");
  CHECK(gone.exit_code == 255);  // the key no longer connects ...
  CHECK(gone.err.find("Permission denied (publickey)") != std::string::npos);
  CHECK(s.Ssh("apps:list").exit_code == 0);  // ... and the daemon is there
}
